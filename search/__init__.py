"""The Whoosh search facade (built in the search issue)."""
