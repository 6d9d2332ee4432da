"""The read-only JSON API over cases, scoped like the HTML pages and described by the OpenAPI schema."""
