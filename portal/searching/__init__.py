"""Search in the portal: the indexing outbox, the indexer, scoped search with a database fallback, and its pages."""

from portal.searching import outbox  # noqa: F401 - registers the listener that writes the outbox with every case change
