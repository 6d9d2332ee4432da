"""Full-text search over cases: the only package that imports Whoosh or jieba; it knows nothing of the portal.

The portal hands over plain `CaseDoc`s and a `Scope`, and gets plain results back.
Verbs: `apply` (index/remove), `Rebuild` (rebuild into a new directory and swap), `SearchIndex.search`,
`.suggest`, `.similar`, `.check`, `.status`, `.warm`; `IndexUnavailable` when the index cannot be opened.
"""

from search.documents import (
    FACETS,
    CaseDoc,
    CheckReport,
    FacetValue,
    Hit,
    IndexUnavailable,
    Scope,
    SearchRequest,
    SearchResults,
    Snippet,
)
from search.engine import SearchIndex, Suggestion
from search.schema import SCHEMA_VERSION
from search.text import add_words, normalise, set_words, warm_up
from search.writing import Rebuild, apply, indexed_text, mask_ids, merge, segment_count

__all__ = [
    "FACETS",
    "SCHEMA_VERSION",
    "CaseDoc",
    "CheckReport",
    "FacetValue",
    "Hit",
    "IndexUnavailable",
    "Rebuild",
    "Scope",
    "SearchIndex",
    "SearchRequest",
    "SearchResults",
    "Snippet",
    "Suggestion",
    "add_words",
    "apply",
    "indexed_text",
    "mask_ids",
    "merge",
    "normalise",
    "segment_count",
    "set_words",
    "warm_up",
]
