"""Training records (培训): sessions, attendees, and their statistics."""
