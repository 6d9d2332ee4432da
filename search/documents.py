"""Plain data in and out of the search facade: no portal types cross this line."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass
class CaseDoc:
    """Everything searchable about one case, as the portal hands it over."""

    id: int
    version: int
    number: str
    number_year: int = 0
    number_prefix: str = ""
    number_seq: int = 0
    number_word: str = ""  # 字号, e.g. 人调字, 医调字
    title: str = ""
    parties: list[str] = field(default_factory=list)
    id_numbers: list[str] = field(default_factory=list)  # matched exactly, for roles that may; never stored
    phones: list[str] = field(default_factory=list)  # the same
    dispute_type: str = ""  # code, e.g. "1001"
    dispute_type_names: list[str] = field(default_factory=list)  # its name and its parent's
    channel: str = ""
    status: str = ""  # state value
    status_label: str = ""
    outcome: str = ""
    outcome_label: str = ""
    labels: list[str] = field(default_factory=list)  # more words for the case: tier, kind of body, flags …
    org_id: int = 0
    org_name: str = ""
    org_paths: list[str] = field(default_factory=list)  # its own path and every ancestor's
    org_names: list[str] = field(default_factory=list)  # its own name and every ancestor's
    tier: str = ""
    mediators: list[str] = field(default_factory=list)  # lead first
    received_on: date | None = None
    closed_on: date | None = None
    filed_on: date | None = None
    text: str = ""  # summary, requests, records, agreements, follow-ups, uploaded PDFs
    dossier_pages: list[str] = field(default_factory=list)  # the bound dossier, one string per PDF page


ScopeKey = tuple[bool, tuple[str, ...], tuple[int, ...]]  # (everything, paths, case ids): Scope.key


@dataclass(frozen=True)
class Scope:
    """What a person may see: subtrees by path prefix, plus cases reached otherwise (transfers); None = everything."""

    paths: tuple[str, ...] = ()
    case_ids: tuple[int, ...] = ()
    everything: bool = False

    @property
    def key(self) -> ScopeKey:
        return (self.everything, self.paths, self.case_ids)


@dataclass
class SearchRequest:
    q: str = ""
    filters: dict[str, str] = field(default_factory=dict)  # facet name → value
    sort: str = "relevance"  # relevance | date
    page: int = 1
    size: int = 20
    facets: bool = True
    snippets: bool = True  # False: the hits without snippets (counts, tests)
    id_numbers: (
        tuple[str, ...] | bool
    ) = ()  # subtrees (paths) where the person may search identity numbers; True = anywhere


@dataclass
class Snippet:
    field: str  # title | parties | body | dossier | mediators | orgs
    html: str  # escaped text with <mark> around matches
    page: int | None = None  # the dossier page, for hits in the bound dossier


@dataclass
class Hit:
    case_id: int
    number: str
    title: str
    score: float
    status: str
    dispute_type: str
    org_id: int
    received_on: date | None
    parties: str
    snippets: list[Snippet] = field(default_factory=list)


@dataclass
class FacetValue:
    value: str
    count: int


@dataclass
class SearchResults:
    total: int
    hits: list[Hit]
    page: int
    pages: int
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # e.g. "the query could not be read as written"
    plain: bool = False  # the query was degraded to plain words


@dataclass
class CheckReport:
    missing: list[int] = field(default_factory=list)  # in the database, not in the index
    stale: list[int] = field(default_factory=list)  # indexed at another version
    extra: list[int] = field(default_factory=list)  # in the index, no longer in the database

    @property
    def ok(self) -> bool:
        return not (self.missing or self.stale or self.extra)


FACETS = ("dtype", "status", "tier", "org", "year", "mediator", "outcome")


class IndexUnavailable(Exception):
    """The index cannot be opened (missing, damaged or of an old schema): search the database instead."""

    def __init__(self, reason: str, *, missing: bool = False, outdated: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.missing = missing
        self.outdated = outdated
