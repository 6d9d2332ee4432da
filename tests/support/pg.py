"""A throw-away PostgreSQL server started from the machine's own binaries.

initdb and postgres refuse to run as root, so when the tests run as root the server runs as
the `postgres` system user (created by Debian's postgresql package) in a temporary folder it owns.
The server listens on 127.0.0.1 on a free port, with its unix socket in the same folder, and
trusts every local connection (user `postgres`, no password).
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg import sql

from support.net import free_port

SUPERUSER = "postgres"
SERVER_OPTIONS = (
    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
    "-c max_connections=200 -c shared_buffers=64MB -c wal_level=minimal -c max_wal_senders=0 "
    "-c checkpoint_timeout=1d -c max_wal_size=2GB -c autovacuum=off "
    "-c log_min_messages=warning -c log_min_error_statement=panic"
)


class PostgresUnavailable(RuntimeError):
    """The machine has no PostgreSQL server binaries (scripts/setup installs them)."""


def find_bindir() -> Path:
    """The folder holding initdb, pg_ctl and postgres."""
    candidates: list[Path] = []
    override = os.environ.get("PORTAL_TEST_PG_BINDIR")
    if override:
        candidates.append(Path(override))
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=True).stdout
            candidates.append(Path(out.strip()))
        except (OSError, subprocess.CalledProcessError):
            pass

    def version_key(path: str) -> tuple[int, ...]:
        parts = Path(path).parent.name.split(".")
        return tuple(int(p) for p in parts if p.isdigit())

    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version_key, reverse=True)]
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).parent)
    for bindir in candidates:
        if all((bindir / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return bindir
    raise PostgresUnavailable(
        "PostgreSQL server binaries not found (looked in pg_config --bindir and /usr/lib/postgresql/*/bin); "
        "run scripts/setup"
    )


TEMP_PREFIX = "portal-pg-"


def temp_base() -> str | None:
    """/dev/shm when it is a usable memory file system (about 30x faster CREATE DATABASE), else the default."""
    override = os.environ.get("PORTAL_TEST_PG_TMPDIR")
    if override:
        return override
    shm = "/dev/shm"
    try:
        stats = os.statvfs(shm)
    except OSError:
        return None
    if os.access(shm, os.W_OK | os.X_OK) and stats.f_bavail * stats.f_frsize > 1 << 30:
        return shm
    return None


def reap_stale(base: str | None) -> None:
    """Remove folders left by earlier runs that were killed (their server is gone, and they are old)."""
    base = base or tempfile.gettempdir()
    for folder in glob.glob(os.path.join(base, TEMP_PREFIX + "*")):
        try:
            if time.time() - os.stat(folder).st_mtime < 3600:
                continue
            pid_file = Path(folder) / "data" / "postmaster.pid"
            if pid_file.exists():
                pid = int(pid_file.read_text().split()[0])
                try:
                    os.kill(pid, 0)
                    continue  # still running: not ours to touch
                except ProcessLookupError:
                    pass
            shutil.rmtree(folder, ignore_errors=True)
        except (OSError, ValueError, IndexError):
            continue


class PostgresServer:
    """One running server; `start()` then `stop()` (or use it as a context manager)."""

    def __init__(self, bindir: Path | None = None) -> None:
        self.bindir = bindir or find_bindir()
        self.host = "127.0.0.1"
        self.port = 0
        self.root: Path | None = None
        self._as_user: list[str] = []
        self._counter = 0
        self.version = 0

    # -- paths -------------------------------------------------------------------------------
    @property
    def datadir(self) -> Path:
        assert self.root is not None
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        assert self.root is not None
        return self.root

    @property
    def logfile(self) -> Path:
        assert self.root is not None
        return self.root / "server.log"

    # -- life cycle --------------------------------------------------------------------------
    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = [*self._as_user, *args]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=self.root, stdin=subprocess.DEVNULL)
        if proc.returncode != 0:
            log = self.logfile.read_text(errors="replace")[-4000:] if self.logfile.exists() else ""
            raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}\n{log}")
        return proc

    def start(self) -> PostgresServer:
        base = temp_base()
        reap_stale(base)
        self.root = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=base))
        if os.geteuid() == 0:
            try:
                user = pwd.getpwnam("postgres")
            except KeyError as exc:  # pragma: no cover - the postgresql package creates the user
                raise PostgresUnavailable(
                    "running as root but there is no `postgres` user to run the server as"
                ) from exc
            os.chown(self.root, user.pw_uid, user.pw_gid)
            runuser = shutil.which("runuser") or "/usr/sbin/runuser"
            self._as_user = [runuser, "-u", "postgres", "--"]
        self._run(
            str(self.bindir / "initdb"),
            "-D", str(self.datadir),
            "-U", SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
            "--no-instructions",
        )  # fmt: skip
        last_error: Exception | None = None
        for _attempt in range(5):
            self.port = free_port(self.host)
            options = f"{SERVER_OPTIONS} -c listen_addresses={self.host} -p {self.port} -k {self.socket_dir}"
            try:
                self._run(
                    str(self.bindir / "pg_ctl"), "start", "-w", "-t", "60",
                    "-D", str(self.datadir), "-l", str(self.logfile), "-o", options,
                )  # fmt: skip
                break
            except RuntimeError as exc:  # port taken in the meantime: try another
                last_error = exc
                time.sleep(0.2)
        else:
            shutil.rmtree(self.root, ignore_errors=True)
            raise RuntimeError(f"PostgreSQL did not start: {last_error}")
        atexit.register(self.stop)
        with self.connect() as conn:
            self.version = conn.info.server_version
        return self

    def stop(self) -> None:
        if self.root is None:
            return
        if (self.datadir / "postmaster.pid").exists():
            with contextlib.suppress(RuntimeError):
                self._run(str(self.bindir / "pg_ctl"), "stop", "-D", str(self.datadir), "-m", "immediate", "-w")
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- databases ---------------------------------------------------------------------------
    def url(self, dbname: str = "postgres", driver: str = "postgresql+psycopg") -> str:
        """An SQLAlchemy URL for `dbname` on this server."""
        return f"{driver}://{SUPERUSER}@{self.host}:{self.port}/{dbname}"

    def socket_url(self, dbname: str = "postgres", driver: str = "postgresql+psycopg") -> str:
        """The same through the server's Unix-domain socket, as a portal on the database's own machine would connect."""
        return f"{driver}://{SUPERUSER}@/{dbname}?host={self.socket_dir}&port={self.port}"

    def connect(self, dbname: str = "postgres") -> psycopg.Connection:
        """A plain autocommit psycopg connection (for CREATE/DROP DATABASE and checks)."""
        return psycopg.connect(host=self.host, port=self.port, user=SUPERUSER, dbname=dbname, autocommit=True)

    def create_database(self, name: str, template: str | None = None) -> str:
        query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            query = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template))
            if self.version >= 150000:  # a plain file copy: fastest for a small template
                query += sql.SQL(" STRATEGY FILE_COPY")
        with self.connect() as conn:
            conn.execute(query)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop `name`, ending any connections still open to it."""
        with self.connect() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def new_database_name(self, prefix: str = "test") -> str:
        self._counter += 1
        return f"{prefix}_{self._counter}"
