"""The index schema, in one function, and the version that forces a rebuild when it changes."""

from __future__ import annotations

from whoosh.analysis import Analyzer
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, FieldType, Schema
from whoosh.formats import Existence

from search.text import BigramTokenizer, UnigramTokenizer

# Bump on any change to the fields or the analysis: an index of another version is rebuilt, never read.
SCHEMA_VERSION = 7

# Fields a query may name, with their weight. Plain words are matched in `text` (everything, once) and the short
# fields only add their boost (DOMAIN §7: one combined field instead of a phrase query per field).
TEXT_FIELDS = {"title": 3.0, "parties": 3.0, "mediators": 2.0, "types": 2.0, "orgs": 1.5, "labels": 1.0, "body": 1.0, "dossier": 1.0}
SHORT_FIELDS = ("title", "parties", "mediators", "types", "orgs", "labels")
MATCH_FIELD = "text"
# Each bigram field that queries read as sets (search/fast.py) has a twin holding the same terms with document ids only.
# Reading a common bigram's postings with positions cost ~0.9 µs per document (unpickling the positions of every block:
# 90 ms for a bigram in all 100,000 cases), without them ~0.15 µs; positions are read only to check phrases of the shown hits.
SET_FIELDS = {name: f"{name}set" for name in (MATCH_FIELD, *SHORT_FIELDS)}


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
        types=TEXT(analyzer=bigram, field_boost=TEXT_FIELDS["types"]),
        orgs=TEXT(analyzer=bigram, stored=True, field_boost=TEXT_FIELDS["orgs"]),
        labels=TEXT(analyzer=bigram),
        text=TEXT(analyzer=bigram),  # every text field once, not stored: what plain words and 内容: match
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
