"""Where a journal lives and how it is opened: URL resolution and masking, the SQLAlchemy engine (SQLite in
WAL mode with a busy timeout and immediate write locks; PostgreSQL through psycopg 3) and the Alembic
migrations, applied programmatically to head (no alembic.ini)."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

from tradeforge.errors import ConfigError

__all__ = ["MODES", "resolve_url", "mask_url", "default_path", "make_engine", "migrate", "is_sqlite",
           "sqlite_path", "HEAD"]

MODES = ("paper", "live")
HEAD = "0003"
BUSY_TIMEOUT_MS = 30_000
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_PG_LOCK = 0x7466_6A6E  # advisory lock key serialising concurrent migrations on one PostgreSQL database
_ALEMBIC = threading.Lock()  # alembic's migration context is process-global: one upgrade at a time


def default_path(account: str, mode: str, root: str | Path = "runs/journal") -> Path:
    """The SQLite file of *account* in *mode*: ``<root>/<account>-<mode>.db``.

    Examples
    --------
    >>> default_path("PA1TEST0001", "paper").as_posix()
    'runs/journal/PA1TEST0001-paper.db'
    """
    check_mode(mode)
    if not account or not re.fullmatch(r"[A-Za-z0-9_.-]+", account) or account.startswith("."):
        raise ConfigError(f"account: {account!r} cannot name a journal file; expected letters, digits, '_', "
                          "'-' or '.' (the broker's account number)")
    return Path(root) / f"{account}-{mode}.db"


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise ConfigError(f"mode: expected 'paper' or 'live', got {mode!r}")
    return mode


def resolve_url(url: str | Path | None, account: str, mode: str, root: str | Path = "runs/journal") -> str:
    """The SQLAlchemy URL of a journal: *url* as given (``sqlite:///...``, ``postgresql+psycopg://...``;
    ``postgresql://`` means psycopg 3; a plain path means a SQLite file), or, for ``None``, the SQLite
    file of *account* and *mode* under *root*."""
    if url is None:
        return f"sqlite:///{default_path(account, mode, root).as_posix()}"
    text = str(url)
    if "://" not in text:
        return f"sqlite:///{Path(text).as_posix()}"
    scheme = text.split("://", 1)[0]
    if scheme in ("postgresql", "postgres"):
        return "postgresql+psycopg://" + text.split("://", 1)[1]
    if scheme in ("sqlite", "sqlite+pysqlite", "postgresql+psycopg"):
        return text
    raise ConfigError(f"--db {mask_url(text)!r}: unsupported database; expected a SQLite path, "
                      "sqlite:///FILE or postgresql+psycopg://USER:PASSWORD@HOST/DB")


def mask_url(url: str) -> str:
    """*url* with any password replaced by ``***`` (safe for logs, reprs and messages).

    Examples
    --------
    >>> mask_url("postgresql+psycopg://tf:s3cret@127.0.0.1:5432/journal")
    'postgresql+psycopg://tf:***@127.0.0.1:5432/journal'
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (``None`` for in-memory or other databases)."""
    from sqlalchemy.engine import make_url

    database = make_url(url).database if is_sqlite(url) else None
    return Path(database) if database and database != ":memory:" else None


def _sqlite_engine(url: str) -> Any:
    import sqlalchemy as sa

    connect_args = {"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000}
    engine = sa.create_engine(url, connect_args=connect_args)

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # transactions are begun explicitly below
        cursor = dbapi_conn.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = FULL")  # a commit survives power loss, not only a kill -9
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        # take the write lock up front: a deferred transaction that reads, then writes, fails at once with
        # SQLITE_BUSY (no busy wait) when another connection committed in between
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def make_engine(url: str) -> Any:
    """An engine for *url*; a SQLite file's folder is created."""
    import sqlalchemy as sa

    if is_sqlite(url):
        path = sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        return _sqlite_engine(url)
    return sa.create_engine(url, pool_pre_ping=True)


def _config(connection: Any) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def migrate(engine: Any, shown_url: str) -> None:
    """Upgrade the database to the newest schema revision in one transaction (concurrent openers wait)."""
    from alembic import command
    from alembic.util.exc import CommandError

    with _ALEMBIC, engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK})")
        try:
            command.upgrade(_config(conn), "head")
        except CommandError as exc:
            raise ConfigError(f"journal {shown_url}: schema revision unknown to this tradeforge ({exc}); "
                              "it was written by a newer tradeforge: upgrade tradeforge to open it") from None


def current_revision(engine: Any) -> str | None:
    """The schema revision of the database (``None``: not a migrated journal)."""
    from alembic.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
