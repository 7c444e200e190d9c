"""A new year's definition works without code: the 2026 test definition (``tests/definitions/``) adds a
column to 表1, a table 表6 fed by two entry fields added to trainings, and two review rules. It goes
through install → entry (core and the GUI dialog) → review → signed export → receive at the prefecture →
consolidate → export → receive at the province → consolidate, with no change to Python code."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from PySide6.QtCore import Qt

from forms.definition import Definition, load_definition, shipped_definition
from forms.periods import Period
from models import board, consolidate, definitions, export, receiving, records, review, versions
from models import returns as ret_mod
from models.db import Store, open_store
from models.receiving import ACCEPTED, CHECKED
from models.return_io import read_return
from tests.consolidation_support import PREFECTURE, make_key, receiving_store, setup_unit, signer
from tests.test_ui_dialogs import enter, press, type_text, wait_checked

DEFINITION_FILE = Path(__file__).parent / "definitions" / "yn-changai-return-2026.json"
YEAR = Period(2026)
COUNTY = "530821"


def definition_2026() -> Definition:
    return load_definition(DEFINITION_FILE.read_bytes(), source=DEFINITION_FILE.name)


def training(name: str, start: str, participants: int, digital: int, *, online: bool = False) -> dict[str, object]:
    return {"name": name, "organizer": "宁洱县总工会", "type": "职业技能培训", "start_date": start, "end_date": start,
            "participants": participants, "funds": 2.5, "digital_participants": digital, "online": online}


def fill_county(store: Store) -> None:
    """Three trainings of 2026 (two online) and a woman craftsman (the new 表1 column)."""
    import datetime as dt

    from common.ids import make_id_number

    records.save(store, "trainings", training("电工数字化运维培训班", "2026-03-10", 500, 40, online=True))
    records.save(store, "trainings", training("茶叶加工技能培训", "2026-05-20", 300, 0))
    saved = records.save(store, "trainings", training("智能制造线下集训", "2026-06-02", 1500, 1200))
    assert "training.digital_offline" in {f.code for f in saved.findings}  # the new record rule, at entry
    records.save(store, "people", {
        "name": "李茶香", "id_number": make_id_number(COUNTY, dt.date(1985, 4, 2), 3, "女"), "employer": "宁洱茶厂"},
        children={"honours": [{"title": "云岭工匠", "category": "工匠", "level": "省部级", "award_year": 2026,
                               "award_date": "2026-04-28"}]})


@pytest.fixture
def county(tmp_path: Path) -> Store:
    store = open_store(tmp_path / "宁洱 数据")
    setup_unit(store, COUNTY)
    assert definitions.install(store, definition_2026(), source=DEFINITION_FILE.name)
    make_key(store)
    yield store
    store.close()


def finalise_with_notes(store: Store, period: Period) -> None:
    report = review.review(store, period)
    for finding in report.missing_notes:
        review.set_note(store, period, finding.code, finding.where, "已核实，情况属实")
    versions.finalise(store, period)


def test_the_definition_is_checked_and_chosen_for_its_years(county: Store) -> None:
    defn = definition_2026()
    assert defn.version == 2 and (defn.year_from, defn.year_to) == (2026, 2030)
    assert ret_mod.definition_for(county, Period(2026)).digest == defn.digest
    assert ret_mod.definition_for(county, Period(2025)).digest == shipped_definition().digest
    form = records.entry_form(county, "trainings")
    assert form.names[-2:] == ["digital_participants", "online"]


def test_the_2026_return_goes_through_three_levels(county: Store, tmp_path: Path) -> None:
    fill_county(county)
    ret = ret_mod.compute(county, YEAR)
    assert ret.definition.digest == definition_2026().digest
    assert ret.tables["T6"]["total"] == {"sessions": 3, "online_sessions": 1, "participants": 2300,
                                         "digital_participants": 1240}
    assert ret.tables["T6"]["职业技能培训"]["digital_participants"] == 1240
    assert ret.tables["T1"]["total"]["craftsman_female"] == 1 and ret.tables["T1"]["省部级"]["craftsman_count"] == 1
    data = json.loads(ret_mod.canonical_bytes(ret))
    assert data["definition"] == {"id": "yn-changai-return", "version": 2, "digest": definition_2026().digest}

    # review: the new return rule fires (1240 of 2300 is over 10 % — so lower it to see it fire)
    records.save(county, "trainings", training("数字素养普及讲座", "2026-07-01", 20000, 0))
    report = review.review(county, YEAR)
    fired = [f for f in report.warnings if f.code == "digital.share_low"]
    assert len(fired) == 1 and fired[0].where == "T6/total/digital_participants"
    assert "1240人次" in fired[0].message and "22300" in fired[0].message
    assert "表6" in fired[0].label
    offline = [f for f in report.notices if f.code == "training.digital_offline"]
    assert len(offline) == 1 and offline[0].where.startswith("trainings#")

    # signed export: 表6 and the new column in Excel and PDF, the definition on the cover
    finalise_with_notes(county, YEAR)
    paths = export.export_return(county, YEAR, tmp_path / "U盘 报州", signer=signer(county))
    wb = openpyxl.load_workbook(paths[0])
    try:
        assert "表6" in wb.sheetnames
        texts = {str(c.value) for row in wb["表6"].iter_rows() for c in row if c.value is not None}
        assert "表6　职工数字技能培训情况" in texts and "数字技能培训人次\n（人次）" in texts and "22300" in texts
        t1 = {str(c.value) for row in wb["表1"].iter_rows() for c in row if c.value is not None}
        assert any(t.startswith("其中女性") for t in t1) and "工匠" in t1
        cover = {str(r[1]).rstrip("："): str(r[2]) for r in wb["封面"].iter_rows(values_only=True) if r[1]}
        assert cover["报表制度"] == "产业工人队伍建设改革统计表 第2版（云南省总工会制定，2026—2030年）"
    finally:
        wb.close()
    if shutil.which("pdftotext"):  # poppler (not on a plain Windows PC) reads the pages back
        pdf_text = subprocess.run(["pdftotext", "-layout", str(paths[1]), "-"], capture_output=True, check=True,
                                  encoding="utf-8").stdout
        assert "表6" in pdf_text and "职工数字技能培训情况" in pdf_text and "第2版" in pdf_text
    checked = read_return(paths[0], county)
    assert checked.ret is not None and checked.ret.definition.digest == definition_2026().digest
    assert checked.ret.tables == versions.load_version(county, YEAR).tables  # type: ignore[union-attr]

    # the prefecture: installs the same definition, receives and consolidates
    from models.signing import trust
    from models.signing.register_form import export_registration

    prefecture = receiving_store(tmp_path / "普洱 数据", PREFECTURE)
    province = receiving_store(tmp_path / "云南 数据", "530000", key=False)
    try:
        definitions.install(prefecture, definition_2026())
        trust.register(prefecture, export_registration(county, tmp_path / "证书").certificate)
        # in helper processes, which read the installed definition from the store (the return carries it back)
        results = receiving.receive_files(prefecture, [paths[0].parent], jobs=2)
        assert [r.outcome for r in results] == [ACCEPTED, CHECKED]
        assert receiving.load_received(prefecture, results[0].received_id).definition.digest == definition_2026().digest
        entry = {e.unit.code: e for e in board.build_board(prefecture, YEAR).entries}[COUNTY]
        assert entry.state == board.REPORTED and not entry.definition_warning
        total = consolidate.consolidate_period(prefecture, YEAR).ret
        assert total.definition.digest == definition_2026().digest
        assert total.tables["T6"]["total"]["digital_participants"] == 1240
        assert total.tables["T1"]["total"]["craftsman_female"] == 1
        finalise_with_notes(prefecture, YEAR)
        up = export.export_return(prefecture, YEAR, tmp_path / "报省", signer=signer(prefecture))

        # the province: installs it too, receives the prefecture's consolidated return and consolidates it
        definitions.install(province, definition_2026())
        trust.register(province, export_registration(prefecture, tmp_path / "州证书").certificate)
        assert [r.outcome for r in receiving.receive_files(province, [up[0].parent])] == [ACCEPTED, CHECKED]
        top = consolidate.consolidate_period(province, YEAR).ret
        assert top.tables["T6"]["total"] == total.tables["T6"]["total"]
        assert top.tables["T1"]["total"]["craftsman_female"] == 1
        assert json.loads(ret_mod.canonical_bytes(top))["definition"]["version"] == 2
    finally:
        prefecture.close()
        province.close()


def test_a_return_on_a_definition_the_receiver_lacks_says_so(county: Store, tmp_path: Path) -> None:
    from models.signing import trust
    from models.signing.register_form import export_registration

    fill_county(county)
    finalise_with_notes(county, YEAR)
    paths = export.export_return(county, YEAR, tmp_path / "U盘", signer=signer(county))
    prefecture = receiving_store(tmp_path / "普洱", PREFECTURE)
    try:
        trust.register(prefecture, export_registration(county, tmp_path / "证书").certificate)
        checked = read_return(paths[0], prefecture)
        assert checked.ret is None
        assert "本机没有安装这份报表制度" in checked.reason and "第2版" in checked.reason
        # once installed, the same file reads and re-renders with its own definition
        definitions.install(prefecture, definition_2026())
        again = read_return(paths[0], prefecture)
        assert again.status == "valid" and again.ret is not None and "T6" in again.ret.tables
    finally:
        prefecture.close()


def test_consolidation_refuses_returns_of_another_definition(county: Store, tmp_path: Path) -> None:
    """A county without the 2026 definition reports 2026 on the shipped v1: the prefecture (on 2026) is warned
    on its board and consolidation refuses to add the tables."""
    from models.signing import trust
    from models.signing.register_form import export_registration

    old = open_store(tmp_path / "墨江")
    prefecture = receiving_store(tmp_path / "普洱", PREFECTURE)
    try:
        setup_unit(old, "530822")
        make_key(old)
        records.save(old, "trainings", {k: v for k, v in training("茶艺培训", "2026-03-01", 50, 0).items()
                                        if k not in ("digital_participants", "online")})
        finalise_with_notes(old, YEAR)
        assert versions.load_version(old, YEAR).definition.digest == shipped_definition().digest  # type: ignore[union-attr]
        paths = export.export_return(old, YEAR, tmp_path / "墨江U盘", signer=signer(old))
        definitions.install(prefecture, definition_2026())
        trust.register(prefecture, export_registration(old, tmp_path / "证书").certificate)
        assert receiving.receive_files(prefecture, [paths[0]])[0].outcome == ACCEPTED
        entry = {e.unit.code: e for e in board.build_board(prefecture, YEAR).entries}["530822"]
        assert "第1版" in entry.definition_warning and "第2版" in entry.definition_warning
        with pytest.raises(ret_mod.DefinitionMismatch, match="不能相加"):
            consolidate.consolidate_period(prefecture, YEAR)
        from cli import run

        assert run(["--data-dir", str(tmp_path / "普洱"), "review", "--period", YEAR.code]) == 2  # a reason, no traceback
    finally:
        old.close()
        prefecture.close()


def test_the_received_return_dialog_warns_about_another_definition(qtbot, county: Store,  # type: ignore[no-untyped-def]
                                                                   tmp_path: Path) -> None:
    from models.signing import trust
    from models.signing.register_form import export_registration
    from ui.received_return_dialog import ReceivedReturnDialog

    fill_county(county)
    finalise_with_notes(county, YEAR)
    paths = export.export_return(county, YEAR, tmp_path / "U盘", ["xlsx"], signer=signer(county))
    prefecture = receiving_store(tmp_path / "普洱", PREFECTURE)
    try:
        definitions.install(prefecture, definition_2026())  # to read it; but the prefecture stays on v1 for 2026
        prefecture.conn.execute("UPDATE definitions SET year_from = 2027")  # (as if installed for later years)
        trust.register(prefecture, export_registration(county, tmp_path / "证书").certificate)
        [result] = receiving.receive_files(prefecture, paths)
        assert result.outcome == ACCEPTED
        row = receiving.received(prefecture, YEAR)[0]
        dialog = ReceivedReturnDialog(prefecture, row.id)
        qtbot.addWidget(dialog)
        text = dialog.definition.text()
        assert "警告" in text and "第2版" in text and "第1版" in text
        assert "表6" in [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]  # shown with its own tables
    finally:
        prefecture.close()


def test_a_return_made_before_definitions_reads_back_byte_for_byte_on_v1(county: Store) -> None:
    records.save(county, "trainings", {k: v for k, v in training("茶艺培训", "2025-03-01", 50, 0).items()
                                       if k not in ("digital_participants", "online")})
    data = json.loads(ret_mod.canonical_bytes(ret_mod.compute(county, Period(2025))))
    assert data.pop("definition")["version"] == 1
    old = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
    ret = ret_mod.from_canonical(old)
    assert ret.definition is shipped_definition() and not ret.names_definition
    assert ret_mod.canonical_bytes(ret) == old  # its signature still verifies
    assert ret.content_bytes() == ret_mod.compute(county, Period(2025)).content_bytes()  # no new version for nothing


def test_the_added_fields_are_entered_in_the_record_dialog(qtbot, county: Store) -> None:  # type: ignore[no-untyped-def]
    from ui.record_dialog import RecordDialog

    dialog = RecordDialog(county, "trainings")
    qtbot.addWidget(dialog)
    with qtbot.waitActive(dialog):
        dialog.show()
    assert {"digital_participants", "online"} <= set(dialog.panel.editors)
    for text in ("数字技能培训班", "宁洱县总工会", "zyjn", "2026.3.10", "2026.3.12", "80"):
        type_text(qtbot, text)
        enter(qtbot)
    editor = dialog.panel.editors["digital_participants"]
    editor.focus_widget.setFocus()
    type_text(qtbot, "90")
    wait_checked(qtbot, dialog)
    assert dialog.panel.message_of("digital_participants") == "其中数字技能培训人次（90）不能大于参训人次（80）"
    editor.focus_widget.selectAll()
    type_text(qtbot, "60")
    wait_checked(qtbot, dialog)
    press(qtbot, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not dialog.isVisible()
    [row] = county.query("SELECT name, participants, extra FROM trainings")
    assert row["participants"] == 80 and json.loads(row["extra"]) == {"digital_participants": 60, "online": False}
    saved = records.get(county, "trainings", 1)
    assert saved is not None and saved["digital_participants"] == 60


def test_the_cover_shows_the_fields_of_the_returns_own_definition(county: Store, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A definition that adds a cover line gets an entry box for it on the 封面 tab; a return of the shipped
    definition shows the shipped lines again."""
    from ui.return_page import CoverView

    body = json.loads(DEFINITION_FILE.read_text(encoding="utf-8"))
    body["version"] = 3
    body["cover"].append({"key": "contact_email", "label": "联系人电子邮箱", "required": False})
    assert definitions.install(county, load_definition(json.dumps(body, ensure_ascii=False).encode("utf-8")))
    view = CoverView()
    qtbot.addWidget(view)
    view.show_return(ret_mod.compute(county, YEAR), "")
    assert "contact_email" in view.edits
    assert view.form.rowCount() == len(view.edits)
    view.show_return(ret_mod.compute(county, Period(2025)), "")
    assert "contact_email" not in view.edits
    assert set(view.edits) == {f.key for f in shipped_definition().spec.cover if f.key != "report_date"}
