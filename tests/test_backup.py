"""Backup, snapshots and restore (models.backup, the backup/restore/snapshots commands)."""

from __future__ import annotations

import json
import shutil
import sqlite3
import zipfile
from pathlib import Path

import pytest
from signing_support import make_key
from test_importer import PEOPLE_XLSX

from cli import run
from forms.periods import parse_period
from models import backup, records, unit, versions
from models.backup import BackupError
from models.db import Store, open_store
from models.importer import apply_import, plan_import, read_table, undo_import
from models.migrations import search_index_tables

YEAR = "2025"
PERIOD = parse_period(YEAR)


def tables(store_or_conn: Store | sqlite3.Connection) -> dict[str, list[tuple]]:
    """Every row of every table except the settings, for record-for-record comparison."""
    conn = store_or_conn.conn if isinstance(store_or_conn, Store) else store_or_conn
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                        "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    derived = search_index_tables(conn)
    return {n: list(conn.execute(f'SELECT * FROM "{n}" ORDER BY rowid')) for n in names if n not in derived}


def test_backup_holds_everything_and_restore_gives_it_back_record_for_record(demo_store: Store, tmp_path: Path) -> None:
    make_key(demo_store)
    versions.finalise(demo_store, PERIOD)
    pid = int(demo_store.scalar("SELECT min(id) FROM people"))
    records.delete(demo_store, "people", pid)
    assert demo_store.path is not None
    (demo_store.path.parent / backup.PREFERENCES_FILE).write_text("[window]\nwidth=900\n", encoding="utf-8")
    expected = tables(demo_store)
    out = tmp_path / "U盘 备份"
    info = backup.write_backup(demo_store, out)
    assert info.path.parent == out
    assert info.path.name.startswith("产改备份_530821_宁洱哈尼族彝族自治县总工会_") and info.path.suffix == ".zip"
    assert [p.name for p in out.iterdir()] == [info.path.name]  # no temporary file left
    assert info.counts["people"] == 119 and info.counts["deleted"] == 1 and info.counts["history"] > 200
    assert [(v["period"], v["version"]) for v in info.versions] == [(YEAR, 1)]
    text = "\n".join(info.summary_lines())
    assert "宁洱哈尼族彝族自治县总工会（530821）" in text and "人员119条" in text and "2025第1版" in text
    assert len(info.manifest["keys"]) == 1

    # the store changes a lot after the backup, keys and preferences too
    for rid in [r["id"] for r in demo_store.query("SELECT id FROM trainings LIMIT 10")]:
        records.delete(demo_store, "trainings", rid)
    demo_store.conn.execute("DELETE FROM history WHERE id < 50")
    demo_store.conn.commit()
    key_file = next((demo_store.path.parent / "keys").iterdir())
    key_bytes = key_file.read_bytes()
    key_file.unlink()
    (demo_store.path.parent / backup.PREFERENCES_FILE).write_text("[window]\nwidth=1\n", encoding="utf-8")

    result = backup.restore_backup(demo_store, info.path)
    got = tables(demo_store)
    assert got.pop("settings") is not None
    expected.pop("settings")
    assert got == expected  # record for record, history and versions included
    assert backup.content_digest(demo_store.conn) == info.manifest["records_digest"]
    assert key_file.read_bytes() == key_bytes
    assert "width=900" in (demo_store.path.parent / backup.PREFERENCES_FILE).read_text(encoding="utf-8")
    assert result.snapshot is not None and result.snapshot.exists()
    assert backup.inspect_backup(result.snapshot).cause_title == "从备份恢复之前"
    assert demo_store.setting(backup.LAST_BACKUP_SETTING) == info.created_at
    # the store is still usable through the same connection
    records.restore(demo_store, "people", pid)


def test_backup_is_consistent_while_another_connection_writes(demo_store: Store, tmp_path: Path) -> None:
    assert demo_store.path is not None
    other = sqlite3.connect(str(demo_store.path))
    other.execute("PRAGMA busy_timeout = 0")
    demo_store.conn.execute("PRAGMA busy_timeout = 0")  # the reminder's setting waits for nobody here
    other.execute("BEGIN IMMEDIATE")
    other.execute("UPDATE trainings SET name = 'half written'")
    try:
        info = backup.write_backup(demo_store, tmp_path)
    finally:
        other.rollback()
        other.close()
    fresh = tmp_path / "fresh"
    fresh_store = open_store(fresh)
    try:
        backup.restore_backup(fresh_store, info.path)
        assert fresh_store.scalar("SELECT count(*) FROM trainings WHERE name = 'half written'") == 0
        assert fresh_store.scalar("SELECT count(*) FROM people") == 120  # committed rows still in the WAL count
    finally:
        fresh_store.close()


def _rewrite(path: Path, target: Path, change) -> None:  # type: ignore[no-untyped-def]
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(target, "w") as dst:
        for item in src.infolist():
            data = change(item.filename, src.read(item.filename))
            if data is not None:
                dst.writestr(item.filename, data)


def test_damaged_other_unit_and_newer_backups_are_refused_with_the_reason(demo_store: Store, tmp_path: Path) -> None:
    info = backup.write_backup(demo_store, tmp_path / "ok")
    before = tables(demo_store)
    data = info.path.read_bytes()
    cases = {}
    (tmp_path / "half.zip").write_bytes(data[: len(data) // 2])
    cases["half.zip"] = "不是有效的备份文件"
    (tmp_path / "text.zip").write_text("hello", encoding="utf-8")
    cases["text.zip"] = "不是有效的备份文件"

    def flip(name: str, blob: bytes) -> bytes:
        return blob[:5000] + bytes([blob[5000] ^ 0xFF]) + blob[5001:] if name == backup.DB_MEMBER else blob

    _rewrite(info.path, tmp_path / "flipped.zip", flip)
    cases["flipped.zip"] = "校验值与清单不符"
    _rewrite(info.path, tmp_path / "nomanifest.zip", lambda n, b: None if n == backup.MANIFEST else b)
    cases["nomanifest.zip"] = "缺少清单"
    _rewrite(info.path, tmp_path / "nodb.zip", lambda n, b: None if n == backup.DB_MEMBER else b)
    cases["nodb.zip"] = "缺少 store.sqlite3"
    cases["missing.zip"] = "找不到备份文件"
    for name, reason in cases.items():
        with pytest.raises(BackupError, match=reason):
            backup.restore_backup(demo_store, tmp_path / name)
    assert tables(demo_store) == before
    assert not backup.list_snapshots(demo_store)  # refused before anything was done

    # another unit's store refuses this backup
    other = open_store(tmp_path / "other")
    try:
        unit.setup(other, code="530822")
        with pytest.raises(BackupError, match="不能恢复到本机"):
            backup.restore_backup(other, info.path)
        assert other.scalar("SELECT count(*) FROM people") == 0
    finally:
        other.close()

    # a newer program's backup (a migration this program does not know)
    demo_store.conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
                            "VALUES ('changai', '9999_future', '2030-01-01')")
    demo_store.conn.commit()
    newer = backup.write_backup(demo_store, tmp_path / "newer")
    demo_store.conn.execute("DELETE FROM _sqlite_migrations WHERE name = '9999_future'")
    demo_store.conn.commit()
    with pytest.raises(BackupError, match="较新版本的程序"):
        backup.restore_backup(demo_store, newer.path)


def test_restore_into_a_new_data_folder_and_from_an_older_schema(demo_store: Store, tmp_path: Path) -> None:
    # an older program's backup: no history table yet
    demo_store.conn.execute("DROP TABLE history")
    demo_store.conn.execute("DELETE FROM _sqlite_migrations WHERE name = '0006_history'")
    demo_store.conn.commit()
    old = backup.write_backup(demo_store, tmp_path / "old")
    assert "0006_history" not in old.manifest["schema"]
    fresh = open_store(tmp_path / "new PC")
    try:
        backup.restore_backup(fresh, old.path)
        assert fresh.scalar("SELECT count(*) FROM people") == 120
        assert fresh.scalar("SELECT count(*) FROM history") == 0  # migrated forward
        assert unit.load(fresh).code == "530821"  # type: ignore[union-attr]
    finally:
        fresh.close()


def test_snapshots_before_risky_operations_bounded_and_listed(county_store: Store, tmp_path: Path) -> None:
    plan = plan_import(county_store, "people", read_table(PEOPLE_XLSX, kind="people"))
    batch = apply_import(county_store, plan)
    undo_import(county_store, batch)
    snaps = backup.list_snapshots(county_store)
    assert [s.cause for s in snaps] == ["import_undo", "import"]
    assert snaps[1].cause_title == "导入“宁洱县劳模名册.xlsx”之前" and snaps[1].counts["people"] == 0
    assert snaps[0].counts["people"] > 0  # before the undo, the imported people were there
    folder = backup.snapshot_dir(county_store)
    for n in range(5):
        backup.snapshot(county_store, "finalise", f"第{n}次")
    removed = backup.prune_snapshots(folder, max_count=3)
    assert len(removed) == 4 and len(backup.list_snapshots(county_store)) == 3
    newest = backup.list_snapshots(county_store)[0]
    backup.prune_snapshots(folder, max_bytes=1)
    assert [s.path for s in backup.list_snapshots(county_store)] == [newest.path]  # the newest always stays


def test_finalise_and_migration_snapshot_first(demo_store: Store, data_dir: Path) -> None:
    versions.finalise(demo_store, PERIOD)
    assert [s.cause for s in backup.list_snapshots(demo_store)] == ["finalise"]
    versions.finalise(demo_store, PERIOD)  # nothing changed: no new version, no snapshot
    assert len(backup.list_snapshots(demo_store)) == 1
    demo_store.conn.execute("DROP TABLE history")
    demo_store.conn.execute("DELETE FROM _sqlite_migrations WHERE name = '0006_history'")
    demo_store.conn.commit()
    demo_store.close()
    reopened = open_store(data_dir)
    try:
        snaps = backup.list_snapshots(reopened)
        assert snaps[0].cause == "migration" and "0006_history" not in snaps[0].manifest["schema"]
        assert reopened.scalar("SELECT count(*) FROM history") == 0
    finally:
        reopened.close()
    demo_store.conn = open_store(data_dir).conn  # the fixture closes it again


def test_reminder_after_the_set_number_of_days(county_store: Store, tmp_path: Path) -> None:
    import datetime as dt

    assert backup.backup_due(county_store) == (False, None)  # no records: nothing to lose
    records.save(county_store, "competitions", {"name": "焊工比赛", "type": "技能竞赛", "level": "县级",
                                                "host": "县总工会", "date": "2025-05-01",
                                                "participants": 40, "trades": 1})
    assert backup.backup_due(county_store) == (True, None)
    backup.write_backup(county_store, tmp_path)
    assert backup.backup_due(county_store) == (False, 0)
    later = dt.datetime.now() + dt.timedelta(days=8)
    assert backup.backup_due(county_store, later) == (True, 8)
    county_store.set_setting(backup.REMIND_DAYS_SETTING, "30")
    assert backup.backup_due(county_store, later) == (False, 8)
    county_store.set_setting(backup.REMIND_DAYS_SETTING, "0")
    assert backup.backup_due(county_store, later + dt.timedelta(days=400))[0] is False


def test_backup_restore_and_snapshots_commands(demo_store: Store, data_dir: Path, tmp_path: Path, capsys) -> None:
    demo_store.close()
    out = tmp_path / "E盘"
    assert run(["--data-dir", str(data_dir), "backup", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "已备份到" in text and "已检查无误" in text and "人员120条" in text
    made = next(out.glob("*.zip"))
    assert run(["--data-dir", str(data_dir), "restore", str(made)]) == 2  # no terminal, no --yes
    assert "--yes" in capsys.readouterr().err
    assert run(["--data-dir", str(data_dir), "restore", str(made), "--yes"]) == 0
    text = capsys.readouterr().out
    assert "单位：宁洱哈尼族彝族自治县总工会（530821）" in text and "已从备份恢复全部数据" in text
    assert run(["--data-dir", str(data_dir), "snapshots"]) == 0
    assert "从备份恢复之前" in capsys.readouterr().out
    broken = tmp_path / "坏的 备份.zip"
    shutil.copy(made, broken)
    with open(broken, "r+b") as fh:
        fh.truncate(1000)
    assert run(["--data-dir", str(data_dir), "restore", str(broken), "--yes"]) == 2
    assert "不是有效的备份文件" in capsys.readouterr().err
    manifest = json.loads(zipfile.ZipFile(made).read(backup.MANIFEST))
    assert manifest["unit"]["code"] == "530821"
    demo_store.conn = open_store(data_dir).conn


def _with_index_out_of_step(backup_file: Path, out: Path) -> Path:
    """A copy of ``backup_file`` whose database is sound page by page but has an index out of step with its table
    (what only the full check finds), the manifest's digest made to match."""
    import hashlib

    work = out.parent / "index-work.sqlite3"
    with zipfile.ZipFile(backup_file) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    work.write_bytes(members[backup.DB_MEMBER])
    conn = sqlite3.connect(work)
    conn.execute("CREATE TABLE out_of_step(a, b)")
    conn.execute("CREATE INDEX out_of_step_a ON out_of_step(a)")
    conn.executemany("INSERT INTO out_of_step VALUES(?, ?)", [(n, 1000 - n) for n in range(50)])
    conn.commit()
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute("UPDATE sqlite_master SET sql = 'CREATE INDEX out_of_step_a ON out_of_step(b)' "
                 "WHERE name = 'out_of_step_a'")
    conn.commit()
    conn.close()
    data = work.read_bytes()
    manifest = json.loads(members[backup.MANIFEST])
    manifest["files"][backup.DB_MEMBER] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    members[backup.DB_MEMBER] = data
    members[backup.MANIFEST] = json.dumps(manifest, ensure_ascii=False).encode("utf-8")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return out


def test_snapshots_are_read_back_quickly_and_every_restore_checks_in_full(demo_store: Store, tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A snapshot's read-back check is quick_check (1.2–2 s less for 50,000 people); a manual backup's, the check
    of a backup file and every restore (a snapshot's too) run the full integrity_check, which alone finds an index
    out of step with its table."""
    checks: list[bool] = []
    real = backup.integrity_problem

    def recorded(conn: sqlite3.Connection, *, quick: bool = False) -> str | None:
        checks.append(quick)
        return real(conn, quick=quick)

    monkeypatch.setattr(backup, "integrity_problem", recorded)
    snap = backup.snapshot(demo_store, "import")
    assert snap is not None and checks == [True]
    manual = backup.write_backup(demo_store, tmp_path / "U盘")
    assert checks == [True, False]

    bad = _with_index_out_of_step(manual.path, tmp_path / "索引 不一致.zip")
    backup.inspect_backup(bad, deep=True, quick=True)  # page by page it is sound
    with pytest.raises(BackupError, match="数据库已损坏：row 1 missing from index out_of_step_a"):
        backup.inspect_backup(bad, deep=True)
    before = tables(demo_store)
    checks.clear()
    for restoring in (bad, _with_index_out_of_step(snap, tmp_path / "快照 索引 不一致.zip")):
        with pytest.raises(BackupError, match="数据库已损坏"):
            backup.restore_backup(demo_store, restoring)
    assert checks == [False, False]
    assert tables(demo_store) == before  # nothing restored
