"""One settings object, read from PORTAL_* environment variables and an optional .env file."""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path

from pydantic import Field
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
    session_idle_minutes: int = 30
    session_cache_seconds: float = 2.0  # how long a worker remembers who a session is (0: look it up on every request)
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
    dossier_due_days: int = 60  # the register check (portal.stats.consistency): closed this long without a filed dossier
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

    @property
    def archive_dir(self) -> Path:
        """Bound dossiers, stored by SHA-256 (PORTAL_ARCHIVE_DIR, or <data dir>/archive)."""
        return self.archive_dir_override or self.data_dir / "archive"

    workers: int = 2
    access_log: bool = (
        False  # one log line per request from `portal serve`; the reverse proxy in front usually keeps these
    )

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
