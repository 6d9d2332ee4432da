"""Web plumbing shared by every concept's handlers: rendering, forms, errors, security."""
