"""The 上报情况 page, driven as a user drives it: receive a USB folder (with progress), read the board, 退回 with a
reason, write 回执, open a 回执 at the county, go to the consolidated return, print the board."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from consolidation_support import (
    YEAR,
    County,
    copy_files,
    make_key,
    open_county_copy,
    receiving_store,
    signer,
)
from pdf_fonts import unembedded_fonts
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from forms.definition import shipped_spec
from forms.periods import Period
from models import board, receiving
from models.db import Store
from ui import board_page, settings_store, workers
from ui.board_page import BoardModel, BoardPage, ReasonDialog

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def prefecture(tmp_path: Path, counties: dict[str, County]) -> Store:
    store = receiving_store(tmp_path / "普洱市", counties=counties)
    settings_store.set_current_period(store, Period(int(YEAR)))
    yield store
    store.close()


@pytest.fixture
def messages(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    shown: list[tuple[str, str]] = []
    for name in ("information", "warning", "critical"):
        monkeypatch.setattr(board_page.msgbox, name, lambda _parent, title, text, *_a, _n=name: shown.append((title, text)))
    return shown


@pytest.fixture
def page(qtbot: Any, prefecture: Store, messages: list[tuple[str, str]]) -> BoardPage:
    widget = BoardPage(prefecture)
    qtbot.addWidget(widget)
    widget.resize(1300, 700)
    return widget


def _row_of(page: BoardPage, code: str) -> int:
    return [e.unit.code for e in page.model.entries].index(code)


def test_model_passes_the_model_tester(qtmodeltester: Any, page: BoardPage) -> None:
    qtmodeltester.check(page.model)


def test_receiving_a_folder_fills_the_board(qtbot: Any, page: BoardPage, counties: dict[str, County], tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    assert page.summary.text() == f"{YEAR}年年报：应报 10 个，实报 0 个，未报：" + "、".join(
        e.unit.short_name for e in page.board.entries)  # type: ignore[union-attr]
    usb = tmp_path / "U盘"
    copy_files([counties[c].xlsx for c in ("530821", "530822", "530102")] + [counties["530821"].pdf], usb)
    shown: list[list[str]] = []  # the dialog's 结果 column (the dialog is deleted after it closes)
    monkeypatch.setattr(board_page.ReceiveResultsDialog, "exec", lambda dialog: shown.append(
        [dialog.list.item(i, 1).text() for i in range(dialog.list.rowCount())]) or 0)
    changed: list[bool] = []
    page.data_changed.connect(lambda: changed.append(True))
    page.receive_folder(str(usb))
    qtbot.waitUntil(lambda: bool(shown) and not workers.running(), timeout=30_000)

    texts = shown[0]
    assert len(texts) == 4
    assert texts.count("验证通过，已接收") == 2 and any("拒收" in t for t in texts)
    assert changed
    assert page.model.rowCount() == 10
    row = _row_of(page, "530821")
    index = page.model.index(row, BoardModel.STATE)
    assert index.data() == "已报"
    assert page.model.index(row, BoardModel.VERSION).data() == "第1版"
    assert "宁洱哈尼族彝族自治县总工会" in page.model.index(row, BoardModel.SIGNER).data()
    assert page.model.index(_row_of(page, "530828"), BoardModel.STATE).data() == "未报"
    assert page.summary.text().startswith(f"{YEAR}年年报：应报 10 个，实报 2 个，未报：思茅区、景东县")
    assert "已报：2" in page.counts.text() and "未报：8" in page.counts.text()
    assert settings_store.preferences().last_folder(board_page.FOLDER_RECEIVE) == str(usb)


def test_a_large_batch_is_received_in_helper_processes_from_the_window(
        qtbot: Any, page: BoardPage, counties: dict[str, County], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from models import receiving

    usb = tmp_path / "U盘 很多"
    copy_files([counties[c].xlsx for c in ("530821", "530822", "530823")] + [counties["530821"].pdf], usb)
    monkeypatch.setattr(receiving, "PARALLEL_BYTES", 1)  # as a stick of a hundred returns would
    monkeypatch.setattr(receiving, "helper_count", lambda files: 2)
    shown: list[list[str]] = []
    monkeypatch.setattr(board_page.ReceiveResultsDialog, "exec", lambda dialog: shown.append(
        [dialog.list.item(i, 1).text() for i in range(dialog.list.rowCount())]) or 0)
    page.receive_folder(str(usb))  # from the window's worker thread
    qtbot.waitUntil(lambda: bool(shown) and not workers.running(), timeout=60_000)
    assert shown[0][:3] == ["验证通过，已接收"] * 3 and shown[0][3].startswith("验证通过，已核验")
    assert page.summary.text().startswith(f"{YEAR}年年报：应报 10 个，实报 3 个")


def test_a_large_batch_is_received_in_helpers_and_says_when_they_could_not_run(
        qtbot: Any, page: BoardPage, counties: dict[str, County], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing.context

    from PySide6.QtWidgets import QLabel

    from models import receiving

    usb = tmp_path / "U盘 很多"
    copy_files([counties[c].xlsx for c in ("530821", "530822", "530823")], usb)
    monkeypatch.setattr(receiving, "PARALLEL_BYTES", 1)  # as a stick of a hundred returns would
    monkeypatch.setattr(receiving, "helper_count", lambda files: 2)  # on any PC, also a single-core one

    def no_processes(*_args: object, **_kwargs: object) -> None:
        raise OSError("进程数已达上限")

    monkeypatch.setattr(multiprocessing.context.SpawnProcess, "start", no_processes)
    shown: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(board_page.ReceiveResultsDialog, "exec", lambda dialog: shown.append(
        (dialog.findChild(QLabel).text(), [dialog.list.item(i, 1).text() for i in range(dialog.list.rowCount())])) or 0)
    page.receive_folder(str(usb))
    qtbot.waitUntil(lambda: bool(shown) and not workers.running(), timeout=30_000)
    summary, outcomes = shown[0]
    assert outcomes == ["验证通过，已接收"] * 3
    assert summary.splitlines() == ["共 3 个文件：新接收 3 个，已有 0 个",
                                    "并行核验的进程未能运行（OSError：进程数已达上限），其余文件已改为在本进程中逐个核验，结果相同"]
    assert page.model.index(_row_of(page, "530823"), BoardModel.STATE).data() == "已报"


def test_a_hostile_file_in_the_folder_does_not_stop_the_others(qtbot: Any, page: BoardPage, counties: dict[str, County],
                                                                tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import sys

    import hostile_files

    usb = tmp_path / "U盘 有坏文件"
    usb.mkdir()
    hostile_files.far_cell(counties["530821"].xlsx, usb / "0_远处有一格.xlsx")
    hostile_files.compression_bomb(usb / "1_压缩炸弹.xlsx")
    if sys.platform != "win32" and hasattr(os, "mkfifo"):
        hostile_files.fifo(usb / "2_管道.xlsx")
    copy_files([counties["530822"].xlsx], usb)
    shown: list[list[tuple[str, str]]] = []
    monkeypatch.setattr(board_page.ReceiveResultsDialog, "exec", lambda dialog: shown.append(
        [(dialog.list.item(i, 1).text(), dialog.list.item(i, 2).text() if dialog.list.columnCount() > 2 else "")
         for i in range(dialog.list.rowCount())]) or 0)
    page.receive_folder(str(usb))
    qtbot.waitUntil(lambda: bool(shown) and not workers.running(), timeout=30_000)
    results = [text for text, _detail in shown[0]]
    assert results.count("验证通过，已接收") == 1
    assert sum("无法读取" in t or "格式错误" in t for t in results) == len(results) - 1, shown[0]
    assert page.model.index(_row_of(page, "530822"), BoardModel.STATE).data() == "已报"


def test_send_back_write_receipts_and_open_them_at_the_county(qtbot: Any, page: BoardPage, prefecture: Store,
                                                               counties: dict[str, County], tmp_path: Path,
                                                               messages: list[tuple[str, str]],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    receiving.receive_files(prefecture, [counties["530821"].xlsx, counties["530822"].xlsx])
    page.refresh()
    monkeypatch.setattr(board_page, "ask_signer", lambda *_a: signer(prefecture))
    page.table.selectRow(_row_of(page, "530828"))  # not reported: nothing to send back
    assert not page.return_button.isEnabled()
    page.table.selectRow(_row_of(page, "530822"))
    assert page.return_button.isEnabled()
    folder = tmp_path / "回执"
    path = page.send_back(reason="表3培训经费与附件不符，请核实后重报", folder=str(folder))
    assert path is not None and path.exists()
    assert messages[-1][0] == "已退回"
    assert page.model.index(_row_of(page, "530822"), BoardModel.STATE).data() == "已退回"
    assert "退回原因：表3培训经费" in page.model.index(_row_of(page, "530822"), BoardModel.NOTE).data()
    assert not page.return_button.isEnabled()

    written = page.write_receipts(selected_only=False, folder=str(folder))
    assert sorted(p.name for p in written) == [f"530821_{YEAR}_v1_回执_已接收.json", f"530822_{YEAR}_v1_回执_已退回.json"]

    # 墨江's program: no subordinates, so the page offers only “打开回执”
    county = open_county_copy(counties["530822"], tmp_path / "墨江")
    try:
        county_page = BoardPage(county)
        qtbot.addWidget(county_page)
        assert not county_page.no_subordinates.isHidden() and county_page.table.isHidden()
        assert county_page.receive_button.isHidden() and not county_page.open_receipt_button.isHidden()
        assert "没有下级单位" in county_page.no_subordinates.text()
        shown: list[tuple[str, str]] = []
        monkeypatch.setattr(board_page.ReceiptDialog, "exec", lambda dialog: shown.append(
            (dialog.findChild(board_page.QLabel, "decision").text(), dialog.body.toPlainText())) or 0)
        opened = county_page.open_receipt(str(path))
        assert opened is not None and opened.sound
        decision, body = shown[0]
        assert "已退回" in decision
        assert "退回原因：表3培训经费与附件不符，请核实后重报" in body
        assert f"与本单位定稿的{YEAR}年年报第1版报表一致" in body
    finally:
        county.close()


def test_reason_dialog_needs_a_reason(qtbot: Any) -> None:
    dialog = ReasonDialog("墨江哈尼族自治县总工会 第1版")
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert dialog.result() == 0 and dialog.error.text() == "请填写退回原因"
    qtbot.keyClicks(dialog.reason, "   ")  # blanks are no reason
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert dialog.result() == 0
    dialog.reason.insertPlainText("表4获奖人数有误")  # as an input method commits Chinese text
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert dialog.result() == 1 and dialog.text() == "表4获奖人数有误"


def test_consolidate_goes_to_the_return_page(page: BoardPage, prefecture: Store) -> None:
    targets: list[str] = []
    page.navigate.connect(targets.append)
    page.period_box.setCurrentIndex(page.period_box.findData(f"{YEAR}H1"))
    page.consolidate_button.click()
    assert targets == ["returns"]
    assert settings_store.current_period(prefecture).code == f"{YEAR}H1"


def test_unregistered_rows_turn_valid_when_the_page_refreshes(qtbot: Any, tmp_path: Path, counties: dict[str, County],
                                                              messages: list[tuple[str, str]]) -> None:
    from models.signing import trust

    store = receiving_store(tmp_path / "普洱市")
    try:
        settings_store.set_current_period(store, Period(int(YEAR)))
        receiving.receive_files(store, [counties["530821"].xlsx])
        widget = BoardPage(store)
        qtbot.addWidget(widget)
        assert widget.model.index(_row_of(widget, "530821"), BoardModel.STATE).data() == "未登记"
        trust.register(store, counties["530821"].cert)
        widget.refresh()
        assert widget.model.index(_row_of(widget, "530821"), BoardModel.STATE).data() == "已报"
    finally:
        store.close()


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler 的 pdftotext 未安装")
def test_printed_board_shows_chinese(page: BoardPage, prefecture: Store, counties: dict[str, County],
                                     tmp_path: Path) -> None:
    from PySide6.QtGui import QPageLayout, QPageSize
    from PySide6.QtPrintSupport import QPrinter

    receiving.receive_files(prefecture, [counties["530823"].xlsx])
    page.refresh()
    html = board.board_html(page.board)  # type: ignore[arg-type]
    assert "景东彝族自治县总工会" in html and "应报 10 个，实报 1 个" in html
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    printer.setPageOrientation(QPageLayout.Orientation.Landscape)
    target = tmp_path / "上报情况.pdf"
    printer.setOutputFileName(str(target))
    page.board_document().print_(printer)
    assert unembedded_fonts(target.read_bytes()) == []
    text = subprocess.run(["pdftotext", "-layout", str(target), "-"], capture_output=True, check=True,
                          timeout=60).stdout.decode()
    for needle in ("上报情况", "应报 10 个，实报 1 个", "景东彝族自治县总工会", "已报", "未报", "第1版"):
        assert needle in text, needle


def test_history_lists_every_file_of_a_unit(page: BoardPage, prefecture: Store, counties: dict[str, County],
                                            tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from consolidation_support import tamper_xlsx

    receiving.receive_files(prefecture, [counties["530821"].xlsx, tamper_xlsx(counties["530821"].xlsx, tmp_path / "改.xlsx")])
    page.refresh()
    page.table.selectRow(_row_of(page, "530821"))
    shown: list[list[str]] = []
    monkeypatch.setattr(board_page.HistoryDialog, "exec", lambda dialog: shown.append(
        [dialog.list.item(r, 1).text() + "/" + dialog.list.item(r, 2).text() for r in range(dialog.list.rowCount())]) or 0)
    page.show_history()
    assert sorted(shown[0]) == ["已被修改/未采用", "验证通过/正在使用"]


def test_consolidated_return_page_drills_down_by_unit(qtbot: Any, prefecture: Store, counties: dict[str, County],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from models import review
    from ui import return_page
    from ui.contributions_dialog import ContributionsDialog
    from ui.return_page import ReturnPage

    receiving.receive_files(prefecture, [counties[c].xlsx for c in ("530821", "530822", "530823")])
    widget = ReturnPage(prefecture)
    qtbot.addWidget(widget)
    widget.resize(1200, 800)
    widget.refresh()
    # a prefecture's return sums what it received: computed off the window's thread
    qtbot.waitUntil(lambda: widget.ret is not None and "应报" in widget.cover.info.text(), timeout=30_000)
    assert widget.ret is not None and widget.ret.consolidated
    assert "应报 10 个，实报 3 个" in widget.cover.info.text()
    roster = widget.rosters["R1"]
    assert roster.headerData(roster.columnCount() - 1, Qt.Orientation.Horizontal) == "来源单位"

    shown: list[list[str]] = []
    monkeypatch.setattr(ContributionsDialog, "exec", lambda dialog: shown.append(
        [dialog.list.item(r, 0).text() + "=" + dialog.list.item(r, 2).text() for r in range(dialog.list.rowCount())]) or 0)
    view = widget.tables["T3"]
    total_row = view.first_data + len(shipped_spec().table("T3").rows) - 1
    view.cellDoubleClicked.emit(total_row, 2)  # 参训人次 合计
    parts = shown[0]
    assert [p.split("（")[0] for p in parts] == ["普洱市总工会", "宁洱哈尼族彝族自治县总工会", "墨江哈尼族自治县总工会",
                                                "景东彝族自治县总工会"]
    assert sum(int(p.split("=")[1]) for p in parts) == widget.ret.tables["T3"]["total"]["participants"]

    # the review flags 岩温 (in 宁洱's and 景东's rosters); double-clicking the warning shows the roster row
    monkeypatch.setattr(return_page.msgbox, "information", lambda *_a, **_k: None)
    widget.run_review()
    qtbot.waitUntil(lambda: widget.report is not None, timeout=30_000)
    report = widget.report
    assert report is not None
    row = next(i for i, f in enumerate(report.findings) if f.code == "roster.duplicate_person")
    widget.jump(row)
    seq = int(review.parse_where(report.findings[row].where).row)
    current = widget.tabs.currentWidget()
    assert widget.tabs.tabText(widget.tabs.currentIndex()) == "附表1 劳模名册"
    assert current.currentIndex().row() == seq - 1  # type: ignore[attr-defined]
    assert roster.rows[seq - 1]["name"] == "岩温"
    targets: list[str] = []
    widget.navigate.connect(targets.append)
    widget.jump(next(i for i, f in enumerate(report.findings) if f.code == "consolidation.missing"))
    assert targets == ["board"]


def test_send_back_without_a_key_says_so_first_and_keeps_the_reason(qtbot: Any, tmp_path: Path,
                                                                      counties: dict[str, County],
                                                                      messages: list[tuple[str, str]],
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from ui import keys_dialog

    store = receiving_store(tmp_path / "普洱市", counties=counties, key=False)
    try:
        settings_store.set_current_period(store, Period(int(YEAR)))
        receiving.receive_files(store, [counties["530821"].xlsx])
        widget = BoardPage(store)
        qtbot.addWidget(widget)
        widget.table.selectRow(_row_of(widget, "530821"))
        asked: list[str] = []
        monkeypatch.setattr(keys_dialog.msgbox, "confirm", lambda _p, _t, text, *_a, **_k: asked.append(text) or False)
        monkeypatch.setattr(board_page.ReasonDialog, "exec", lambda _d: pytest.fail("asked for a reason first"))
        assert widget.send_back() is None
        assert "还没有创建签名密钥" in asked[0]  # said before anything was typed, and offered to create it

        # the user creates the key there and then
        monkeypatch.setattr(keys_dialog.msgbox, "confirm", lambda *_a, **_k: True)
        monkeypatch.setattr(keys_dialog.msgbox, "information", lambda _p, title, text, *_a: messages.append((title, text)))

        def create(_parent: Any, s: Store) -> bool:
            make_key(s)
            return True

        monkeypatch.setattr(keys_dialog, "create_key_now", create)

        def type_reason(dialog: Any) -> int:
            qtbot.keyClicks(dialog.reason, "table 3 fees do not match")
            return 1

        monkeypatch.setattr(board_page.ReasonDialog, "exec", type_reason)
        monkeypatch.setattr(board_page, "ask_signer", lambda *_a: None)  # the passphrase step is cancelled
        assert widget.send_back(folder=str(tmp_path / "回执")) is None
        assert messages[-1][0] == "已创建签名密钥" and "文件 → 本单位密钥…" in messages[-1][1]

        seen: list[str] = []

        def look(dialog: Any) -> int:
            seen.append(dialog.text())
            return 0

        monkeypatch.setattr(board_page.ReasonDialog, "exec", look)
        widget.send_back(folder=str(tmp_path / "回执"))
        assert seen == ["table 3 fees do not match"]  # the reason is still there
    finally:
        store.close()


def test_tab_leaves_the_reason(qtbot: Any) -> None:
    dialog = ReasonDialog("宁洱哈尼族彝族自治县总工会 2025年年报 第1版")
    qtbot.addWidget(dialog)
    assert dialog.reason.tabChangesFocus()


def test_receive_results_show_folders_and_registration_forms_are_not_failures(qtbot: Any, tmp_path: Path) -> None:
    from models.receiving import ReceiveResult

    stick = tmp_path / "U盘"
    results = [ReceiveResult(stick / "宁洱" / "报表.xlsx", "valid", "accepted"),
               ReceiveResult(stick / "墨江" / "报表.xlsx", "malformed", "unreadable", reason="格式错误"),
               ReceiveResult(stick / "墨江" / "530822-公钥登记表-25FA.pdf", "unsigned", "checked", reason="无签名")]
    dialog = board_page.ReceiveResultsDialog(results, "共 3 个文件")
    qtbot.addWidget(dialog)
    names = [dialog.list.item(r, 0).text() for r in range(3)]
    assert names[0] != names[1] and names[0].endswith("报表.xlsx") and "宁洱" in names[0]
    assert dialog.list.item(0, 0).toolTip() == str(stick / "宁洱" / "报表.xlsx")
    assert dialog.list.item(2, 1).text() == "不是报表（公钥登记表）"
    assert "证书登记（下级、上级单位）" in dialog.list.item(2, 2).text()


def test_receipts_come_with_a_printable_pdf_the_county_can_save(qtbot: Any, page: BoardPage, prefecture: Store,
                                                                counties: dict[str, County], tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil
    import subprocess

    from PySide6.QtGui import QDesktopServices

    receiving.receive_files(prefecture, [counties["530822"].xlsx])
    page.refresh()
    monkeypatch.setattr(board_page, "ask_signer", lambda *_a: signer(prefecture))
    page.table.selectRow(_row_of(page, "530822"))
    path = page.send_back(reason="表3培训经费与附件不符", folder=str(tmp_path / "回执"))
    assert path is not None and path.with_suffix(".pdf").exists()  # beside the signed .json

    county = open_county_copy(counties["530822"], tmp_path / "墨江")
    opened_urls: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened_urls.append(url.toLocalFile()) or True)
    saved: list[Path | None] = []
    monkeypatch.setattr(board_page.ReceiptDialog, "exec", lambda dialog: saved.append(
        dialog.save_pdf(str(tmp_path / "打印" / "回执"))) or 0)
    (tmp_path / "打印").mkdir()
    try:
        county_page = BoardPage(county)
        qtbot.addWidget(county_page)
        county_page.open_receipt(str(path))
    finally:
        county.close()
    assert saved[0] is not None and saved[0].name == "回执.pdf" and [Path(u) for u in opened_urls] == [saved[0]]
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(saved[0]), "-"], capture_output=True, check=True).stdout.decode()
        assert "已退回" in text and "表3培训经费与附件不符" in text and "打开回执" in text
