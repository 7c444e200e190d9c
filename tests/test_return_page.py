"""The 报表 page, driven as a user drives it: period, numbers and their records, review, 说明,
finalise, export, print."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPageSize
from PySide6.QtPrintSupport import QPrinter

from forms import returns as R
from forms.definition import shipped_spec
from forms.periods import Period
from models import returns as ret_mod
from models import review, versions
from models.db import Store
from models.export_pdf import layout
from ui import return_page, settings_store
from ui.return_page import RecordsBehindDialog, ReturnPage
from ui.return_print import page_image, print_pages

YEAR = dt.date.today().year - 1


@pytest.fixture
def messages(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    shown: list[tuple[str, str]] = []
    for name in ("information", "warning", "critical"):
        monkeypatch.setattr(return_page.msgbox, name,
                            lambda _parent, title, text, *_a, _n=name: shown.append((title, text)))
    # 定稿 is confirmed; “没有签名密钥 — 现在创建吗？” is answered “不签名，继续导出”
    monkeypatch.setattr(return_page.msgbox, "confirm",
                        lambda _parent, title, text, *_a, **_k: shown.append((title, text)) or title == "定稿")
    return shown


@pytest.fixture
def page(qtbot: Any, demo_store: Store) -> ReturnPage:
    settings_store.set_current_period(demo_store, Period(YEAR))
    widget = ReturnPage(demo_store)
    qtbot.addWidget(widget)
    widget.resize(1200, 800)
    widget.refresh()
    return widget


def test_page_shows_the_computed_return(page: ReturnPage, demo_store: Store) -> None:
    assert page.period_box.currentData() == str(YEAR)
    ret = ret_mod.compute(demo_store, Period(YEAR))
    view = page.tables["T3"]
    total_row = view.first_data + len(shipped_spec().table("T3").rows) - 1
    assert view.item(total_row, 0).text() == "合计"
    assert view.item(total_row, 2).text() == str(ret.tables["T3"][R.TOTAL]["participants"])
    assert view.item(total_row, view.columnCount() - 2).text() == f"{ret.tables['T3'][R.TOTAL]['funds']:.2f}"
    assert view.item(view.head_rows, 0).text() == "甲"
    assert [page.tabs.tabText(i) for i in range(page.tabs.count())] == \
        ["封面", "表1 劳模", "表2 工作室", "表3 培训", "表4 竞赛", "表5 创新", "附表1 劳模名册", "附表2 工作室名册"]
    assert page.rosters["R1"].rowCount() == len(ret.rosters["R1"])
    assert "********" in page.rosters["R1"].index(0, 5).data()
    assert page.cover.edits["head"].text() == "李国华"


def test_clicking_a_number_lists_its_records_and_opens_one(qtbot: Any, page: ReturnPage, demo_store: Store,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    chosen: list[tuple[str, str, str]] = []
    monkeypatch.setattr(page, "show_records_behind", lambda *place: chosen.append(place))
    page.tables["T3"].cell_chosen.disconnect()
    page.tables["T3"].cell_chosen.connect(page.show_records_behind)
    view = page.tables["T3"]
    total_row = view.first_data + len(shipped_spec().table("T3").rows) - 1
    view.cellDoubleClicked.emit(total_row, 2)
    assert chosen == [("T3", R.TOTAL, "participants")]

    dialog = RecordsBehindDialog(demo_store, Period(YEAR), "T3", R.TOTAL, "participants", page)
    qtbot.addWidget(dialog)
    assert dialog.list.rowCount() == demo_store.scalar(
        "SELECT count(*) FROM trainings WHERE start_date LIKE ?", (f"{YEAR}-%",))
    opened: list[tuple[str, int]] = []
    monkeypatch.setattr("ui.record_dialog.edit_record", lambda _p, _s, kind, rid: opened.append((kind, rid)) or rid)
    dialog.list.cellDoubleClicked.emit(0, 0)
    assert opened == [("trainings", dialog.refs[0].id)] and dialog.changed


def test_review_note_and_finalise(qtbot: Any, page: ReturnPage, demo_store: Store,
                                  messages: list[tuple[str, str]]) -> None:
    tid = demo_store.scalar("SELECT id FROM trainings WHERE start_date LIKE ? LIMIT 1", (f"{YEAR}-%",))
    demo_store.conn.execute("UPDATE trainings SET participants = 150000 WHERE id = ?", (tid,))
    qtbot.mouseClick(page.review_button, Qt.MouseButton.LeftButton)
    assert page.findings.rowCount() == 1
    assert page.findings.item(0, 0).text() == "警告" and "（须填写说明）" == page.findings.item(0, 3).text()
    assert not page.finalise()
    assert messages[-1][0] == "不能定稿"
    page.findings.setCurrentCell(0, 0)
    assert page.note_edit.isEnabled()
    page.note_edit.insertPlainText("全县集中安全培训，已核实")  # typed through an input method
    qtbot.mouseClick(page.note_button, Qt.MouseButton.LeftButton)
    notes = review.get_notes(demo_store, Period(YEAR))
    assert notes == {("training.implausible", f"trainings#{tid}"): "全县集中安全培训，已核实"}
    assert page.findings.item(0, 3).text() == "全县集中安全培训，已核实"
    qtbot.mouseClick(page.finalise_button, Qt.MouseButton.LeftButton)
    assert messages[-1][0] == "已定稿"
    assert page.version_box.currentData() == 1 and not page.finalise_button.isEnabled()
    saved = versions.load_version(demo_store, Period(YEAR), 1)
    assert saved is not None and saved.notes[0]["text"] == "全县集中安全培训，已核实"
    assert "第1版" in page.state.text()


def test_double_click_on_a_finding_opens_the_record(page: ReturnPage, demo_store: Store,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    demo_store.conn.execute("UPDATE people SET birth_date = '1900-01-01' WHERE id = 5")
    opened: list[tuple[str, int]] = []
    monkeypatch.setattr("ui.record_dialog.edit_record", lambda _p, _s, kind, rid: opened.append((kind, rid)))
    page.run_review()
    row = next(i for i, f in enumerate(page.report.findings) if f.where == "people#5")  # type: ignore[union-attr]
    page.findings.cellDoubleClicked.emit(row, 1)
    assert opened == [("people", 5)]
    # a cell finding selects the cell, a cover finding focuses the field
    page.cover.edits["head"].setText("")
    page.save_cover()
    page.run_review()
    row = next(i for i, f in enumerate(page.report.findings) if f.where == "cover/head")  # type: ignore[union-attr]
    page.jump(row)
    assert page.tabs.currentWidget() is page.cover_scroll


def test_an_edit_from_the_findings_computes_the_return_once(page: ReturnPage, demo_store: Store,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """After a record is edited from a finding, the draft shown and the review read the same computed return."""
    born = demo_store.scalar("SELECT birth_date FROM people WHERE id = 5")
    demo_store.conn.execute("UPDATE people SET birth_date = '1900-01-01' WHERE id = 5")
    page.run_review()
    row = next(i for i, f in enumerate(page.report.findings) if f.where == "people#5")  # type: ignore[union-attr]

    def fix(_parent: Any, store: Store, kind: str, rid: int) -> int:
        store.conn.execute("UPDATE people SET birth_date = ? WHERE id = ?", (born, rid))
        return rid

    monkeypatch.setattr("ui.record_dialog.edit_record", fix)
    computed: list[ret_mod.Return] = []
    compute = ret_mod.compute
    monkeypatch.setattr(ret_mod, "compute", lambda *a, **k: computed.append(compute(*a, **k)) or computed[-1])
    page.jump(row)
    assert len(computed) == 1 and page.ret is computed[0]
    assert not any(f.where == "people#5" for f in page.report.findings)  # type: ignore[union-attr]


def test_a_large_return_is_computed_reviewed_and_finalised_off_the_windows_thread(
        qtbot: Any, demo_store: Store, messages: list[tuple[str, str]], monkeypatch: pytest.MonkeyPatch) -> None:
    """A return of many people (a prefecture's, the province's) is computed, reviewed and finalised on a worker thread
    with its own connection while the window keeps painting; each result is shown when it is ready."""
    import threading

    monkeypatch.setattr(ret_mod, "LONG_WORK_HONOURS", 10)  # the demo county's 100 or so honours count as many
    assert ret_mod.computing_is_long(demo_store)
    threads: list[str] = []
    compute = ret_mod.compute

    def watched(store: Store, *args: Any, **kwargs: Any) -> ret_mod.Return:
        threads.append("window" if threading.current_thread() is threading.main_thread() else "worker")
        assert store is not demo_store
        return compute(store, *args, **kwargs)

    monkeypatch.setattr(ret_mod, "compute", watched)
    settings_store.set_current_period(demo_store, Period(YEAR))
    page = ReturnPage(demo_store)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.ret is not None, timeout=30_000)
    assert page.ret is not None and page.ret.is_draft and "草稿" in page.state.text()
    assert page.rosters["R1"].rowCount() == len(page.ret.rosters["R1"])

    qtbot.mouseClick(page.review_button, Qt.MouseButton.LeftButton)
    assert page.report is None  # not yet: it is being reviewed
    qtbot.waitUntil(lambda: page.report is not None, timeout=30_000)
    assert page.findings.rowCount() == len(page.report.findings)  # type: ignore[union-attr]
    assert "审核结果" in page.summary.text()

    page.finalise()
    qtbot.waitUntil(lambda: page.version_box.currentData() == 1 and page.ret is not None and not page.ret.is_draft,
                    timeout=30_000)
    assert messages[-1][0] == "已定稿" and "第1版" in page.state.text()
    assert versions.load_version(demo_store, Period(YEAR), 1) is not None
    assert threads and set(threads) == {"worker"}


def test_export_writes_files_in_the_background(qtbot: Any, page: ReturnPage, tmp_path: Path,
                                               messages: list[tuple[str, str]]) -> None:
    out = tmp_path / "U盘"
    page.export(["xlsx", "pdf"], folder=str(out))
    qtbot.waitUntil(lambda: len(messages) > 1, timeout=30_000)
    assert messages[-1][0] == "导出完成", messages
    assert messages[0][0] == "没有签名密钥" and "无签名" in messages[0][1]
    assert "文件 → 本单位密钥…" in messages[-1][1]
    assert sorted(p.name for p in out.iterdir()) == [f"530821_{YEAR}_v1.pdf", f"530821_{YEAR}_v1.xlsx"]
    assert page.version_box.count() == 2


def test_printing_draws_the_same_pages_as_the_pdf(qtbot: Any, page: ReturnPage, tmp_path: Path) -> None:
    assert page.ret is not None
    pages = layout(page.ret, sections=["汇总表", "表2"])
    image = page_image(pages[0], 48)
    assert image.width() < image.height()  # the summary is portrait
    dark = sum(1 for x in range(0, image.width(), 4) for y in range(0, image.height(), 4)
               if image.pixelColor(x, y).lightness() < 128)
    assert dark > 200
    printer = QPrinter(QPrinter.PrinterMode.ScreenResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    target = tmp_path / "打印.pdf"
    printer.setOutputFileName(str(target))
    print_pages(printer, pages)
    reader = PdfReader(target)
    assert len(reader.pages) == len(pages) == 2
    box = reader.pages[1].mediabox
    assert float(box.width) > float(box.height)  # 表2 prints landscape
    assert QColor(255, 255, 255).lightness() == 255


def test_long_state_sentence_does_not_widen_the_page(qtbot: Any, page: ReturnPage, demo_store: Store,
                                                      messages: list[tuple[str, str]]) -> None:
    """On a 1366×768 screen the page gets about 1100 px beside the navigation; the state line must wrap, not widen it."""
    assert page.finalise()
    assert "第1版" in page.state.text()
    assert page.minimumSizeHint().width() <= 1100
    page.version_box.setCurrentIndex(page.version_box.findData(None))
    assert "已定稿至第1版" in page.state.text()
    assert page.minimumSizeHint().width() <= 1100


def test_period_and_version_boxes_have_keyboard_labels(qtbot, demo_store) -> None:
    from PySide6.QtWidgets import QLabel

    from ui.return_page import ReturnPage

    page = ReturnPage(demo_store)
    qtbot.addWidget(page)
    buddies = {label.text(): label.buddy() for label in page.findChildren(QLabel) if label.buddy() is not None}
    assert buddies["报告期(&Q)"] is page.period_box
    assert buddies["查看(&V)"] is page.version_box


# ---------------------------------------------------------------------------------------------
# Nothing typed is lost


def _warning_page(page: ReturnPage, demo_store: Store) -> int:
    tid = demo_store.scalar("SELECT id FROM trainings WHERE start_date LIKE ? LIMIT 1", (f"{YEAR}-%",))
    demo_store.conn.execute("UPDATE trainings SET participants = 150000 WHERE id = ?", (tid,))
    page.run_review()
    assert page.report is not None
    page.findings.setCurrentCell(next(i for i, f in enumerate(page.report.findings) if f.code == "training.implausible"), 0)
    assert page.note_edit.isEnabled()
    return int(tid)


def test_note_typed_but_not_saved_survives_a_refused_finalise(qtbot: Any, page: ReturnPage, demo_store: Store,
                                                             messages: list[tuple[str, str]]) -> None:
    from models import unit

    unit.update_contacts(demo_store, head="")  # an error too: the cover lacks 单位负责人
    page.refresh()
    tid = _warning_page(page, demo_store)
    page.note_edit.setFocus()
    qtbot.keyClicks(page.note_edit, "checked with the county office")
    assert not page.finalise()  # refused for the error: the 说明 stays, on screen and stored
    assert messages[-1][0] == "不能定稿"
    assert review.get_notes(demo_store, Period(YEAR)) == {
        ("training.implausible", f"trainings#{tid}"): "checked with the county office"}
    row = next(i for i, f in enumerate(page.report.findings) if f.code == "training.implausible")  # type: ignore[union-attr]
    page.findings.setCurrentCell(row, 0)
    assert page.note_edit.toPlainText() == "checked with the county office"


def test_note_is_kept_when_moving_to_another_finding_or_page(qtbot: Any, page: ReturnPage, demo_store: Store,
                                                             messages: list[tuple[str, str]]) -> None:
    tid = _warning_page(page, demo_store)
    page.show()
    page.note_edit.setFocus()
    qtbot.keyClicks(page.note_edit, "first words")
    page.hide()  # the main window shows another page
    assert review.get_notes(demo_store, Period(YEAR))[("training.implausible", f"trainings#{tid}")] == "first words"
    page.show()
    qtbot.keyClicks(page.note_edit, ", more")
    page.run_review()  # 审核 again: the text is saved before the review reads the notes
    assert page.report is not None and page.report.missing_notes == []
    assert page.findings.item(page.findings.currentRow(), 3).text() == "first words, more"


def test_finalise_uses_the_cover_as_typed_and_asks_first(qtbot: Any, page: ReturnPage, demo_store: Store,
                                                        messages: list[tuple[str, str]],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    page.cover.edits["head"].clear()
    qtbot.keyClicks(page.cover.edits["head"], "Zhao Min")  # typed, not saved with its button
    monkeypatch.setattr(return_page.msgbox, "confirm", lambda *_a, **_k: False)
    assert not page.finalise()  # the user said no: nothing finalised, but the typing is kept
    assert versions.list_versions(demo_store, Period(YEAR)) == []
    assert page.cover.edits["head"].text() == "Zhao Min"
    asked: list[str] = []
    monkeypatch.setattr(return_page.msgbox, "confirm", lambda _p, _t, text, *_a, **_k: asked.append(text) or True)
    assert page.finalise()
    assert "冻结" in asked[0]
    saved = versions.load_version(demo_store, Period(YEAR), 1)
    assert saved is not None and saved.cover["head"] == "Zhao Min"


def test_a_bad_phone_on_the_cover_stops_finalise_and_says_why(qtbot: Any, page: ReturnPage, demo_store: Store,
                                                             messages: list[tuple[str, str]]) -> None:
    page.cover.edits["phone"].setText("12")
    assert not page.finalise()
    assert messages[-1][0] == "无法保存封面信息" and messages[-1][1].startswith("联系电话")
    assert page.tabs.currentWidget() is page.cover_scroll
    assert page.cover.edits["phone"].text() == "12"
    assert versions.list_versions(demo_store, Period(YEAR)) == []


def test_tab_leaves_the_findings_and_the_note(qtbot: Any, page: ReturnPage, demo_store: Store,
                                              messages: list[tuple[str, str]]) -> None:
    from PySide6.QtWidgets import QApplication

    _warning_page(page, demo_store)
    page.show()
    qtbot.waitExposed(page)
    page.activateWindow()
    qtbot.waitUntil(page.isActiveWindow)
    page.findings.setFocus()
    qtbot.keyClick(page.findings, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is page.note_edit
    qtbot.keyClick(page.note_edit, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is page.note_button
