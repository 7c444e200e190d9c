"""kill -9 during backup and during restore: every store stays intact and equal to one side or the other.

Each run is the real command in its own process (``main.py backup`` / ``main.py restore --yes``), killed
with SIGKILL at a random moment between its start and the time a full run takes (seeded, so the same
moments each time). After each kill the data folder is opened as the program would open it next time.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from models import backup, unit
from models.db import open_store
from models.demo import bulk_people, fill_demo

ROOT = Path(__file__).resolve().parent.parent
KILLS = 8

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs kill -9")


def command(data_dir: Path, *args: str) -> list[str]:
    return [sys.executable, str(ROOT / "main.py"), "--data-dir", str(data_dir), *args]


def run_and_kill(cmd: list[str], after: float | None) -> int | None:
    """Run ``cmd``; SIGKILL it ``after`` seconds in (None: let it finish). The exit code, or None when killed."""
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL)
    if after is None:
        return proc.wait(timeout=300)
    try:
        return proc.wait(timeout=after)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        return None


def digest_of(folder: Path, exclude: tuple[str, ...] = ()) -> str:
    """Open the folder's store as the program does next time, check it, and digest its records."""
    store = open_store(folder)
    try:
        assert backup.integrity_problem(store.conn) is None
        return backup.content_digest(store.conn, exclude)
    finally:
        store.close()


@pytest.fixture(scope="module")
def sides(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str, str]:
    """A data folder (the "old" side) and a backup of the same unit with other data (the "new" side)."""
    base = tmp_path_factory.mktemp("kill")
    folder = base / "数据 旧"
    store = open_store(folder)
    unit.setup(store, code="530821", head="李国华", statistician="王丽", preparer="张敏", phone="0879-3231234")
    fill_demo(store, seed=2025)
    bulk_people(store, 6_000)
    info = backup.write_backup(store, base / "备份")
    new_digest = info.manifest["records_digest"]
    store.conn.execute("DELETE FROM people WHERE id % 3 = 0 AND id NOT IN (SELECT leader_id FROM studios)")
    store.conn.execute("UPDATE trainings SET participants = participants + 1")
    store.conn.commit()
    store.close()
    old_digest = digest_of(folder)
    assert old_digest != new_digest
    return folder, info.path, old_digest, new_digest


def test_kill_during_restore_leaves_old_or_new_store(sides: tuple[Path, Path, str, str], tmp_path: Path) -> None:
    folder, backup_file, old_digest, new_digest = sides
    full = tmp_path / "full"
    shutil.copytree(folder, full)
    start = time.perf_counter()
    assert run_and_kill(command(full, "restore", str(backup_file), "--yes"), None) == 0
    duration = time.perf_counter() - start
    assert digest_of(full) == new_digest
    rng = random.Random(12)
    outcomes = []
    for n in range(KILLS):
        work = tmp_path / f"run{n}"
        shutil.copytree(folder, work)
        code = run_and_kill(command(work, "restore", str(backup_file), "--yes"), rng.uniform(0.4 * duration, 1.05 * duration))
        got = digest_of(work)
        assert got in (old_digest, new_digest), f"kill {n}: the store is neither the old nor the restored one"
        outcomes.append("killed" if code is None else f"exit {code}")
        outcomes[-1] += ", new" if got == new_digest else ", old"
    print(f"restore: full run {duration:.2f} s; kills: {outcomes}")
    assert sum(o.startswith("killed") for o in outcomes) >= KILLS // 2


def test_kill_during_backup_leaves_store_and_no_half_backup(sides: tuple[Path, Path, str, str],
                                                            tmp_path: Path) -> None:
    folder, _backup_file, _old, _new = sides
    out = tmp_path / "U盘"
    records_before = digest_of(folder, ("settings",))  # a finished backup writes its date into the settings
    start = time.perf_counter()
    assert run_and_kill(command(folder, "backup", "--out", str(tmp_path / "full")), None) == 0
    duration = time.perf_counter() - start
    rng = random.Random(7)
    killed = 0
    for n in range(KILLS):
        code = run_and_kill(command(folder, "backup", "--out", str(out)), rng.uniform(0.15 * duration, 0.85 * duration))
        killed += code is None
        assert digest_of(folder, ("settings",)) == records_before
        for path in out.iterdir() if out.exists() else ():
            if path.name.endswith(".part"):
                assert path.name.startswith(".~")  # a temporary file, removed at the next start
                continue
            info = backup.inspect_backup(path, deep=True)  # every finished file is complete and sound
            restored = tmp_path / f"check{n}-{path.stem}"
            shutil.rmtree(restored, ignore_errors=True)
            conn_store = open_store(restored)
            try:
                backup.restore_backup(conn_store, info.path)
                assert backup.content_digest(conn_store.conn) == info.manifest["records_digest"]
            finally:
                conn_store.close()
    parts = [p for p in out.iterdir() if p.name.endswith(".part")] if out.exists() else []
    print(f"backup: full run {duration:.2f} s; {killed} of {KILLS} runs killed; {len(parts)} unfinished files")
    assert killed >= KILLS // 2
    # the next start removes the unfinished files and says which backup was not written
    proc = subprocess.run(command(folder, "status"), cwd=ROOT, capture_output=True, timeout=120, check=True)
    if parts:
        assert "没有写成" in proc.stderr.decode("utf-8")
    assert not [p for p in out.iterdir() if p.name.endswith(".part")] if out.exists() else True
