"""Helpers behind the shared fixtures in tests/conftest.py."""
