"""The index schema, in one function, and the version that forces a rebuild when it changes."""

from __future__ import annotations

from whoosh.analysis import Analyzer
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, FieldType, Schema
from whoosh.formats import Existence

from search.text import BigramTokenizer, UnigramTokenizer

# Bump on any change to the fields or the analysis: an index of another version is rebuilt, never read.
SCHEMA_VERSION = 8

# Fields a query may name, with their weight. Plain words are matched in `text` (everything, once) and the short
# fields only add their boost (DOMAIN §7: one combined field instead of a phrase query per field).
TEXT_FIELDS = {
    "title": 3.0,
    "parties": 3.0,
    "mediators": 2.0,
    "types": 2.0,
    "orgs": 1.5,
    "labels": 1.0,
    "body": 1.0,
    "dossier": 1.0,
}
SHORT_FIELDS = ("title", "parties", "mediators", "types", "orgs", "labels")
MATCH_FIELD = "text"
# Queries are read as sets of document ids (search/fast.py), and reading a common bigram's postings with positions cost
# ~0.9 µs per document (unpickling the positions of every block: 90 ms for a bigram in all 100,000 cases), without them
# ~0.15 µs. So MATCH_FIELD holds ids only (a phrase is checked in the stored texts: MATCH_TEXTS), and each short field,
# which keeps its positions for Whoosh's own queries (suggestions), has a twin with ids only.
SET_FIELDS = {name: f"{name}set" for name in SHORT_FIELDS}
MATCH_TEXTS = (
    "title",
    "parties",
    "mediators",
    "types",
    "orgs",
    "labels",
    "body",
    "dossier",
)  # stored: what MATCH_FIELD indexes


def match_text(fields: dict) -> str:
    """MATCH_FIELD's text from a document's fields: what is indexed, and searched again for a phrase (search/fast.py)."""
    return "\n".join(fields.get(name) or "" for name in MATCH_TEXTS)


def _bigram() -> Analyzer:
    return BigramTokenizer()


def schema() -> Schema:
    bigram = _bigram()
    fields = dict(
        cid=ID(stored=True, unique=True, sortable=True),
        version=NUMERIC(stored=True, sortable=True, bits=64),
        number=ID(stored=True),
        numparts=KEYWORD(lowercase=True),
        numtext=TEXT(analyzer=bigram),  # the number as text: suggestions and 案号: find any part of it
        idnums=KEYWORD(lowercase=True),  # not stored: never shown, matched only for roles that may
        title=TEXT(analyzer=bigram, stored=True, field_boost=TEXT_FIELDS["title"]),
        parties=TEXT(analyzer=bigram, stored=True, field_boost=TEXT_FIELDS["parties"]),
        mediators=TEXT(analyzer=bigram, stored=True, field_boost=TEXT_FIELDS["mediators"]),
        types=TEXT(analyzer=bigram, stored=True, field_boost=TEXT_FIELDS["types"]),
        orgs=TEXT(analyzer=bigram, stored=True, field_boost=TEXT_FIELDS["orgs"]),
        labels=TEXT(analyzer=bigram, stored=True),
        text=FieldType(
            format=Existence(), analyzer=bigram
        ),  # MATCH_TEXTS once, ids only: what plain words and 内容: match
        body=STORED,  # the snippet source only
        dossier=TEXT(analyzer=bigram, stored=True),
        chars=TEXT(analyzer=UnigramTokenizer()),  # single-character queries over the short fields
        scope=KEYWORD(commas=True),  # the org's path and every ancestor's
        dtype=ID(stored=True, sortable=True),
        status=ID(stored=True, sortable=True),
        tier=ID(stored=True, sortable=True),
        org=ID(stored=True, sortable=True),
        year=ID(stored=True, sortable=True),
        mediator=ID(stored=True, sortable=True),  # the lead mediator, for the facet
        outcome=ID(stored=True, sortable=True),
        received=NUMERIC(stored=True, sortable=True, bits=32),  # yyyymmdd
        closed=NUMERIC(stored=True, bits=32),
        filed=NUMERIC(stored=True, bits=32),
        extra=STORED,  # small display data
    )
    fields.update({twin: FieldType(format=Existence(), analyzer=bigram) for twin in SET_FIELDS.values()})
    return Schema(**fields)
