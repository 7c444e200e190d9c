"""Receiving a large batch in helper processes (``common.processes``): the same results as in one process."""

from __future__ import annotations

import os
import pickle
import time
from collections.abc import Iterator
from pathlib import Path

import process_support
import pytest
from consolidation_support import FOREIGN, YEAR, County, copy_files, receiving_store, tamper_xlsx
from hostile_files import endless_tags, far_cell

from common import processes
from models import receiving
from models.db import Store, open_store

HELPERS = 2


def _stick(counties: dict[str, County], usb: Path) -> Path:
    """Every kind of file a stick can carry: good returns and their PDFs, a duplicate, a foreign unit's, a tampered,
    a broken, and two hostile workbooks."""
    copy_files([c.xlsx for c in counties.values()] + [c.pdf for c in counties.values() if c.pdf], usb)
    copy_files([counties["530821"].xlsx], usb / "重复")
    tamper_xlsx(counties["530823"].xlsx, usb / "530823_被改.xlsx")
    (usb / "坏文件.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    endless_tags(counties["530822"].xlsx, usb / "无尽标记.xlsx")
    far_cell(counties["530822"].xlsx, usb / "远处单元格.xlsx")
    return usb


def _seen(results: list[receiving.ReceiveResult]) -> list[tuple[str, ...]]:
    return [(r.path.parent.name, r.path.name, r.status, r.outcome, r.reason, r.note, r.unit_code, str(r.version))
            for r in results]


def _stored(store: Store) -> list[tuple[object, ...]]:
    return [tuple(row.values()) for row in store.query(
        "SELECT unit_code, unit_name, period, version, finalised_at, payload, digest, signer_fingerprint, signer_name, "
        "signed_at, status, reason, sound, superseded, file_name FROM received_returns ORDER BY id")]


def test_helpers_receive_exactly_what_one_process_receives(counties: dict[str, County], tmp_path: Path) -> None:
    usb = _stick(counties, tmp_path / "U盘 全部")
    alone = receiving_store(tmp_path / "逐个", counties=counties)
    side_by_side = receiving_store(tmp_path / "并行", counties=counties)
    try:
        progress: list[tuple[int, int, str]] = []
        one = receiving.receive_files(alone, [usb], jobs=1)
        many = receiving.receive_files(side_by_side, [usb], jobs=HELPERS,
                                       progress=lambda d, t, text="": progress.append((d, t, text)))
        assert _seen(many) == _seen(one)
        assert _stored(side_by_side) == _stored(alone)
        outcomes = {r.path.name: r.outcome for r in many if r.path.parent.name != "重复"}
        assert outcomes[f"530821_{YEAR}_v1.xlsx"] == receiving.ACCEPTED
        assert outcomes[f"530821_{YEAR}_v1.pdf"] == receiving.CHECKED
        assert outcomes[f"{FOREIGN}_{YEAR}_v1.xlsx"] == receiving.REFUSED
        assert outcomes["530823_被改.xlsx"] == receiving.NOT_ACCEPTED
        assert outcomes["无尽标记.xlsx"] == outcomes["远处单元格.xlsx"] == outcomes["坏文件.xlsx"] == receiving.UNREADABLE
        total = len(many)
        assert [(d, t) for d, t, _ in progress] == [*((i, total) for i in range(total)), (total, total)]
        assert all(many[i].path.name in text for i, (_d, _t, text) in enumerate(progress[:-1]))
        again = receiving.receive_files(side_by_side, [usb], jobs=HELPERS)  # received twice: nothing changes
        assert [r.outcome for r in again if r.path.name == f"530821_{YEAR}_v1.xlsx"] == [receiving.HELD] * 2
        assert _stored(side_by_side) == _stored(alone)
    finally:
        alone.close()
        side_by_side.close()


def test_a_large_batch_is_verified_in_helpers_a_small_one_here(counties: dict[str, County], tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    store = receiving_store(tmp_path / "州市", counties=counties)
    files = [c.xlsx for c in counties.values()]
    try:
        monkeypatch.setattr(processes, "usable_cpus", lambda: 8)
        assert receiving.helpers_for(store, files) == 0  # a few hundred KB: starting helpers would cost more
        assert receiving.helpers_for(store, files, jobs=1) == 0  # --jobs counts this process too
        assert receiving.helpers_for(store, files, jobs=3) == 2
        monkeypatch.setattr(receiving, "PARALLEL_BYTES", sum(f.stat().st_size for f in files))
        assert receiving.helpers_for(store, files) == len(files) - 1  # this process takes one file too
        assert receiving.helpers_for(store, files * 3) == processes.MAX_HELPERS
        monkeypatch.setattr(processes, "usable_cpus", lambda: 2)
        assert receiving.helpers_for(store, files) == 1  # two cores: this process and one helper
        monkeypatch.setattr(processes, "usable_cpus", lambda: 1)
        assert receiving.helpers_for(store, files) == 0  # one core: all here
    finally:
        store.close()
    memory = open_store(memory=True)
    try:  # an in-memory store cannot be opened by another process
        assert receiving.helpers_for(memory, files, jobs=4) == 0
    finally:
        memory.close()


def test_reading_the_next_file_ahead_receives_what_reading_each_in_turn_does(counties: dict[str, County],
                                                                             tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """In one process the next file is begun while this one is verified (its sheets read on another thread on a
    PC with two cores or more): the same results and the same rows as on one core, where nothing is read early."""
    usb = _stick(counties, tmp_path / "U盘 全部")
    in_turn = receiving_store(tmp_path / "一核", counties=counties)
    ahead = receiving_store(tmp_path / "两核", counties=counties)
    try:
        monkeypatch.setattr(processes, "usable_cpus", lambda: 1)
        one = receiving.receive_files(in_turn, [usb], jobs=1)
        monkeypatch.setattr(processes, "usable_cpus", lambda: 2)
        two = receiving.receive_files(ahead, [usb], jobs=1)
        assert _seen(two) == _seen(one)
        assert _stored(ahead) == _stored(in_turn)
        assert not _reading_threads()
    finally:
        in_turn.close()
        ahead.close()


def _reading_threads() -> list[str]:
    import threading

    return [t.name for t in threading.enumerate() if t.name == "changai-read-sheets"]


def _open_files_under(folder: Path) -> list[str]:
    """This process's open files under ``folder`` (Linux: /proc; elsewhere nothing is known)."""
    fds = Path("/proc/self/fd")
    if not fds.is_dir():
        return []
    found = []
    for fd in fds.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith(str(folder)):
            found.append(target)
    return found


@pytest.mark.parametrize("jobs", [HELPERS, 1])
def test_cancelling_keeps_what_was_stored_and_leaves_no_file_open(counties: dict[str, County], tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch, jobs: int) -> None:
    """Stopped after two files, with helper processes (ended at once) or in one process (the file begun ahead
    closed, its reading thread done): the two files are kept, and the stick can be pulled out (Windows refuses to
    eject a stick with a file open)."""
    usb = copy_files([c.xlsx for c in counties.values()], tmp_path / "U盘")
    monkeypatch.setattr(processes, "usable_cpus", lambda: 2)

    class Stop(Exception):
        pass

    def progress(done: int, _total: int, _text: str = "") -> None:
        if done == 2:
            raise Stop

    store = receiving_store(tmp_path / "州市", counties=counties)
    try:
        started = time.monotonic()
        with pytest.raises(Stop):
            receiving.receive_files(store, usb, jobs=jobs, progress=progress)
        assert time.monotonic() - started < 30
        assert store.scalar("SELECT COUNT(*) FROM received_returns") == 2  # the two files before the stop
        assert not _reading_threads()
        assert not _open_files_under(tmp_path / "U盘")
        assert len(receiving.receive_files(store, usb, jobs=1)) == len(usb)  # and the store is usable
    finally:
        store.close()


def test_results_come_in_order_with_the_works_own_errors_in_place() -> None:
    numbers = list(range(20))
    got = list(processes.ordered_map(process_support.square, numbers, HELPERS, local=process_support.square,
                                     help_here=False))
    assert [g for i, g in enumerate(got) if i != 13] == [n * n for n in numbers if n != 13]
    assert isinstance(got[13], ValueError) and str(got[13]) == "不收13"
    pids = set(processes.ordered_map(process_support.pid, numbers, HELPERS, local=process_support.pid,
                                     help_here=False))
    assert os.getpid() not in pids and 1 <= len(pids) <= HELPERS


def test_this_process_helps_while_the_helpers_start() -> None:
    """Work that takes no time is all done here before a helper has started; the results are the same."""
    here: list[int] = []

    def local(number: int) -> int:
        here.append(number)
        return process_support.square(number)

    got = list(processes.ordered_map(process_support.square, list(range(20)), HELPERS, local=local))
    assert [g for i, g in enumerate(got) if i != 13] == [n * n for n in range(20) if n != 13]
    assert isinstance(got[13], ValueError) and here and here == sorted(here) and here[0] == 0


def test_a_helper_that_dies_is_charged_with_its_item_and_the_others_go_on() -> None:
    reasons: list[BaseException] = []
    got = list(processes.ordered_map(process_support.square_or_die, list(range(12)), HELPERS,
                                     local=process_support.square, on_fallback=reasons.append, help_here=False))
    assert [g for i, g in enumerate(got) if i != 5] == [n * n for n in range(12) if n != 5]
    assert isinstance(got[5], processes.HelperDied) and "退出代码 3" in str(got[5])
    assert reasons == []


def test_when_every_helper_dies_this_process_does_the_rest() -> None:
    reasons: list[BaseException] = []
    done_here: list[int] = []

    def here(number: int) -> int:
        done_here.append(number)
        return -number

    got = list(processes.ordered_map(process_support.always_die, list(range(8)), HELPERS, local=here,
                                     on_fallback=reasons.append, help_here=False))
    assert isinstance(got[0], processes.HelperDied)  # the item the first helper died on
    # each helper died on one item (which one the second took depends on when it started): those are charged,
    # never tried here; this process did every other one
    died = [n for n, g in enumerate(got) if isinstance(g, processes.HelperDied)]
    assert 1 <= len(died) <= HELPERS
    assert done_here == [n for n in range(8) if n not in died] and all(got[n] == -n for n in done_here)
    assert len(reasons) == 1


def test_items_the_last_helpers_died_on_are_not_tried_again_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """When the last helpers die in the same moment, each on its own item (two hostile files on one stick), both
    items stay charged to them: trying one again in this process would bring it down as it did the helper."""
    died = {0: processes.HelperDied("甲"), 2: processes.HelperDied("乙")}

    def both_die(*_args: object) -> Iterator[object]:
        yield processes._Broken(processes.HelperDied("并行处理的进程均已退出"), dict(died))

    monkeypatch.setattr(processes, "_in_helpers", both_die)
    done_here: list[int] = []

    def here(number: int) -> int:
        done_here.append(number)
        return -number

    got = list(processes.ordered_map(process_support.always_die, list(range(5)), HELPERS, local=here))
    assert got == [died[0], -1, died[2], -3, -4] and done_here == [1, 3, 4]


def _refuse(*_args: object, **_kwargs: object) -> None:
    raise OSError("无法创建进程")


def test_helpers_that_cannot_start_leave_everything_to_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing.context

    monkeypatch.setattr(multiprocessing.context.SpawnProcess, "start", _refuse)
    reasons: list[BaseException] = []
    got = list(processes.ordered_map(process_support.square, [1, 2, 3], HELPERS, local=lambda n: -n,
                                     on_fallback=reasons.append))
    assert got == [-1, -2, -3] and [str(r) for r in reasons] == ["无法创建进程"]


@pytest.mark.parametrize("help_here", [False, True])
def test_helpers_whose_start_fails_leave_everything_to_this_process_and_it_says_so(help_here: bool) -> None:
    """Also when this process did all the work before the helpers could have started: a broken installation whose
    helpers cannot start is said, not hidden by a small batch."""
    reasons: list[BaseException] = []
    got = list(processes.ordered_map(process_support.square, [1, 2, 3, 4], HELPERS, local=lambda n: -n,
                                     initializer=process_support.refuse_to_start, initargs=("数据文件打不开",),
                                     on_fallback=reasons.append, help_here=help_here))
    assert got == [-1, -2, -3, -4] and [str(r) for r in reasons] == ["数据文件打不开"]


def test_helpers_that_start_fine_after_the_work_is_done_say_nothing() -> None:
    reasons: list[BaseException] = []
    got = list(processes.ordered_map(process_support.square, [1, 2], HELPERS, local=lambda n: -n,
                                     on_fallback=reasons.append))
    assert got == [-1, -2] and reasons == []  # this process did both; the helpers started, and were not needed


def test_receiving_says_when_its_helpers_could_not_run(counties: dict[str, County], tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing.context

    usb = copy_files([c.xlsx for c in counties.values()], tmp_path / "U盘")
    store = receiving_store(tmp_path / "州市", counties=counties)
    try:
        monkeypatch.setattr(multiprocessing.context.SpawnProcess, "start", _refuse)
        said: list[str] = []
        results = receiving.receive_files(store, usb, jobs=HELPERS, warn=said.append)
        assert [r.outcome for r in results] == [receiving.ACCEPTED] * 3 + [receiving.REFUSED]
        assert said == ["并行核验的进程未能运行（OSError：无法创建进程），其余文件已改为在本进程中逐个核验，结果相同"]
    finally:
        store.close()


def test_no_helper_means_all_here() -> None:
    assert list(processes.ordered_map(process_support.pid, [1, 2, 3], 0, local=lambda _n: os.getpid())) == [os.getpid()] * 3
    assert list(processes.ordered_map(process_support.square, [13, 2], 0, local=process_support.square))[1] == 4


def test_a_return_travels_between_processes_with_its_definition_parsed_once(counties: dict[str, County]) -> None:
    from models.return_io import read_return

    ret = read_return(counties["530821"].xlsx).ret
    assert ret is not None
    copy = pickle.loads(pickle.dumps(ret))
    assert copy == ret and copy.definition is ret.definition  # the shipped definition: the same object
    assert len(pickle.dumps(ret.definition)) < len(ret.definition.raw) + 200  # its bytes, not the parsed body


def test_a_file_whose_helper_died_is_reported_unreadable_with_the_reason(counties: dict[str, County],
                                                                        tmp_path: Path) -> None:
    store = receiving_store(tmp_path / "州市", counties=counties)
    try:
        died = processes.HelperDied("处理该文件的进程意外退出（退出代码 -9），可能是文件损坏、伪造或内容过大")
        path = tmp_path / "伪造.xlsx"
        result = receiving._receive_one(store, path, died, receiving._own_unit(store), None)
        assert (result.outcome, result.status, result.reason) == (receiving.UNREADABLE, "malformed", str(died))
        assert "伪造.xlsx" in result.line() and "退出代码 -9" in result.line()
    finally:
        store.close()
