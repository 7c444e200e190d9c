"""A failure in the middle of a multi-step operation leaves nothing half-written; bad paths give Chinese reasons."""

from __future__ import annotations

import errno
import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
from consolidation_support import PERIOD, YEAR, County, receiving_store, signer
from signing_support import PASSPHRASE, make_key

import cli
from common.atomic_file import os_error_text, write_bytes_atomic
from forms.periods import parse_period
from models import board, importer, receipts, receiving, versions
from models import returns as ret_mod
from models.db import Store
from models.signing import keys

SAMPLES = Path(__file__).resolve().parent / "samples"
PEOPLE_XLSX = SAMPLES / "宁洱县劳模名册.xlsx"


@pytest.fixture
def prefecture(tmp_path: Path, counties: dict[str, County]) -> Store:
    store = receiving_store(tmp_path / "普洱市", counties=counties)
    yield store
    store.close()


def _tables(store: Store) -> dict[str, int]:
    return {t: int(store.scalar(f"SELECT count(*) FROM {t}"))
            for t in ("people", "honours", "import_batches", "import_batch_items", "returns", "own_keys", "receipts")}


# -- database: all or nothing -------------------------------------------------------------------------------


def test_an_import_failing_half_way_writes_nothing(county_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    plan = importer.plan_import(county_store, "people", importer.read_table(PEOPLE_XLSX, kind="people"))
    assert len(plan.to_add) > 3
    before = _tables(county_store)
    calls = {"n": 0}

    def failing(progress: object, done: int, total: int, text: str) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(importer, "_progress", failing)
    with pytest.raises(OSError):
        importer.apply_import(county_store, plan)
    assert _tables(county_store) == before
    monkeypatch.undo()
    importer.apply_import(county_store, plan)  # and the same plan still imports afterwards
    assert _tables(county_store)["people"] == before["people"] + len(plan.to_add)


def test_finalise_failing_half_way_stores_no_version(demo_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(ret: ret_mod.Return) -> str:
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(ret_mod, "digest", failing)
    with pytest.raises(OSError):
        versions.finalise(demo_store, PERIOD)
    assert _tables(demo_store)["returns"] == 0
    monkeypatch.undo()
    assert versions.finalise(demo_store, PERIOD).version == 1


def test_a_new_key_failing_half_way_keeps_the_old_key_and_no_new_file(county_store: Store,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    old = make_key(county_store)
    folder = keys.keys_dir(county_store)
    files = sorted(p.name for p in folder.iterdir())

    def failing(cert: object) -> str:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(keys, "certificate_pem", failing)  # called inside the transaction, after retiring the old key
    with pytest.raises(OSError):
        keys.create_key(county_store, PASSPHRASE, PASSPHRASE)
    active = keys.active_key(county_store)
    assert active is not None and active.fingerprint == old.fingerprint
    assert sorted(p.name for p in folder.iterdir()) == files


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_the_private_key_file_is_readable_by_its_owner_only(county_store: Store) -> None:
    key = make_key(county_store)
    mode = stat.S_IMODE((keys.keys_dir(county_store) / key.key_file).stat().st_mode)
    assert mode == 0o600


def test_send_back_failing_half_way_writes_neither_record_nor_receipt(
        prefecture: Store, counties: dict[str, County], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    receiving.receive_files(prefecture, [counties["530821"].xlsx])
    def entry() -> board.Entry:
        return {e.unit.code: e for e in board.build_board(prefecture, PERIOD).entries}["530821"]

    current = entry().current
    assert current is not None
    usb = tmp_path / "回执U盘"
    key = signer(prefecture)

    def failing(*args: object, **kwargs: object) -> Path:
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(receipts, "write_receipt_file", failing)
    with pytest.raises(OSError):
        receipts.send_back(prefecture, current.id, "表3有误", key, usb)
    with pytest.raises(OSError):
        receipts.accept_receipt(prefecture, current.id, key, usb)
    assert entry().state == board.REPORTED
    assert _tables(prefecture)["receipts"] == 0
    monkeypatch.undo()

    def failing_log(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(receipts, "_log", failing_log)
    with pytest.raises(OSError):
        receipts.send_back(prefecture, current.id, "表3有误", key, usb)
    assert not usb.exists() or list(usb.iterdir()) == []  # no receipt for a 退回 the store does not know
    assert entry().state == board.REPORTED


# -- files and paths: Chinese reasons, no traceback ----------------------------------------------------------


def test_atomic_file_keeps_the_old_file_when_writing_fails(tmp_path: Path) -> None:
    target = tmp_path / "报表 文件夹" / "530821_2026_v1.xlsx"
    write_bytes_atomic(target, b"old")
    with pytest.raises(RuntimeError):
        from common.atomic_file import atomic_path

        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("U盘已拔出")
    assert target.read_bytes() == b"old"
    assert [p.name for p in target.parent.iterdir()] == [target.name]


def test_os_error_text_is_chinese_and_names_the_folder_of_a_temporary_file(tmp_path: Path) -> None:
    temp = tmp_path / "导出" / ".~530821_2026_v1-abc.xlsx.part"
    text = os_error_text(PermissionError(errno.EACCES, "Permission denied", str(temp)))
    assert text.startswith(f"无法写入文件夹“{temp.parent}”") and "权限" in text and ".part" not in text
    assert "磁盘或U盘已满" in os_error_text(OSError(errno.ENOSPC, "No space left on device", "x.pdf"))
    # Windows: the rename onto a file open in Excel fails; name that file, not the temporary one
    target = tmp_path / "导出" / "530821_2026_v1.xlsx"
    text = os_error_text(PermissionError(errno.EACCES, "Access is denied", str(temp), None, str(target)))
    assert text.startswith(f"无法读写“{target}”") and "Excel" in text


def test_cli_export_into_an_unwritable_folder_is_a_chinese_error(demo_store: Store, data_dir: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    demo_store.close()

    out = tmp_path / "只读 U盘"
    real_open = os.open

    def denied(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if Path(path).parent != out or not flags & os.O_CREAT:  # the data folder (the snapshot) is writable
            return real_open(path, flags, *args, **kwargs)
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(os, "open", denied)
    code = cli.run(["--data-dir", str(data_dir), "export", "--period", YEAR, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert f"无法写入文件夹“{out}”" in err and "权限" in err and "Traceback" not in err


def test_cli_data_dir_that_is_a_file_is_a_chinese_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "数据"
    blocker.write_text("不是文件夹", encoding="utf-8")
    assert cli.run(["--data-dir", str(blocker), "status"]) == 2
    err = capsys.readouterr().err
    assert "无法创建数据文件夹" in err and "已有同名的文件" in err


def test_a_period_that_has_not_started_cannot_be_finalised(demo_store: Store, data_dir: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    import datetime as dt

    future = str(dt.date.today().year + 1)
    with pytest.raises(versions.RecordError, match="尚未开始"):
        versions.finalise(demo_store, parse_period(future))
    assert _tables(demo_store)["returns"] == 0
    code = cli.run(["--data-dir", str(data_dir), "export", "--period", future, "--out", str(tmp_path / "out")])
    assert code == 2 and f"报告期{future}年（{future}）尚未开始" in capsys.readouterr().err
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_verifying_signed_files_never_touches_the_network(prefecture: Store, counties: dict[str, County],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    real_connect = socket.socket.connect
    loopback = ("127.0.0.1", "::1")

    def offline(*args: object, **kwargs: object) -> None:
        raise AssertionError("网络访问")

    def local_only(self: socket.socket, address: object) -> None:
        # asyncio's event loop on Windows makes its wake-up socket pair by connecting to 127.0.0.1
        if isinstance(address, tuple) and address[0] in loopback:
            return real_connect(self, address)
        raise AssertionError(f"网络访问：{address}")

    monkeypatch.setattr(socket.socket, "connect", local_only)
    monkeypatch.setattr(socket, "create_connection", offline)
    monkeypatch.setattr(socket, "getaddrinfo", offline)
    county = counties["530821"]
    results = receiving.receive_files(prefecture, [county.xlsx, county.pdf])
    assert [r.status for r in results] == [receiving.VALID, receiving.VALID]
