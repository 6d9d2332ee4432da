"""One settings object, read from PORTAL_* environment variables and an optional .env file."""

from __future__ import annotations

import secrets
from functools import cached_property
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Everything the portal can be told; every field is documented in the README."""

    model_config = SettingsConfigDict(env_prefix="PORTAL_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default=PROJECT_ROOT / "var")
    database_url: str = ""
    secret_key: str = ""
    debug: bool = False
    demo_mode: bool = False
    cookie_secure: bool = False
    health_token: str = ""  # shows /healthz's details to a monitor that sends it (Authorization: Bearer …)
    session_idle_minutes: int = 30
    session_cache_seconds: float = 2.0  # how long a worker may keep a session's roles for organisation-level changes
    session_max_hours: int = 12
    login_max_failures_account: int = 5
    login_max_failures_address: int = 20
    login_lock_minutes: int = 15
    page_size: int = 50
    site_name: str = "调解卷宗门户"
    timezone: str = "Asia/Shanghai"
    mediation_days: int = 30
    transfer_answer_days: int = 7
    followup_days: int = 7
    due_soon_days: int = 5
    recent_case_days: int = 180
    escalate_director_days: int = 3  # overdue this many days: on the director's workspace (督办)
    escalate_supervisor_days: int = 10  # … and on the supervising body's
    alert_min_count: int = 4  # 预警: the least count of a month (or a CUSUM run) that may raise an alert
    alert_p_yellow: float = 0.01
    alert_p_red: float = 0.001
    alert_repeat_cases: int = 3  # a party's ID number in this many open or recent cases is a repeat petition
    dossier_due_days: int = (
        60  # the register check (portal.stats.consistency): closed this long without a filed dossier
    )
    upload_max_mb: int = 20
    indexer_batch_size: int = 200
    indexer_poll_seconds: float = 0.5
    indexer_in_server: bool = True

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    archive_dir_override: Path | None = Field(default=None, alias="PORTAL_ARCHIVE_DIR")
    dossier_pdf_variant: str = "pdf/a-3b"
    dossier_page_numbers: str = "top-right"
    fixity_interval_minutes: int = 1440
    # 档号 proposed at filing: 全宗号-年度-保管期限代码-件号 (DA/T 22) by default, or the county's own pattern with
    # the fields {fonds} {year} {term} {seq} {prefix} {case_seq}; 件号 ({seq}) counts per 全宗号, 年度 and 保管期限.
    archive_number_pattern: str = "{fonds}-{year}-{term}-{seq:04d}"
    archive_fonds_code: str = ""  # 全宗号; empty: the handling committee's short name

    @field_validator("archive_number_pattern")
    @classmethod
    def _numbering(cls, value: str) -> str:
        if "{seq" not in value:
            raise ValueError("PORTAL_ARCHIVE_NUMBER_PATTERN must contain {seq} (the 件号 that keeps numbers apart)")
        try:
            value.format(fonds="J1", year=2026, term="D10", seq=1, prefix="东", case_seq=1)
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"PORTAL_ARCHIVE_NUMBER_PATTERN cannot be used: {exc}") from exc
        return value

    @property
    def archive_dir(self) -> Path:
        """Bound dossiers, stored by SHA-256 (PORTAL_ARCHIVE_DIR, or <data dir>/archive)."""
        return self.archive_dir_override or self.data_dir / "archive"

    # Addresses (or networks, 10.0.0.0/8) of the reverse proxies in front: only from them is X-Forwarded-For believed.
    trusted_proxies: str = ""
    workers: int = 2
    threads: int = 8  # per worker process: the threads that run handlers (each with at most one pooled connection)
    access_log: bool = (
        False  # one log line per request from `portal serve`; the reverse proxy in front usually keeps these
    )

    @cached_property
    def trusted_networks(self) -> tuple[IPv4Network | IPv6Network, ...]:
        """PORTAL_TRUSTED_PROXIES, comma-separated, as networks (a single address is a network of one)."""
        return tuple(ip_network(part.strip(), strict=False) for part in self.trusted_proxies.split(",") if part.strip())

    @cached_property
    def effective_database_url(self) -> str:
        """The configured URL, or a SQLite file under the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'portal.sqlite3'}"

    @property
    def templates_dir(self) -> Path:
        return PROJECT_ROOT / "templates"

    @property
    def static_dir(self) -> Path:
        return PROJECT_ROOT / "static"

    def effective_secret_key(self) -> str:
        """The configured secret, or one generated once and kept under the data directory."""
        if self.secret_key:
            return self.secret_key
        key_file = self.data_dir / "secret_key"
        if not key_file.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            key_file.write_text(secrets.token_urlsafe(48))
            key_file.chmod(0o600)
        return key_file.read_text().strip()
