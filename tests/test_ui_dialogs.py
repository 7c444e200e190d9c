"""The record entry dialogs, driven as a user does: typing, Tab/Enter, clicks; then the database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget

from common import ids
from models import records
from models.db import Store
from ui.child_editors import ChildRowDialog
from ui.record_dialog import RecordDialog, edit_record
from ui.widgets import ChoiceEditor, LineEditor, make_editor

# The offscreen platform cannot raise windows, grab the keyboard or pass size hints; it says so.

PERSON_ID = ids.make_id_number("530821", dt.date(1978, 5, 12), 39, "男")  # ends in X
assert PERSON_ID.endswith("X")


# ---------------------------------------------------------------------------------------------
# Helpers: keys go where a real keyboard sends them (an open completion list, else the focus)


def target() -> QWidget:
    widget = QApplication.activePopupWidget() or QApplication.focusWidget()
    assert widget is not None, "nothing has the keyboard focus"
    return widget


def type_text(qtbot, text: str) -> None:
    """Type ASCII key by key; Chinese arrives as an input-method commit, as from a real IME."""
    for char in text:
        if ord(char) < 128:
            qtbot.keyClicks(target(), char)
        else:
            event = QInputMethodEvent("", [])
            event.setCommitString(char)
            QApplication.sendEvent(target(), event)
        QApplication.processEvents()  # a person types slower than the event loop runs


def press(qtbot, key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(target(), key, modifier)


def enter(qtbot, times: int = 1) -> None:
    for _ in range(times):
        press(qtbot, Qt.Key.Key_Return)


def field_of_focus(dialog: RecordDialog | ChildRowDialog) -> str | None:
    editor = dialog.panel.editor_of(QApplication.focusWidget())
    return editor.field.name if editor else None


def reactivate(qtbot, dialog: QWidget) -> None:
    """Give the keyboard back to ``dialog`` after a modal window closed (the window manager's job)."""
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)


def while_modal(qtbot, action: Callable[[QWidget], None]) -> None:
    """Run ``action`` on the next modal window (a sub-dialog or message box) once it is open."""
    state: dict[str, object] = {"waiting": True}

    def run() -> None:
        if not state["waiting"]:
            return  # the test has ended
        modal = QApplication.activeModalWidget()
        if modal is None or not modal.isVisible():
            QTimer.singleShot(10, run)
            return
        state["waiting"] = False
        try:
            action(modal)
        except BaseException as exc:  # reported after the modal loop returns
            state["error"] = exc
            if hasattr(modal, "_dirty"):
                modal._dirty = False
            modal.close()

    QTimer.singleShot(0, run)
    _pending.append(state)


_pending: list[dict[str, object]] = []


@pytest.fixture(autouse=True)
def _modal_errors() -> Iterator[None]:
    _pending.clear()
    yield
    never_opened = any(state["waiting"] for state in _pending)
    for state in _pending:
        state["waiting"] = False  # no stray timer acts on a later test's windows
    for state in _pending:
        if "error" in state:
            raise state["error"]  # type: ignore[misc]
    assert not never_opened, "a modal window was expected but never opened"


def click_box_button(text: str) -> Callable[[QWidget], None]:
    def action(modal: QWidget) -> None:
        assert isinstance(modal, QMessageBox), modal
        for button in modal.buttons():
            if button.text() == text:
                button.click()
                return
        raise AssertionError(f"no button {text} in {[b.text() for b in modal.buttons()]}")

    return action


@pytest.fixture
def open_dialog(qtbot) -> Iterator[Callable[..., RecordDialog]]:
    opened: list[RecordDialog] = []

    def opener(store: Store, kind: str, record_id: int | None = None) -> RecordDialog:
        dialog = RecordDialog(store, kind, record_id)
        opened.append(dialog)
        with qtbot.waitActive(dialog):
            dialog.show()
        return dialog

    yield opener
    for dialog in opened:
        dialog._dirty = False  # no "discard changes?" question while tearing down
        dialog.close()
        dialog.deleteLater()


def wait_checked(qtbot, dialog: RecordDialog | ChildRowDialog) -> None:
    """Let the debounced as-you-type check run."""
    qtbot.wait(dialog.panel.DEBOUNCE_MS + 100)


def count(store: Store, table: str) -> int:
    return int(store.scalar(f"SELECT count(*) FROM {table}"))


def make_person(store: Store, name: str, number: str, honours: list[dict] | None = None) -> int:
    values = {"name": name, "id_number": number, "employer": "宁洱县供电局"}
    return records.save(store, "people", values, children={"honours": honours or []}).id


# ---------------------------------------------------------------------------------------------
# Field editors


def test_choice_type_ahead_matches_pinyin(qtbot) -> None:
    from forms.records import PEOPLE

    editor = make_editor(PEOPLE.field("ethnicity"))
    assert isinstance(editor, ChoiceEditor)
    qtbot.addWidget(editor.widget)
    completer = editor.completer
    for typed in ("hn", "hani", "哈尼"):
        completer.setCompletionPrefix(typed)
        offered = [completer.completionModel().index(r, 0).data() for r in range(completer.completionModel().rowCount())]
        assert "哈尼族" in offered, typed
        assert completer.pathFromIndex(completer.completionModel().index(offered.index("哈尼族"), 0)) == "哈尼族"
    political = make_editor(PEOPLE.field("political"))
    qtbot.addWidget(political.widget)
    political.completer.setCompletionPrefix("zgdy")
    assert political.completer.completionModel().index(0, 0).data() == "中共党员"
    # Leaving the field with an abbreviation puts in the value it stands for.
    political.line.setText("zgdy")
    political.commit()
    assert political.value() == "中共党员"
    from forms.records import HONOURS

    title = make_editor(HONOURS.field("title"))
    qtbot.addWidget(title.widget)
    title.set_value("ynsldmf")
    title.commit()
    assert title.value() == "云南省劳动模范"
    title.set_value("思茅区岗位能手")  # free text outside the list is kept
    title.commit()
    assert title.value() == "思茅区岗位能手"


def test_line_editors_tidy_messy_input(qtbot) -> None:
    from forms.records import PEOPLE, TRAININGS

    birth = make_editor(PEOPLE.field("birth_date"))
    qtbot.addWidget(birth.widget)
    assert isinstance(birth, LineEditor)
    assert birth.edit.placeholderText() == "如 1978-05-12"
    for typed, tidy in (("1978年5月12日", "1978-05-12"), ("19780512", "1978-05-12"), ("1978.05", "1978-05")):
        birth.edit.setFocus()
        birth.set_value("")
        qtbot.keyClicks(birth.edit, typed) if typed.isascii() else birth.edit.setText(typed)
        birth.commit()
        assert birth.value() == tidy
    number = make_editor(PEOPLE.field("id_number"))
    qtbot.addWidget(number.widget)
    qtbot.keyClicks(number.widget, PERSON_ID.lower())
    assert number.value() == PERSON_ID  # x became X while typing
    people = make_editor(TRAININGS.field("participants"))
    qtbot.addWidget(people.widget)
    people.edit.setText("１２０")  # full-width digits are not blocked
    people.commit()
    assert people.value() == "120"
    assert people.edit.alignment() & Qt.AlignmentFlag.AlignRight


# ---------------------------------------------------------------------------------------------
# People


def test_add_person_with_honour_by_keyboard_only(qtbot, county_store, open_dialog) -> None:
    dialog = open_dialog(county_store, "people")
    assert dialog.windowTitle() == "新增人员"
    assert field_of_focus(dialog) == "name"
    type_text(qtbot, "张三")
    enter(qtbot)
    assert field_of_focus(dialog) == "sex"
    enter(qtbot)  # sex: left empty, it follows from the ID number
    type_text(qtbot, "hn")  # ethnicity by its initials; Enter takes the offered 哈尼族 and moves on
    enter(qtbot)
    assert field_of_focus(dialog) == "birth_date"
    enter(qtbot)
    type_text(qtbot, PERSON_ID.lower())
    press(qtbot, Qt.Key.Key_Tab)  # Tab works as well as Enter
    assert field_of_focus(dialog) == "political"
    type_text(qtbot, "zgdy")
    enter(qtbot)
    type_text(qtbot, "dxbk")  # 大学本科
    enter(qtbot)
    type_text(qtbot, "宁洱县供电局")
    enter(qtbot)
    type_text(qtbot, "gyqy")  # 国有企业
    enter(qtbot)
    enter(qtbot)  # industry
    type_text(qtbot, "电工")
    enter(qtbot, 3)  # post, job title, professional title
    type_text(qtbot, "gjjs")  # 一级/高级技师
    enter(qtbot)
    assert field_of_focus(dialog) == "frontline"
    press(qtbot, Qt.Key.Key_Space)
    enter(qtbot, 3)  # frontline, migrant, status (在职 by default)
    type_text(qtbot, "139 8765 4321")
    enter(qtbot)
    assert field_of_focus(dialog) == "note"
    enter(qtbot)  # the last field leads to the honours
    honours = dialog.child_tables["honours"]
    assert QApplication.focusWidget() is honours.add_button

    def fill_honour(sub: QWidget) -> None:
        assert isinstance(sub, ChildRowDialog)
        qtbot.waitUntil(sub.isActiveWindow)
        assert field_of_focus(sub) == "title"
        type_text(qtbot, "ynsldmf")  # 云南省劳动模范 by its initials
        enter(qtbot)
        assert field_of_focus(sub) == "category"
        assert sub.panel.editors["category"].value() == "劳动模范/先进工作者"
        assert sub.panel.editors["level"].value() == "省部级"
        enter(qtbot, 2)
        type_text(qtbot, "2015")
        enter(qtbot, 2)  # year, then the optional date
        type_text(qtbot, "云南省人民政府")
        enter(qtbot)
        type_text(qtbot, "云政发〔2015〕12号")
        enter(qtbot)  # the last field accepts the row

    while_modal(qtbot, fill_honour)
    enter(qtbot)  # Enter on 添加荣誉
    assert honours.rows()[0]["title"] == "云南省劳动模范"
    reactivate(qtbot, dialog)
    assert QApplication.focusWidget() is honours.add_button
    press(qtbot, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert dialog.result() == QDialog.DialogCode.Accepted

    person = records.get(county_store, "people", dialog.saved_id)
    assert person is not None
    assert person["name"] == "张三"
    assert person["id_number"] == PERSON_ID
    assert person["sex"] == "男" and person["birth_date"] == "1978-05-12"
    assert person["ethnicity"] == "哈尼族"
    assert person["political"] == "中共党员"
    assert person["education"] == "大学本科"
    assert person["employer_nature"] == "国有企业"
    assert person["skill_level"] == "一级/高级技师"
    assert person["frontline"] is True and person["migrant"] is False
    assert person["status"] == "在职"
    assert person["mobile"] == "13987654321"
    [honour] = person["honours"]
    assert (honour["title"], honour["category"], honour["level"], honour["award_year"]) == \
        ("云南省劳动模范", "劳动模范/先进工作者", "省部级", 2015)
    assert honour["awarding_body"] == "云南省人民政府" and honour["doc_no"] == "云政发〔2015〕12号"


def test_bad_id_number_shows_message_and_saves_nothing(qtbot, county_store, open_dialog) -> None:
    dialog = open_dialog(county_store, "people")
    type_text(qtbot, "李明")
    press(qtbot, Qt.Key.Key_Tab)
    dialog.panel.focus_field("id_number")
    bad = PERSON_ID[:-1] + ("1" if PERSON_ID[-1] != "1" else "2")
    type_text(qtbot, bad)
    wait_checked(qtbot, dialog)
    message = dialog.panel.message_of("id_number")
    assert "校验位" in message
    assert dialog.panel.editors["id_number"].state_widget.property("state") == "error"
    assert dialog.panel.message_of("employer") == ""  # not touched yet: no message
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert count(county_store, "people") == 0
    assert "校验位" in dialog.panel.message_of("id_number")
    assert dialog.panel.message_of("employer") == "不能为空"
    assert field_of_focus(dialog) == "id_number"  # the first bad field
    assert dialog.panel.editors["name"].value() == "李明"  # what was typed is kept
    assert dialog.panel.editors["id_number"].value() == bad


def test_duplicate_id_number_names_the_existing_person(qtbot, county_store, open_dialog) -> None:
    make_person(county_store, "李四", PERSON_ID)
    dialog = open_dialog(county_store, "people")
    type_text(qtbot, "李小四")
    dialog.panel.focus_field("id_number")
    type_text(qtbot, PERSON_ID)
    dialog.panel.focus_field("employer")
    type_text(qtbot, "宁洱县供电局")
    wait_checked(qtbot, dialog)
    assert "李四" in dialog.panel.message_of("id_number")
    assert "重复" in dialog.panel.message_of("id_number")
    press(qtbot, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert dialog.isVisible()
    assert count(county_store, "people") == 1


def test_sex_and_birth_date_follow_from_id_number(qtbot, county_store, open_dialog) -> None:
    dialog = open_dialog(county_store, "people")
    dialog.panel.focus_field("id_number")
    woman = ids.make_id_number("530821", dt.date(1990, 3, 8), 7, "女")
    type_text(qtbot, woman)
    wait_checked(qtbot, dialog)
    assert dialog.panel.editors["sex"].value() == "女"
    assert dialog.panel.editors["birth_date"].value() == "1990-03-08"
    assert "自动填写" in dialog.panel.message_of("sex")
    # Correcting the number corrects what was filled in from it.
    man = ids.make_id_number("530821", dt.date(1985, 11, 2), 7, "男")
    dialog.panel.editors["id_number"].edit.selectAll()
    type_text(qtbot, man)
    wait_checked(qtbot, dialog)
    assert dialog.panel.editors["sex"].value() == "男"
    assert dialog.panel.editors["birth_date"].value() == "1985-11-02"


def test_warnings_are_amber_and_do_not_block(qtbot, county_store, open_dialog) -> None:
    odd_id = ids.make_id_number("990101", dt.date(1970, 1, 1), 1, "男")  # no such region code
    dialog = open_dialog(county_store, "people")
    type_text(qtbot, "赵六")
    dialog.panel.focus_field("id_number")
    type_text(qtbot, odd_id)
    dialog.panel.focus_field("employer")
    type_text(qtbot, "宁洱县茶厂")
    wait_checked(qtbot, dialog)
    assert "地区码" in dialog.panel.message_of("id_number")
    assert dialog.panel.messages["id_number"].property("state") == "warning"
    dialog.child_tables["honours"].set_rows([{"title": "县级劳动模范", "award_year": 1984}])  # aged 14
    dialog.child_tables["honours"].changed.emit()
    assert "不满16岁" in dialog.child_tables["honours"].message.text()
    assert dialog.child_tables["honours"].message.property("state") == "warning"
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert count(county_store, "people") == 1
    assert {f.code for f in dialog.warnings} >= {"people.id_number.region", "honour.young"}


def test_edit_person_title_and_escape_asks_before_discarding(qtbot, county_store, open_dialog) -> None:
    person_id = make_person(county_store, "张三", PERSON_ID,
                            [{"title": "全国五一劳动奖章", "award_year": 2019}])
    dialog = open_dialog(county_store, "people", person_id)
    assert dialog.windowTitle() == "编辑人员：张三"
    assert dialog.child_tables["honours"].rows()[0]["title"] == "全国五一劳动奖章"
    press(qtbot, Qt.Key.Key_Escape)  # nothing changed: closes at once
    assert not dialog.isVisible()

    dialog = open_dialog(county_store, "people", person_id)
    dialog.panel.editors["name"].edit.selectAll()
    type_text(qtbot, "张叁")
    while_modal(qtbot, click_box_button("继续编辑"))
    press(qtbot, Qt.Key.Key_Escape)
    assert dialog.isVisible()
    reactivate(qtbot, dialog)
    while_modal(qtbot, click_box_button("放弃修改"))
    press(qtbot, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    assert records.get(county_store, "people", person_id)["name"] == "张三"


def test_remove_honour_by_keyboard(qtbot, county_store, open_dialog) -> None:
    person_id = make_person(county_store, "张三", PERSON_ID,
                            [{"title": "全国五一劳动奖章", "award_year": 2019},
                             {"title": "云岭工匠", "award_year": 2021}])
    dialog = open_dialog(county_store, "people", person_id)
    honours = dialog.child_tables["honours"]
    honours.table.setFocus()
    honours.table.selectRow(0)
    press(qtbot, Qt.Key.Key_Delete)
    assert [r["title"] for r in honours.rows()] == ["云岭工匠"]
    press(qtbot, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert [h["title"] for h in records.get(county_store, "people", person_id)["honours"]] == ["云岭工匠"]


def test_honour_row_with_errors_stays_open(qtbot, county_store, open_dialog) -> None:
    dialog = open_dialog(county_store, "people")
    honours = dialog.child_tables["honours"]
    seen: dict[str, str] = {}

    def bad_then_cancel(sub: QWidget) -> None:
        assert isinstance(sub, ChildRowDialog)
        qtbot.waitUntil(sub.isActiveWindow)
        type_text(qtbot, "优秀员工")  # a free-text title whose category cannot be guessed
        qtbot.mouseClick(sub.ok_button, Qt.MouseButton.LeftButton)
        assert sub.isVisible()
        seen["category"] = sub.panel.message_of("category")
        seen["year"] = sub.panel.message_of("award_year")
        sub._dirty = False
        sub.reject()

    while_modal(qtbot, bad_then_cancel)
    qtbot.mouseClick(honours.add_button, Qt.MouseButton.LeftButton)
    assert seen == {"category": "不能为空", "year": "不能为空"}
    assert honours.rows() == []


# ---------------------------------------------------------------------------------------------
# Studios


def fill_studio(qtbot, dialog: RecordDialog, leader_keys: str) -> None:
    type_text(qtbot, "张三劳模创新工作室")
    enter(qtbot)
    type_text(qtbot, "lmcx")  # 劳模创新工作室
    enter(qtbot)
    type_text(qtbot, "xj")  # 县级
    enter(qtbot)
    type_text(qtbot, "宁洱县供电局")
    enter(qtbot, 3)  # host unit, nature, industry
    assert field_of_focus(dialog) == "leader_id"
    type_text(qtbot, leader_keys)
    qtbot.waitUntil(lambda: QApplication.activePopupWidget() is not None)
    enter(qtbot)  # takes the first person offered and moves on
    assert field_of_focus(dialog) == "named_year"
    type_text(qtbot, "2020")
    enter(qtbot)


def test_studio_leader_without_required_honour_is_refused(qtbot, county_store, open_dialog) -> None:
    make_person(county_store, "王五", ids.make_id_number("530821", dt.date(1980, 1, 1), 3, "男"))
    dialog = open_dialog(county_store, "studios")
    fill_studio(qtbot, dialog, "ww")
    assert dialog.panel.editors["leader_id"].value() is not None
    assert "暂无荣誉" in dialog.panel.editors["leader_id"].info.text()
    press(qtbot, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert dialog.isVisible()
    message = dialog.panel.message_of("leader_id")
    assert "劳模创新工作室的领办人须获得" in message and "王五" in message
    assert field_of_focus(dialog) == "leader_id"
    assert count(county_store, "studios") == 0


def test_studio_outputs_saved_per_year(qtbot, county_store, open_dialog) -> None:
    leader = make_person(county_store, "张三", PERSON_ID, [{"title": "云南省劳动模范", "award_year": 2015}])
    dialog = open_dialog(county_store, "studios")
    fill_studio(qtbot, dialog, PERSON_ID[:10])  # found by ID number as well
    assert dialog.panel.editors["leader_id"].value() == leader
    assert "云南省劳动模范" in dialog.panel.editors["leader_id"].info.text()
    outputs = dialog.child_tables["studio_outputs"]

    def add_year(year: str, patents: str, inventions: str) -> Callable[[QWidget], None]:
        def action(sub: QWidget) -> None:
            assert isinstance(sub, ChildRowDialog)
            qtbot.waitUntil(sub.isActiveWindow)
            assert field_of_focus(sub) == "year"
            sub.panel.editors["year"].edit.selectAll()
            type_text(qtbot, year)
            enter(qtbot)
            type_text(qtbot, "3")
            enter(qtbot, 2)  # projects, achievements
            type_text(qtbot, patents)
            enter(qtbot)
            type_text(qtbot, inventions)
            enter(qtbot, 2)  # inventions, methods
            type_text(qtbot, "12.5")
            enter(qtbot)
            type_text(qtbot, "4")
            enter(qtbot, 2)  # apprentices; trainees is the last field and accepts the row

        return action

    while_modal(qtbot, add_year("2023", "2", "1"))
    qtbot.mouseClick(outputs.add_button, Qt.MouseButton.LeftButton)
    while_modal(qtbot, add_year("2024", "5", "2"))
    qtbot.mouseClick(outputs.add_button, Qt.MouseButton.LeftButton)
    assert [r["year"] for r in outputs.rows()] == [2023, 2024]
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    rows = county_store.query("SELECT year, projects, patents, invention_patents, benefit, apprentices "
                              "FROM studio_outputs ORDER BY year")
    assert rows == [
        {"year": 2023, "projects": 3, "patents": 2, "invention_patents": 1, "benefit": 12.5, "apprentices": 4},
        {"year": 2024, "projects": 3, "patents": 5, "invention_patents": 2, "benefit": 12.5, "apprentices": 4},
    ]
    studio = records.get(county_store, "studios", dialog.saved_id)
    assert studio["leader_id"] == leader and studio["type"] == "劳模创新工作室" and studio["level"] == "县级"


def test_studio_output_year_twice_is_refused_in_the_row(qtbot, county_store, open_dialog) -> None:
    dialog = open_dialog(county_store, "studios")
    outputs = dialog.child_tables["studio_outputs"]
    outputs.set_rows([{"year": 2023}])
    seen: dict[str, str] = {}

    def same_year(sub: QWidget) -> None:
        assert isinstance(sub, ChildRowDialog)
        qtbot.waitUntil(sub.isActiveWindow)
        sub.panel.editors["year"].set_value("")
        type_text(qtbot, "2023")
        qtbot.mouseClick(sub.ok_button, Qt.MouseButton.LeftButton)
        seen["year"] = sub.panel.message_of("year")
        sub._dirty = False
        sub.reject()

    while_modal(qtbot, same_year)
    qtbot.mouseClick(outputs.add_button, Qt.MouseButton.LeftButton)
    assert "2023年已有一条成果" in seen["year"]
    assert len(outputs.rows()) == 1


# ---------------------------------------------------------------------------------------------
# Trainings, competitions, innovation


def test_training_part_above_total_is_refused(qtbot, county_store, open_dialog) -> None:
    dialog = open_dialog(county_store, "trainings")
    assert dialog.windowTitle() == "新增培训"
    type_text(qtbot, "2025年电工技能提升培训班")
    enter(qtbot)
    type_text(qtbot, "宁洱县总工会")
    enter(qtbot)
    type_text(qtbot, "zyjn")  # 职业技能培训
    enter(qtbot)
    type_text(qtbot, "2025.3.10")
    enter(qtbot)
    type_text(qtbot, "2025年3月14日")
    enter(qtbot)
    type_text(qtbot, "５０")  # full-width digits
    enter(qtbot)
    type_text(qtbot, "80")
    enter(qtbot)
    wait_checked(qtbot, dialog)
    assert dialog.panel.message_of("migrant") == "其中农民工（80）不能大于参训人次（50）"
    assert dialog.panel.editors["start_date"].value() == "2025-03-10"
    press(qtbot, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert dialog.isVisible()
    assert field_of_focus(dialog) == "migrant"
    assert count(county_store, "trainings") == 0
    dialog.panel.editors["migrant"].edit.selectAll()
    type_text(qtbot, "30")
    press(qtbot, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not dialog.isVisible()
    [row] = county_store.query("SELECT participants, migrant, start_date, end_date, type FROM trainings")
    assert row == {"participants": 50, "migrant": 30, "start_date": "2025-03-10", "end_date": "2025-03-14",
                   "type": "职业技能培训"}


def test_short_form_enter_on_last_field_saves(qtbot, county_store, open_dialog) -> None:
    dialog = open_dialog(county_store, "innovation")
    assert dialog.windowTitle() == "新增经济技术创新"
    type_text(qtbot, "2025")
    enter(qtbot)
    type_text(qtbot, "40")
    enter(qtbot)
    type_text(qtbot, "25")
    enter(qtbot, 6)  # the remaining fields keep their default 0; Enter on the last one saves
    assert not dialog.isVisible()
    [row] = county_store.query("SELECT period, suggestions, suggestions_adopted, patents FROM innovation")
    assert row == {"period": "2025", "suggestions": 40, "suggestions_adopted": 25, "patents": 0}


def test_every_top_level_kind_opens(qtbot, county_store, open_dialog) -> None:
    from forms.records import TOP_LEVEL, spec

    for kind in TOP_LEVEL:
        dialog = open_dialog(county_store, kind)
        assert set(dialog.panel.editors) == set(spec(kind).names)
        required = [f for f in spec(kind).fields if f.required]
        assert all("*" in dialog.panel.labels[f.name].text() for f in required)


def test_edit_record_returns_none_when_cancelled(qtbot, county_store) -> None:
    while_modal(qtbot, lambda dialog: dialog.reject())
    assert edit_record(None, county_store, "competitions") is None

    def fill(dialog: QWidget) -> None:
        assert isinstance(dialog, RecordDialog)
        values = {"name": "普洱市电工技能竞赛", "type": "技能竞赛", "level": "州市级", "host": "普洱供电局",
                  "date": "2025-06-01", "participants": "60", "winners": "12"}
        for name, value in values.items():
            dialog.panel.editors[name].set_value(value)
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    while_modal(qtbot, fill)
    saved = edit_record(None, county_store, "competitions")
    assert saved is not None
    assert records.get(county_store, "competitions", saved)["winners"] == 12


def test_edit_record_of_a_deleted_record_says_so(qtbot, county_store) -> None:
    person_id = make_person(county_store, "张三", PERSON_ID)
    records.delete(county_store, "people", person_id)
    seen: dict[str, str] = {}

    def read(box: QWidget) -> None:
        assert isinstance(box, QMessageBox)
        seen["text"] = box.text()
        box.buttons()[0].click()

    while_modal(qtbot, read)
    assert edit_record(None, county_store, "people", person_id) is None
    assert "回收站" in seen["text"]


@pytest.mark.parametrize("kind", ["people", "studios", "trainings", "competitions", "innovation"])
def test_demo_records_save_unchanged(qtbot, demo_store, open_dialog, kind: str) -> None:
    """What a dialog shows is what it saves: opening a record and pressing Ctrl+S changes nothing."""
    from forms.records import spec

    def plain(record: dict) -> dict:
        out = {k: v for k, v in record.items() if k not in ("id", "deleted_at")}
        for child in ("honours", "studio_outputs"):
            if child in out:
                out[child] = [{k: v for k, v in row.items() if k != "id"} for row in out[child]]
        return out

    record_id = int(demo_store.scalar(f"SELECT max(id) FROM {spec(kind).table} WHERE deleted_at IS NULL"))
    before = records.get(demo_store, kind, record_id)
    dialog = open_dialog(demo_store, kind, record_id)
    press(qtbot, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not dialog.isVisible(), dialog.panel.findings
    assert dialog.saved_id == record_id
    assert plain(records.get(demo_store, kind, record_id)) == plain(before)


def test_child_row_message_is_not_clipped(qtbot, county_store) -> None:
    """A two-line message under a field in a narrow child row grows the dialog instead of being squeezed."""
    from forms.records import STUDIO_OUTPUTS

    sub = ChildRowDialog(STUDIO_OUTPUTS, county_store, {"year": 2025, "patents": 5, "invention_patents": 7}, "添加年度成果")
    qtbot.addWidget(sub)
    with qtbot.waitActive(sub):
        sub.show()
    sub.accept_row()
    message = sub.panel.messages["invention_patents"]
    qtbot.waitUntil(lambda: message.isVisible() and message.height() >= message.heightForWidth(message.width()))
    sub._dirty = False
    sub.reject()


def test_leader_honours_beside_the_picker_wrap_instead_of_being_cut(qtbot, county_store, open_dialog) -> None:
    honours = [{"title": title, "award_year": year} for title, year in
               [("普洱市技术能手", 2015), ("云南省劳动模范", 2020), ("全国五一劳动奖章", 2023), ("云岭工匠", 2024)]]
    leader = make_person(county_store, "张三", PERSON_ID, honours)
    dialog = open_dialog(county_store, "studios")
    editor = dialog.panel.editors["leader_id"]
    editor.set_value(leader)
    info = editor.info
    assert info.fontMetrics().horizontalAdvance(info.text()) > info.width()  # longer than the room beside the box
    assert info.heightForWidth(info.width()) > info.fontMetrics().height()  # so it takes a second line
    qtbot.waitUntil(lambda: info.height() >= info.heightForWidth(info.width()))
    assert "2024云岭工匠" in editor.info.text()
    assert editor.completer.popup().minimumWidth() > editor.edit.width()


def test_a_choice_is_judged_when_left_not_while_typing_pinyin(qtbot, county_store, open_dialog) -> None:
    dialog = open_dialog(county_store, "studios")
    dialog.panel.editors["type"].widget.setFocus()
    qtbot.waitUntil(lambda: field_of_focus(dialog) == "type")
    type_text(qtbot, "lmx")  # pinyin initials that match nothing yet
    qtbot.wait(dialog.panel.DEBOUNCE_MS + 200)
    dialog.panel.refresh()
    assert "不在可选范围内" not in dialog.panel.message_of("type")
    if QApplication.activePopupWidget() is not None:
        press(qtbot, Qt.Key.Key_Escape)  # close the completion list, as a person would
    press(qtbot, Qt.Key.Key_Tab)  # leave the field
    qtbot.waitUntil(lambda: "不在可选范围内" in dialog.panel.message_of("type"))


def test_rows_do_not_jump_when_a_message_goes_away(qtbot, county_store, open_dialog) -> None:
    dialog = open_dialog(county_store, "people")
    dialog.panel.focus_field("id_number")
    bad = PERSON_ID[:-1] + ("1" if PERSON_ID[-1] != "1" else "2")
    type_text(qtbot, bad)
    wait_checked(qtbot, dialog)
    assert "校验位" in dialog.panel.message_of("id_number")
    line = dialog.panel.messages["id_number"]
    assert line.isVisible()
    press(qtbot, Qt.Key.Key_Backspace)
    type_text(qtbot, PERSON_ID[-1])
    wait_checked(qtbot, dialog)
    assert dialog.panel.message_of("id_number") == ""
    assert line.isVisible()  # the line stays, empty: the rows below keep their place
