"""Backups, automatic snapshots and restore of a data folder (no Qt).

A backup is one ``.zip`` file holding ``manifest.json``, a consistent copy of the store made with
SQLite's online backup API (so it is right while the program is open), the encrypted keys
(``keys/``) and ``preferences.ini``. It is written to a temporary name and renamed when complete,
then read back and checked: every member against the SHA-256 in the manifest, the database with
``PRAGMA integrity_check`` and its record digest.

Snapshots are the same files, made automatically before risky operations (import, undo of an
import, finalise, receive, consolidate, restore, a schema migration) in the data folder's
``snapshots/``; the oldest are dropped beyond :data:`SNAPSHOT_MAX_COUNT` files or
:data:`SNAPSHOT_MAX_BYTES` bytes. A snapshot is read back with ``PRAGMA quick_check`` (every page
and record sound, not every index entry against its table: 0.1–0.3 s for 50,000 people against
1.2–2 s), since the copy is made page by page from the live store and a new snapshot is made before
every such operation. Restoring any file, a snapshot included, checks it in full first.

Restore copies the backup's database into the open store with the same backup API, in one
write transaction: a power cut leaves the old store or the new one, never a mixture.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from common.atomic_file import atomic_path, os_reason, write_bytes_atomic
from forms.records import kind_titles
from models.db import Store, StoreError, known_errors, read_only_uri

FORMAT = "changai-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DB_MEMBER = "store.sqlite3"
KEYS_FOLDER = "keys"
PREFERENCES_FILE = "preferences.ini"
SNAPSHOT_FOLDER = "snapshots"
SNAPSHOT_MAX_COUNT = 20
SNAPSHOT_MAX_BYTES = 500 * 1024 * 1024
REMIND_DAYS_SETTING = "backup_remind_days"
LAST_BACKUP_SETTING = "backup_last_at"
DEFAULT_REMIND_DAYS = 7
MAX_MEMBER_BYTES = 4 * 1024 * 1024 * 1024  # refuse absurd members (a damaged or hostile file)

CAUSES = {
    "manual": "手动备份",
    "import": "导入之前",
    "import_undo": "撤销导入之前",
    "finalise": "定稿之前",
    "receive": "接收报表之前",
    "consolidate": "汇总定稿之前",
    "restore": "从备份恢复之前",
    "migration": "升级数据库之前",
}

KIND_TABLES = tuple((kind, title) for kind, title in kind_titles().items())  # (kind, 人员 …) from forms.records

Progress = Callable[[int, int, str], None]


class BackupError(StoreError):
    """A backup that cannot be written, read or restored; ``str()`` says why, in Chinese."""


@dataclasses.dataclass(frozen=True)
class BackupInfo:
    """What a backup holds (from its manifest, checked against the members)."""

    path: Path
    manifest: dict[str, Any]

    @property
    def unit_code(self) -> str:
        return str((self.manifest.get("unit") or {}).get("code") or "")

    @property
    def unit_name(self) -> str:
        return str((self.manifest.get("unit") or {}).get("name") or "")

    @property
    def created_at(self) -> str:
        return str(self.manifest.get("created_at") or "")

    @property
    def cause(self) -> str:
        return str(self.manifest.get("cause") or "manual")

    @property
    def cause_title(self) -> str:
        return str(self.manifest.get("cause_text") or CAUSES.get(self.cause, self.cause))

    @property
    def counts(self) -> dict[str, int]:
        return dict(self.manifest.get("counts") or {})

    @property
    def versions(self) -> list[dict[str, Any]]:
        return list(self.manifest.get("versions") or [])

    @property
    def size(self) -> int:
        try:
            return self.path.stat().st_size
        except OSError:
            return 0

    def summary_lines(self) -> list[str]:
        """What the backup holds, in Chinese, one fact a line."""
        unit = f"{self.unit_name}（{self.unit_code}）" if self.unit_code else "尚未设置本单位"
        lines = [f"单位：{unit}", f"备份时间：{self.created_at.replace('T', ' ')}（{self.cause_title}）"]
        counts = self.counts
        lines.append("记录：" + "，".join(f"{title}{counts.get(kind, 0)}条" for kind, title in KIND_TABLES)
                     + f"，荣誉{counts.get('honours', 0)}条")
        own = self.versions
        if own:
            text = "，".join(f"{v['period']}第{v['version']}版" for v in own[-8:])
            lines.append(f"已定稿的报表：{len(own)}个版本（{'…，' if len(own) > 8 else ''}{text}）")
        else:
            lines.append("已定稿的报表：无")
        received = int(self.manifest.get("received") or 0)
        if received:
            lines.append(f"已接收的下级报表：{received}份")
        lines.append(f"修改历史：{int(counts.get('history', 0))}条；签名密钥文件：{len(self.manifest.get('keys') or [])}个")
        return lines


# ---------------------------------------------------------------------------------------------
# Facts about a database


def _rows(conn: sqlite3.Connection, sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
    try:
        return list(conn.execute(sql, params).fetchall())
    except sqlite3.OperationalError:  # an older schema without that table
        return []


def describe_db(conn: sqlite3.Connection) -> dict[str, Any]:
    """Unit, record counts, schema migrations and finalised versions of a database."""
    unit = _rows(conn, "SELECT code, name, level FROM unit WHERE id = 1")
    counts: dict[str, int] = {}
    for kind, _title in KIND_TABLES:
        found = _rows(conn, f"SELECT count(*) FROM {kind} WHERE deleted_at IS NULL")
        counts[kind] = int(found[0][0]) if found else 0
    for name, sql in (("honours", "SELECT count(*) FROM honours h JOIN people p ON p.id = h.person_id "
                                  "WHERE p.deleted_at IS NULL"),
                      ("deleted", "SELECT " + " + ".join(f"(SELECT count(*) FROM {k} WHERE deleted_at IS NOT NULL)"
                                                         for k, _t in KIND_TABLES)),
                      ("history", "SELECT count(*) FROM history")):
        found = _rows(conn, sql)
        counts[name] = int(found[0][0]) if found else 0
    versions = [{"period": r[0], "version": r[1], "finalised_at": r[2]} for r in _rows(
        conn, "SELECT period, version, created_at FROM returns ORDER BY period, version")]
    received = _rows(conn, "SELECT count(*) FROM received_returns WHERE status = 'valid'")
    from models.migrations import MIGRATION_SET

    schema = [r[0] for r in _rows(conn, "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY rowid",
                                  (MIGRATION_SET,))]
    return {
        "unit": {"code": unit[0][0], "name": unit[0][1], "level": unit[0][2]} if unit else None,
        "counts": counts,
        "versions": versions,
        "received": int(received[0][0]) if received else 0,
        "schema": schema,
    }


def content_digest(conn: sqlite3.Connection, exclude: tuple[str, ...] = ()) -> str:
    """SHA-256 over every row of every table (in rowid order): equal digests, equal stores record for record.
    The search indexes are left out: derived from the records, their layout depends on the order of writes."""
    from models.migrations import search_index_tables

    digest = hashlib.sha256()
    tables = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    derived = search_index_tables(conn)
    for table in (t for t in tables if t not in exclude and t not in derived):
        digest.update(f"\x00table {table}\x00".encode())
        cursor = conn.execute(f'SELECT * FROM "{table}" ORDER BY rowid')
        while rows := cursor.fetchmany(5000):  # one repr per batch: the same batches on both sides
            digest.update(repr(rows).encode("utf-8"))
    return digest.hexdigest()


def integrity_problem(conn: sqlite3.Connection, *, quick: bool = False) -> str | None:
    """``None`` when ``PRAGMA integrity_check`` (with ``quick``: ``quick_check``) finds nothing, else its first
    message."""
    try:
        result = conn.execute("PRAGMA quick_check" if quick else "PRAGMA integrity_check").fetchall()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    first = str(result[0][0]) if result else "无结果"
    return None if first == "ok" else first


# ---------------------------------------------------------------------------------------------
# Writing a backup


def backup_file_name(unit_code: str, unit_name: str, when: dt.datetime) -> str:
    """``产改备份_530821_宁洱哈尼族彝族自治县总工会_20261130-091500.zip`` (fields, not strftime)."""
    stamp = (f"{when.year:04d}{when.month:02d}{when.day:02d}-"
             f"{when.hour:02d}{when.minute:02d}{when.second:02d}")
    safe = re.sub(r'[\\/:*?"<>|\s]+', "", unit_name)[:40]
    parts = ["产改备份", unit_code, safe, stamp] if unit_code else ["产改备份", stamp]
    return "_".join(p for p in parts if p) + ".zip"


def data_dir_of(store: Store) -> Path:
    if store.path is None:
        raise BackupError("内存中的临时数据库不能备份")
    return store.path.parent


def _copy_db(store: Store, target: Path) -> None:
    """A consistent copy of the open store (SQLite online backup), as a plain single-file database.

    Read through a connection of its own: it sees exactly what is committed, even while this
    process (or another window) is in the middle of a write.
    """
    assert store.path is not None
    source = sqlite3.connect(read_only_uri(store.path), uri=True)
    dest = sqlite3.connect(str(target))
    try:
        with known_errors():
            source.execute("PRAGMA busy_timeout = 3000")
            source.backup(dest)
            dest.execute("PRAGMA journal_mode = DELETE")
            dest.commit()
    finally:
        dest.close()
        source.close()


def write_backup(store: Store, out: Path, *, cause: str = "manual", cause_text: str = "",
                 progress: Progress | None = None, file_name: str | None = None) -> BackupInfo:
    """Write a backup of ``store`` into folder ``out`` (or to the file ``out`` ending in .zip); returns its info.

    The file appears only when complete and checked; on any failure nothing is left behind.
    """
    folder = data_dir_of(store)
    when = dt.datetime.now()
    _report(progress, 0, 4, "正在复制数据库……")
    with tempfile.TemporaryDirectory(prefix="changai-backup-") as tmp_name:
        db_copy = Path(tmp_name) / DB_MEMBER
        _copy_db(store, db_copy)
        conn = sqlite3.connect(str(db_copy))
        try:
            if cause == "manual":  # the restored store then knows when its last backup was made
                with conn:
                    conn.execute("INSERT INTO settings(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE "
                                 "SET value = excluded.value", (LAST_BACKUP_SETTING, when.isoformat(timespec="seconds")))
            facts = describe_db(conn)
            # A record-for-record digest (restore can be compared with it); snapshots skip it to stay quick.
            # integrity_check runs on the copy read back from the file.
            records_digest = content_digest(conn) if cause == "manual" else None
        finally:
            conn.close()
        unit = facts["unit"] or {}
        if out.suffix.lower() == ".zip":
            target = out
        else:
            target = out / (file_name or backup_file_name(unit.get("code", ""), unit.get("name", ""), when))
        members: list[tuple[str, Path]] = [(DB_MEMBER, db_copy)]
        keys = folder / KEYS_FOLDER
        if keys.is_dir():
            members += [(f"{KEYS_FOLDER}/{p.name}", p) for p in sorted(keys.iterdir()) if p.is_file()]
        prefs = folder / PREFERENCES_FILE
        if prefs.is_file():
            members.append((PREFERENCES_FILE, prefs))
        _report(progress, 1, 4, "正在写入备份文件……")
        files: dict[str, dict[str, Any]] = {}
        manifest = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "created_at": when.isoformat(timespec="seconds"),
            "cause": cause, "cause_text": cause_text or CAUSES.get(cause, cause), **facts,
            "records_digest": records_digest, "files": files,
            "keys": [name for name, _p in members if name.startswith(KEYS_FOLDER + "/")],
            "platform": sys.platform,
        }
        try:
            with atomic_path(target) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
                for name, path in members:
                    data_digest = hashlib.sha256()
                    size = 0
                    with open(path, "rb") as src, zf.open(name, "w", force_zip64=True) as dst:
                        while chunk := src.read(1 << 20):
                            data_digest.update(chunk)
                            size += len(chunk)
                            dst.write(chunk)
                    files[name] = {"sha256": data_digest.hexdigest(), "size": size}
                zf.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
                zf.close()
                _report(progress, 2, 4, "正在检查备份文件……")
                # read back before it gets its real name; a snapshot with the quick check (see the module's text)
                inspect_backup(tmp, deep=True, quick=cause != "manual")
        except OSError as exc:
            raise BackupError(f"无法写入备份文件“{target}”：{os_reason(exc)}") from exc
    _report(progress, 4, 4, "备份完成")
    if cause == "manual":
        with contextlib.suppress(StoreError):  # busy with another program's write: only the reminder is late
            store.set_setting(LAST_BACKUP_SETTING, when.isoformat(timespec="seconds"))
    return BackupInfo(target, manifest)


def _report(progress: Progress | None, done: int, total: int, text: str) -> None:
    if progress is not None:
        progress(done, total, text)


# ---------------------------------------------------------------------------------------------
# Reading and checking a backup


def _read_manifest(zf: zipfile.ZipFile, path: Path) -> dict[str, Any]:
    try:
        info = zf.getinfo(MANIFEST)
    except KeyError:
        raise BackupError(f"“{path.name}”不是本程序的备份文件（缺少清单 {MANIFEST}）") from None
    if info.file_size > 10 * 1024 * 1024:
        raise BackupError(f"“{path.name}”的清单过大，文件已损坏")
    try:
        manifest = json.loads(zf.read(MANIFEST).decode("utf-8"))
    except (ValueError, UnicodeDecodeError, zipfile.BadZipFile, OSError) as exc:
        raise BackupError(f"“{path.name}”的清单无法读取，文件已损坏（{exc}）") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"“{path.name}”不是本程序的备份文件")
    if int(manifest.get("format_version") or 0) > FORMAT_VERSION:
        raise BackupError(f"“{path.name}”由较新版本的程序制作，请先升级本程序再恢复")
    return manifest


def _check_member(zf: zipfile.ZipFile, name: str, expected: dict[str, Any], path: Path,
                  sink: Path | None = None) -> None:
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise BackupError(f"“{path.name}”缺少 {name}，文件不完整或已损坏") from None
    if info.file_size > MAX_MEMBER_BYTES or info.file_size != int(expected.get("size", -1)):
        raise BackupError(f"“{path.name}”中 {name} 的大小与清单不符，文件已损坏")
    digest = hashlib.sha256()
    out = open(sink, "wb") if sink is not None else None
    try:
        with zf.open(name) as src:
            while chunk := src.read(1 << 20):
                digest.update(chunk)
                if out is not None:
                    out.write(chunk)
    except (zipfile.BadZipFile, OSError, EOFError, zlib_error()) as exc:
        raise BackupError(f"“{path.name}”中 {name} 无法读取，文件已损坏（{exc}）") from None
    finally:
        if out is not None:
            out.close()
    if digest.hexdigest() != expected.get("sha256"):
        raise BackupError(f"“{path.name}”中 {name} 的校验值与清单不符，文件已损坏或被改动")


def zlib_error() -> type[Exception]:
    import zlib

    return zlib.error


@contextlib.contextmanager
def _open_zip(path: Path) -> Iterator[zipfile.ZipFile]:
    if not path.is_file():
        raise BackupError(f"找不到备份文件“{path}”")
    try:
        with zipfile.ZipFile(path) as zf:
            yield zf
    except zipfile.BadZipFile:
        raise BackupError(f"“{path.name}”不是有效的备份文件（文件已损坏或不完整）") from None
    except OSError as exc:
        raise BackupError(f"无法读取“{path}”：{os_reason(exc)}") from exc


def inspect_backup(path: Path | str, *, deep: bool = True, extract_to: Path | None = None,
                   quick: bool = False) -> BackupInfo:
    """Read a backup's manifest and check it; ``deep`` also checks every member and the database itself (with
    ``quick``, ``quick_check`` instead of ``integrity_check``).

    ``extract_to`` (a folder) receives the checked members. Raises :class:`BackupError` with the reason.
    """
    path = Path(path)
    with _open_zip(path) as zf:
        manifest = _read_manifest(zf, path)
        files = manifest.get("files")
        if not isinstance(files, dict) or DB_MEMBER not in files:
            raise BackupError(f"“{path.name}”的清单不完整，文件已损坏")
        if not deep:
            return BackupInfo(path, manifest)
        with tempfile.TemporaryDirectory(prefix="changai-check-") as tmp_name:
            tmp = Path(tmp_name)
            for name, expected in files.items():
                if not _safe_member(name):
                    raise BackupError(f"“{path.name}”含有不允许的文件名“{name}”")
                sink = (extract_to or tmp) / name
                sink.parent.mkdir(parents=True, exist_ok=True)
                _check_member(zf, name, expected, path, sink)
            db_file = (extract_to or tmp) / DB_MEMBER
            conn = sqlite3.connect(read_only_uri(db_file), uri=True)
            try:
                problem = integrity_problem(conn, quick=quick)  # the bytes match the manifest; is the database sound?
            finally:
                conn.close()
    if problem:
        raise BackupError(f"“{path.name}”中的数据库已损坏：{problem}")
    return BackupInfo(path, manifest)


def _safe_member(name: str) -> bool:
    if name in (DB_MEMBER, PREFERENCES_FILE):
        return True
    parts = name.split("/")
    return (len(parts) == 2 and parts[0] == KEYS_FOLDER and bool(parts[1]) and parts[1] not in (".", "..")
            and not re.search(r'[\\:*?"<>|]', parts[1]))


# ---------------------------------------------------------------------------------------------
# Restore


def restore_refusal(store: Store, info: BackupInfo) -> str | None:
    """Why ``info`` may not replace ``store`` (another unit, a newer schema), or ``None``."""
    from models.migrations import MIGRATIONS

    unknown = [n for n in info.manifest.get("schema") or [] if n not in MIGRATIONS.names]
    if unknown:
        return "这个备份由较新版本的程序制作（数据库结构较新），本程序无法恢复。请先升级程序。"
    current = store.query("SELECT code, name FROM unit WHERE id = 1")
    if current and info.unit_code and current[0]["code"] != info.unit_code:
        return (f"这是“{info.unit_name}”（{info.unit_code}）的备份，本机是“{current[0]['name']}”"
                f"（{current[0]['code']}）的数据，不能恢复到本机。")
    if current and not info.unit_code:
        return "这个备份中尚未设置本单位，恢复会清空本机“{}”的数据，已拒绝。".format(current[0]["name"])
    return None


@dataclasses.dataclass(frozen=True)
class RestoreResult:
    info: BackupInfo
    snapshot: Path | None


def restore_backup(store: Store, path: Path | str, *, progress: Progress | None = None) -> RestoreResult:
    """Replace the open store's data (and keys, preferences) with the backup's; all-or-nothing.

    Checks the whole file first; refuses (:class:`BackupError`) another unit's backup, a newer schema,
    a damaged file. The current data is snapshotted before anything changes.
    """
    from models.migrations import MIGRATIONS

    folder = data_dir_of(store)
    _report(progress, 0, 5, "正在检查备份文件……")
    with tempfile.TemporaryDirectory(prefix="changai-restore-") as tmp_name:
        tmp = Path(tmp_name)
        info = inspect_backup(path, deep=True, extract_to=tmp)
        refusal = restore_refusal(store, info)
        if refusal:
            raise BackupError(refusal)
        _report(progress, 1, 5, "正在为当前数据做快照……")
        snap = snapshot(store, "restore")
        _report(progress, 2, 5, "正在恢复签名密钥……")
        keys = tmp / KEYS_FOLDER
        if keys.is_dir():
            for key in sorted(keys.iterdir()):
                target = folder / KEYS_FOLDER / key.name
                data = key.read_bytes()
                if not target.exists() or target.read_bytes() != data:
                    if target.exists():  # never lose a key: keep the one being replaced beside it
                        shutil.copy2(target, target.with_name(target.name + f".{_stamp()}.bak"))
                    write_bytes_atomic(target, data, 0o600)
        _report(progress, 3, 5, "正在恢复数据库……")
        source = sqlite3.connect(read_only_uri(tmp / DB_MEMBER), uri=True)
        try:
            store.conn.commit()
            with known_errors():
                source.backup(store.conn)  # one write transaction on the live store
        except sqlite3.OperationalError as exc:
            raise BackupError(f"恢复数据库失败，本机数据没有改变：{exc}") from exc
        finally:
            source.close()
        if MIGRATIONS.pending(store.conn):  # an older program's backup: bring it up to date
            MIGRATIONS.apply(store.db)
        prefs = tmp / PREFERENCES_FILE
        if prefs.is_file():
            _report(progress, 4, 5, "正在恢复界面设置……")
            write_bytes_atomic(folder / PREFERENCES_FILE, prefs.read_bytes())
    with contextlib.suppress(sqlite3.Error, StoreError):
        store.refresh_statistics()
    _report(progress, 5, 5, "恢复完成")
    return RestoreResult(info, snap)


def _stamp() -> str:
    t = dt.datetime.now()
    return f"{t.year:04d}{t.month:02d}{t.day:02d}-{t.hour:02d}{t.minute:02d}{t.second:02d}"


# ---------------------------------------------------------------------------------------------
# Snapshots


def snapshot_dir(store_or_folder: Store | Path) -> Path:
    folder = store_or_folder if isinstance(store_or_folder, Path) else data_dir_of(store_or_folder)
    return folder / SNAPSHOT_FOLDER


def snapshot(store: Store, cause: str, cause_text: str = "") -> Path | None:
    """Snapshot the store before a risky operation (nothing for an in-memory store); returns its path.

    A snapshot that cannot be written (a full disk) stops the operation: :class:`BackupError`.
    """
    if store.path is None:
        return None
    folder = snapshot_dir(store)
    t = dt.datetime.now()
    name = (f"snapshot-{t.year:04d}{t.month:02d}{t.day:02d}-{t.hour:02d}{t.minute:02d}{t.second:02d}"
            f"-{t.microsecond // 1000:03d}-{cause}.zip")
    info = write_backup(store, folder / name, cause=cause, cause_text=cause_text)
    prune_snapshots(folder, keep=info.path)
    return info.path


def list_snapshots(store_or_folder: Store | Path) -> list[BackupInfo]:
    """The snapshots, newest first (unreadable ones left out)."""
    folder = snapshot_dir(store_or_folder)
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.glob("snapshot-*.zip"), reverse=True):
        with contextlib.suppress(BackupError):
            out.append(inspect_backup(path, deep=False))
    return out


def prune_snapshots(folder: Path, keep: Path | None = None, *, max_count: int = SNAPSHOT_MAX_COUNT,
                    max_bytes: int = SNAPSHOT_MAX_BYTES) -> list[Path]:
    """Drop the oldest snapshots beyond the bounds (the newest is always kept); returns those removed."""
    files = sorted(folder.glob("snapshot-*.zip"), reverse=True)
    removed = []
    total = 0
    for index, path in enumerate(files):
        try:
            size = path.stat().st_size
        except OSError:
            continue
        total += size
        if index == 0 or path == keep:
            continue
        if index >= max_count or total > max_bytes:
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
                total -= size
    return removed


def snapshot_migration(conn: sqlite3.Connection, folder: Path) -> Path | None:
    """Before a schema migration of an existing store: a snapshot from the raw connection."""
    store = Store(conn, folder / DB_MEMBER)
    return snapshot(store, "migration")


# ---------------------------------------------------------------------------------------------
# Reminder and USB sticks


def remind_days(store: Store) -> int:
    try:
        return max(0, int(store.setting(REMIND_DAYS_SETTING) or DEFAULT_REMIND_DAYS))
    except ValueError:
        return DEFAULT_REMIND_DAYS


def backup_due(store: Store, today: dt.datetime | None = None) -> tuple[bool, int | None]:
    """(whether to remind, days since the last backup or None when never); never when 0 days is set
    or the store holds no records yet."""
    days = remind_days(store)
    if days == 0:
        return False, None
    has_records = store.scalar("SELECT EXISTS (SELECT 1 FROM people) OR EXISTS (SELECT 1 FROM trainings) "
                               "OR EXISTS (SELECT 1 FROM studios) OR EXISTS (SELECT 1 FROM competitions)")
    last = store.setting(LAST_BACKUP_SETTING)
    if not last:
        return bool(has_records), None
    try:
        when = dt.datetime.fromisoformat(last)
    except ValueError:
        return bool(has_records), None
    age = ((today or dt.datetime.now()) - when).days
    return bool(has_records) and age >= days, age


def removable_drives() -> list[Path]:
    """Mounted USB sticks and other removable drives (Windows: drive type; Linux: /media, /run/media)."""
    found: list[Path] = []
    if sys.platform == "win32":
        import ctypes
        import string

        kernel = ctypes.windll.kernel32  # type: ignore[attr-defined,unused-ignore]
        mask = kernel.GetLogicalDrives()
        for index, letter in enumerate(string.ascii_uppercase):
            if mask & (1 << index) and letter not in "AB":
                root = f"{letter}:\\"
                if kernel.GetDriveTypeW(root) == 2:  # DRIVE_REMOVABLE
                    found.append(Path(root))
        return found
    user = os.environ.get("USER") or ""
    for base in (Path("/media") / user, Path("/run/media") / user, Path("/media")):
        with contextlib.suppress(OSError):
            if base.is_dir():
                for child in sorted(base.iterdir()):
                    if child.is_dir() and os.path.ismount(child) and child not in found:
                        found.append(child)
    return found


def free_bytes(folder: Path) -> int | None:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None
