"""An alert as the page, the workspace and the monthly 专报 read it: what was observed, against what, by which rule."""

from __future__ import annotations

from dataclasses import dataclass, field

from portal.alerts.cells import Place
from portal.alerts.models import AlertReview
from portal.alerts.months import Month

RULE_LABELS = {
    "poisson": "泊松超阈",
    "cusum": "累积和（CUSUM）缓升",
    "group": "群体性纠纷",
    "risk": "防激化风险",
    "repeat": "重复访/越级访",
    "transfer": "移送答复逾期",
    "followup": "回访逾期",
}
STATISTICAL = ("poisson", "cusum")
LEVEL_LABELS = {"red": "红色预警", "yellow": "黄色预警"}
LEVEL_ORDER = {"red": 0, "yellow": 1}


@dataclass
class Alert:
    """One alert of an area's month. `key` is stable across recomputation: the review is stored under it."""

    key: str
    rule: str  # a key of RULE_LABELS
    level: str  # "red" or "yellow"
    month: Month
    place: Place | None  # None when the cases lie in several places (a repeat petitioner)
    subject: str  # what the alert is about: "河口镇 · 山林土地", "证件号 3621**********1234"
    observed: int  # the number of cases it counts
    observed_text: str  # "2026年3月收到 7 件"
    baseline_text: str  # what the observation is compared with
    rule_text: str  # the rule and its threshold, with the p-value or score where there is one
    threshold: float  # the yellow threshold: a count, or the CUSUM's h
    red_threshold: float | None = None
    baseline: float | None = None  # μ, cases a month (statistical rules)
    p_value: float | None = None  # P(X ≥ observed | μ) (statistical rules)
    score: float | None = None  # the CUSUM's S
    dispute_type: str | None = None  # the top-level type code (statistical rules)
    case_filter: dict[str, str] = field(default_factory=dict)  # the case list's query for exactly its cases
    review: AlertReview | None = None

    @property
    def rule_label(self) -> str:
        return RULE_LABELS[self.rule]

    @property
    def level_label(self) -> str:
        return LEVEL_LABELS[self.level]

    @property
    def statistical(self) -> bool:
        return self.rule in STATISTICAL

    @property
    def anchor(self) -> str:
        return anchor_of(self.key)

    @property
    def changed_since_review(self) -> bool:
        return self.review is not None and self.review.observed != self.observed


def anchor_of(key: str) -> str:
    """An alert's element id on the page: its key, in the characters an id reads best with."""
    return "alert-" + key.replace(":", "-").replace(".", "_")


def place_key(place: Place) -> str:
    """A place in an alert key: the organisation's id, with '.0' for the area's own level."""
    return f"{place.org_id}.0" if place.own else str(place.org_id)


def sort_key(alert: Alert) -> tuple:
    return (LEVEL_ORDER[alert.level], alert.rule not in STATISTICAL, -alert.observed, alert.key)


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def format_p(p: float) -> str:
    """A p-value as people read it: 0.004, or 2.1×10⁻⁵ below one in a thousand."""
    if p >= 0.001:
        return f"{p:.3f}"
    if p <= 0:
        return "< 10⁻³⁰⁰"
    mantissa, exponent = f"{p:.1e}".split("e")
    return f"{mantissa}×10{str(int(exponent)).translate(_SUPERSCRIPT)}"
