"""The local store: one SQLite file (WAL, foreign keys on) opened through sqlite-utils.

Every write runs in :meth:`Store.atomic`. Errors the user can act on (disk full, read-only
folder, file locked by another program) become :class:`StoreError` with a Chinese message;
anything else is a bug and propagates unchanged.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from common.errors import UserError
from common.paths import STORE_FILE

if TYPE_CHECKING:
    import sqlite_utils


class StoreError(UserError):
    """A problem with the store that the user can act on; ``str()`` is Chinese."""


class RecordError(UserError):
    """An action on a record that is refused, with the reason in Chinese."""


_KNOWN = (
    ("database is locked", "数据文件正被另一个程序使用，请关闭其他打开本程序的窗口后重试"),
    ("database or disk is full", "磁盘已满，无法保存。请清理磁盘空间后重试，已输入的内容没有丢失"),
    ("disk i/o error", "读写磁盘出错（U盘或移动硬盘是否已拔出？），本次操作未保存"),
    ("readonly database", "数据文件是只读的，无法保存。请检查文件夹权限"),
    ("unable to open database", "无法打开数据文件，请检查数据文件夹是否存在、是否有权限"),
    ("file is not a database", "数据文件已损坏或不是本程序的数据文件"),
)


@contextlib.contextmanager
def known_errors() -> Iterator[None]:
    """Turn SQLite errors the user can act on into :class:`StoreError`."""
    try:
        yield
    except sqlite3.DatabaseError as exc:
        text = str(exc).lower()
        for needle, message in _KNOWN:
            if needle in text:
                raise StoreError(message) from exc
        raise


def now() -> str:
    return dt.datetime.now().isoformat(timespec="seconds")


class Store:
    """An open store. Use :func:`open_store` to get one.

    Reads go straight to the sqlite3 connection; writes run in :meth:`atomic`, through
    sqlite-utils (imported when first needed, to keep start-up light).
    """

    def __init__(self, conn: sqlite3.Connection, path: Path | None) -> None:
        self.conn = conn
        self.path = path
        self._db: sqlite_utils.Database | None = None

    @property
    def db(self) -> sqlite_utils.Database:
        """The sqlite-utils view of the same connection."""
        if self._db is None:
            import sqlite_utils

            self._db = sqlite_utils.Database(self.conn, execute_plugins=False)
        return self._db

    @contextlib.contextmanager
    def atomic(self) -> Iterator[sqlite_utils.Database]:
        """One transaction (nested calls become savepoints)."""
        with known_errors(), self.db.atomic() as db:
            yield db

    def query(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        with known_errors():
            cursor = self.conn.execute(sql, params)
            names = [d[0] for d in cursor.description or ()]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def scalar(self, sql: str, params: Any = ()) -> Any:
        with known_errors():
            row = self.conn.execute(sql, params).fetchone()
        return row[0] if row else None

    def setting(self, key: str, default: str | None = None) -> str | None:
        value = self.scalar("SELECT value FROM settings WHERE key = ?", (key,))
        return default if value is None else str(value)

    def set_setting(self, key: str, value: str) -> None:
        with self.atomic():
            self.conn.execute("INSERT INTO settings(key, value) VALUES(?, ?) "
                              "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))

    def refresh_statistics(self) -> bool:
        """Give SQLite's planner current statistics (``ANALYZE``) when missing or stale.

        Without them SQLite takes ``deleted_at IS NULL`` for a selective index and a search over
        50,000 people costs five times more. Stale: a table with an index holds 200 rows or more, and
        it holds less than half or more than twice the rows it held when last analysed, or one of its
        indexes has no statistics (one a migration added). A partial index that holds no row gets none
        from ``ANALYZE``, so it is not counted. Cheap: a ``count(*)`` per indexed table; ANALYZE only
        when needed. Taken when the store is opened and after an import, never at close: SQLite's own
        ``PRAGMA optimize`` (before 3.46) analysed the people table again at every close, for that
        empty partial index — half a second a command at 200,000 people.
        """
        conn = self.conn
        try:
            # the rows a table had: its largest index's count (a partial index holds only some of them)
            known = {r[0]: r[1] for r in conn.execute(
                "SELECT tbl, max(CAST(stat AS INTEGER)) FROM sqlite_stat1 WHERE idx IS NOT NULL GROUP BY tbl")}
            analysed = {r[0] for r in conn.execute("SELECT idx FROM sqlite_stat1 WHERE idx IS NOT NULL")}
        except sqlite3.OperationalError:  # never analysed
            known, analysed = {}, set()
        stale = False
        for table, indexes in _indexes_by_table(conn).items():
            rows = int(self.scalar(f'SELECT count(*) FROM "{table}"'))
            if rows < 200:
                continue
            estimate = int(known.get(table) or 0)
            missing = set(indexes) - analysed
            if missing:
                partial = {r[1] for r in conn.execute(f'PRAGMA index_list("{table}")') if r[4]}
                missing -= partial
            if missing or not estimate / 2 <= rows <= estimate * 2:
                stale = True
                break
        if stale:
            try:
                conn.execute("ANALYZE")  # one statement: its own transaction, or part of the caller's
            except sqlite3.Error:  # a read-only or busy store: only speed is lost
                return False
        return stale

    def close(self) -> None:
        self.conn.close()


def _indexes_by_table(conn: sqlite3.Connection) -> dict[str, list[str]]:
    """The indexes of each table of the store's own (not those of the search indexes' tables, which SQLite keeps
    and ``ANALYZE`` covers anyway)."""
    from models.migrations import search_index_tables

    derived = search_index_tables(conn)
    tables: dict[str, list[str]] = {}
    for name, table in conn.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'index'"):
        if not table.startswith("sqlite_") and table not in derived:
            tables.setdefault(table, []).append(name)
    return tables


def read_only_uri(path: Path) -> str:
    """A read-only SQLite URI; ``as_uri`` percent-encodes Chinese, spaces and ``#`` (Windows: file:///C:/…)."""
    return f"{path.resolve().as_uri()}?mode=ro"


def open_read_only(path: Path) -> Store:
    """The store file ``path``, opened only to read (a helper process that verifies received files looks up the
    registered certificates and installed definitions while the program writes what it received)."""
    with known_errors():
        conn = sqlite3.connect(read_only_uri(path), uri=True)
        conn.execute("PRAGMA busy_timeout = 3000")
    return Store(conn, path)


def upgrade_pending(data_dir: Path | str | None = None) -> bool:
    """Whether the store in ``data_dir`` exists and opening it will bring an older schema up to date (which
    builds indexes: seconds at province scale, worth showing). Read-only; False when it cannot tell."""
    from common.paths import default_data_dir
    from models.migrations import MIGRATIONS

    path = (Path(data_dir) if data_dir else default_data_dir()) / STORE_FILE
    if not path.is_file():
        return False
    try:
        conn = sqlite3.connect(read_only_uri(path), uri=True)
        try:
            pending = MIGRATIONS.pending(conn)
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    return 0 < len(pending) < len(MIGRATIONS.names)


def open_store(data_dir: Path | str | None = None, *, memory: bool = False) -> Store:
    """Open (creating if needed) the store in ``data_dir`` and bring its schema up to date."""
    from common.paths import default_data_dir
    from models.migrations import MIGRATIONS

    with known_errors():
        if memory:
            conn = sqlite3.connect(":memory:")
            path = None
        else:
            folder = Path(data_dir) if data_dir else default_data_dir()
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                from common.atomic_file import os_reason

                raise StoreError(f"无法创建数据文件夹“{folder}”：{os_reason(exc)}") from exc
            path = folder / STORE_FILE
            conn = sqlite3.connect(str(path))
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA busy_timeout = 3000")
        # A statement with triggers keeps a journal of the pages it changes, to undo itself alone; past 64 KiB
        # (a person's row and its dozen indexes) SQLite spills it into a new temporary file, for every row an
        # import writes. In memory instead (10,000 people inserted one statement each: 0.79 → 0.43 s).
        conn.execute("PRAGMA temp_store = MEMORY")
        store = Store(conn, path)
        from common import leftovers

        leftovers.set_data_dir(path.parent if path is not None else None)
        pending = MIGRATIONS.pending(conn)
        if pending:
            if path is not None and len(pending) < len(MIGRATIONS.names):  # an existing store: keep its old form
                from models.backup import snapshot

                snapshot(store, "migration")
            MIGRATIONS.apply(store.db)
        store.refresh_statistics()
    return store
