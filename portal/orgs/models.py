"""The organisation tree, with a materialised path for cheap subtree queries."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from portal.db import enum_column, utcnow, versioned


class Tier(StrEnum):
    """层级, from the top down."""

    CITY = "city"
    COUNTY = "county"
    TOWNSHIP = "township"
    VILLAGE = "village"
    GROUP = "group"

    @property
    def label(self) -> str:
        return TIER_LABELS[self]


TIER_LABELS = {
    Tier.CITY: "市",
    Tier.COUNTY: "县(区)",
    Tier.TOWNSHIP: "乡镇(街道)",
    Tier.VILLAGE: "村(社区)",
    Tier.GROUP: "村民小组/网格",
}
TIER_ORDER = list(Tier)


class OrgKind(StrEnum):
    """What kind of body an organisation is; the tier bodies and the bodies beside them."""

    CENTRE = "centre"
    COMMITTEE = "committee"
    GRID = "grid"
    PROFESSIONAL = "professional"
    STUDIO = "studio"
    PETITION = "petition"
    COURT = "court"
    POLICE = "police"
    JUSTICE_OFFICE = "justice_office"
    JUSTICE_BUREAU = "justice_bureau"

    @property
    def label(self) -> str:
        return KIND_LABELS[self]


KIND_LABELS = {
    OrgKind.CENTRE: "矛调中心/综治中心",
    OrgKind.COMMITTEE: "人民调解委员会",
    OrgKind.GRID: "调解工作站/网格",
    OrgKind.PROFESSIONAL: "行业性专业性调委会",
    OrgKind.STUDIO: "个人调解工作室",
    OrgKind.PETITION: "信访局访调对接中心",
    OrgKind.COURT: "法院诉调对接中心",
    OrgKind.POLICE: "派出所(公调对接)",
    OrgKind.JUSTICE_OFFICE: "司法所",
    OrgKind.JUSTICE_BUREAU: "司法局",
}


class Organisation(SQLModel, table=True):
    """One body in the tree; `path` is '/1/5/23/' (ancestors and itself), for subtree scope."""

    __tablename__ = "organisation"
    __mapper_args__ = versioned  # written WHERE version = :seen (portal.db)
    # Paths are matched by prefix: on PostgreSQL only pattern ops make LIKE 'p%' indexable under any locale.
    __table_args__ = (Index("ix_organisation_path", "path", postgresql_ops={"path": "varchar_pattern_ops"}),)

    id: int | None = Field(default=None, primary_key=True)
    parent_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    path: str = Field(default="", max_length=400)
    depth: int = 0
    name: str = Field(max_length=100)
    short_name: str = Field(max_length=20)
    number_prefix: str = Field(default="", max_length=20)  # 案号前缀; empty: the short name (portal.cases.numbers)
    number_word: str = Field(default="人调字", max_length=10)  # 案号字号: 人调字, 医调字, 交调字, 诉调字 …
    division_code: str | None = Field(default=None, max_length=12)
    tier: Tier = Field(sa_type=enum_column(Tier))
    kind: OrgKind = Field(sa_type=enum_column(OrgKind))
    active: bool = True
    sort_order: int = 0
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    @property
    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to the parent."""
        return [int(p) for p in self.path.strip("/").split("/")[:-1] if p]


class Supervision(SQLModel, table=True):
    """A supervising body (司法局, 司法所, a city body) and one subtree it supervises (DOMAIN §8).

    Stored by ids, so it follows the tree when either organisation moves; its 督导 read the subtree (portal.scope).
    """

    __tablename__ = "supervision"
    __table_args__ = (UniqueConstraint("org_id", "supervised_id", name="uq_supervision_pair"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    supervised_id: int = Field(foreign_key="organisation.id", index=True)
    created_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)
