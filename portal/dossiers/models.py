"""Dossier tables: versions (each binding one), binding jobs, signed scans, fixity runs, disposal records."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from portal.db import utcnow


class DossierVersion(SQLModel, table=True):
    """One bound PDF of a case, stored by SHA-256; filed (立卷归档) or a draft binding. Never changed, never deleted
    (a destruction after retention removes the bytes and keeps this row with its checksums)."""

    __tablename__ = "dossier_version"
    __table_args__ = (UniqueConstraint("case_id", "version", name="uq_dossier_version"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    version: int
    status: str = Field(default="draft", max_length=12, index=True)  # draft | filed | superseded | destroyed
    variant: str = Field(max_length=12)
    sha256: str = Field(max_length=64, index=True)
    storage_key: str = Field(max_length=120)
    size: int
    page_count: int
    total_pages: int
    manifest_sha256: str = Field(max_length=64)
    manifest_key: str = Field(max_length=120)
    title: str = Field(default="", max_length=200)  # 卷名 as filed
    volume_number: str = Field(default="", max_length=60)
    archive_number: str = Field(default="", max_length=60)
    notes: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))  # 备注
    filed_by: int | None = Field(default=None, foreign_key="person.id")
    filed_by_name: str = Field(default="", max_length=64)
    checker_name: str = Field(default="", max_length=64)
    retention: str = Field(default="", max_length=10)
    retention_ends_on: date | None = Field(default=None, index=True)
    filed_at: datetime | None = None
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_by: int = Field(foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)


ACTIVE_JOB = text("status IN ('queued', 'running')")


class ArchiveNumber(SQLModel, table=True):
    """A 档号 given to a case: unique (the primary key), so two filings can never take the same one; kept when a
    correction files a new version, never reused. `series` and `seq` are the 全宗号-年度-保管期限 and the 件号."""

    __tablename__ = "archive_number"

    number: str = Field(primary_key=True, max_length=60)
    case_id: int = Field(foreign_key="case.id", index=True)
    series: str = Field(default="", max_length=60, index=True)
    seq: int = 0
    created_at: datetime = Field(default_factory=utcnow)


class BindingJob(SQLModel, table=True):
    """A binding running in the background: its progress, and its error when it fails (kept, never lost)."""

    __tablename__ = "dossier_job"
    __table_args__ = (  # one binding at a time per case
        Index("uq_dossier_job_active", "case_id", unique=True, sqlite_where=ACTIVE_JOB, postgresql_where=ACTIVE_JOB),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    purpose: str = Field(default="draft", max_length=10)  # draft | file
    status: str = Field(default="queued", max_length=10)  # queued | running | done | failed
    progress: int = 0
    message: str = Field(default="", max_length=200)
    error: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    params: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    version_id: int | None = Field(default=None, foreign_key="dossier_version.id")
    requested_by: int = Field(foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None


class SignedScan(SQLModel, table=True):
    """An uploaded signed scan that takes a generated document's place in the dossier."""

    __tablename__ = "dossier_scan"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    file_id: int = Field(foreign_key="case_file.id")
    doc_key: str = Field(max_length=40)  # "rights", "agreement:12", …
    created_at: datetime = Field(default_factory=utcnow)


class FixityRun(SQLModel, table=True):
    """One fixity check over every stored dossier: counts and the problems found."""

    __tablename__ = "fixity_run"

    id: int | None = Field(default=None, primary_key=True)
    trigger: str = Field(max_length=10)  # schedule | cli
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    checked: int = 0
    missing: int = 0
    changed: int = 0
    problems: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class DisposalRecord(SQLModel, table=True):
    """An archivist's decision on a dossier whose retention ended: destroyed (checksums kept) or extended."""

    __tablename__ = "dossier_disposal"

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="dossier_version.id", index=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    case_number: str = Field(max_length=60)
    decision: str = Field(max_length=10)  # destroy | extend
    old_retention: str = Field(max_length=10)
    new_retention: str = Field(default="", max_length=10)
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    sha256: str = Field(max_length=64)
    manifest_sha256: str = Field(max_length=64)
    storage_key: str = Field(max_length=120)
    decided_by: int = Field(foreign_key="person.id")
    decided_at: datetime = Field(default_factory=utcnow)
