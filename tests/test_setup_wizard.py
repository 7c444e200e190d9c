"""The first-run setup wizard, driven from the keyboard; the unit then read back from the store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget, QWizard
from stdnum.cn import uscc

from models import unit
from models.db import Store
from ui.setup_wizard import PAGE_CONTACTS, PAGE_INDUSTRY, PAGE_KIND, PAGE_REGION, SetupWizard, run_setup_wizard

# The offscreen platform cannot raise windows, grab the keyboard or pass size hints; it says so.

CREDIT_BODY = "91530000MA6K8Y3Q7"
CREDIT_CODE = CREDIT_BODY + uscc.calc_check_digit(CREDIT_BODY)


def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None
    return widget


def type_text(qtbot, text: str) -> None:
    """ASCII key by key; Chinese as an input-method commit."""
    from PySide6.QtGui import QInputMethodEvent

    for char in text:
        if ord(char) < 128:
            qtbot.keyClicks(focused(), char)
        else:
            event = QInputMethodEvent("", [])
            event.setCommitString(char)
            QApplication.sendEvent(focused(), event)
        QApplication.processEvents()


def press(qtbot, key: Qt.Key) -> None:
    qtbot.keyClick(focused(), key)


@pytest.fixture
def wizard(qtbot, store: Store) -> Iterator[SetupWizard]:
    w = SetupWizard(store)
    with qtbot.waitActive(w):
        w.show()
    yield w
    w.close()
    w.deleteLater()


def test_regional_union_by_keyboard(qtbot, store: Store, wizard: SetupWizard) -> None:
    assert wizard.currentId() == PAGE_KIND
    assert wizard.buttonText(QWizard.WizardButton.NextButton).startswith("下一步")
    assert wizard.buttonText(QWizard.WizardButton.CancelButton) == "取消"
    wizard.kind_page.regional.setFocus()
    press(qtbot, Qt.Key.Key_Return)  # 地方工会 is chosen already
    assert wizard.currentId() == PAGE_REGION
    page = wizard.region_page
    assert focused() is page.search
    type_text(qtbot, "nex")
    first = page.list.topLevelItem(0)
    assert (first.text(0), first.text(1), first.text(3)) == ("530821", "宁洱哈尼族彝族自治县", "普洱市")
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()  # nothing picked yet
    press(qtbot, Qt.Key.Key_Down)
    assert focused() is page.list
    press(qtbot, Qt.Key.Key_Return)
    assert focused() is page.name
    assert page.name.text() == "宁洱哈尼族彝族自治县总工会"
    assert page.level_label.text() == "县级"
    assert page.parent_label.text() == "普洱市总工会"
    press(qtbot, Qt.Key.Key_Return)  # Enter in the name goes on
    assert wizard.currentId() == PAGE_CONTACTS
    contacts = wizard.contacts_page
    assert "530821" in contacts.summary.text()
    assert focused() is contacts.head
    type_text(qtbot, "李国华")
    press(qtbot, Qt.Key.Key_Tab)
    type_text(qtbot, "王丽")
    press(qtbot, Qt.Key.Key_Tab)
    type_text(qtbot, "张敏")
    press(qtbot, Qt.Key.Key_Tab)
    type_text(qtbot, "0879-323")
    assert "电话应为" in contacts.phone_message.text()  # a Chinese message while it is incomplete
    assert not wizard.button(QWizard.WizardButton.FinishButton).isEnabled()
    type_text(qtbot, "1234")
    assert contacts.phone_message.text() == ""
    press(qtbot, Qt.Key.Key_Return)  # Finish
    assert wizard.result() == QWizard.DialogCode.Accepted

    saved = unit.load(store)
    assert saved is not None
    assert (saved.code, saved.name, saved.level, saved.parent_code) == \
        ("530821", "宁洱哈尼族彝族自治县总工会", "county", "530800")
    assert (saved.head, saved.statistician, saved.preparer, saved.phone) == ("李国华", "王丽", "张敏", "0879-3231234")
    assert wizard.unit == saved


def test_search_by_chinese_and_edit_the_proposed_name(qtbot, store: Store, wizard: SetupWizard) -> None:
    wizard.next()
    page = wizard.region_page
    type_text(qtbot, "普洱")
    press(qtbot, Qt.Key.Key_Return)  # Enter in the search box takes the first match
    assert page.code_label.text() == "530800"
    assert page.level_label.text() == "州市级"
    assert page.parent_label.text() == "云南省总工会"
    page.name.selectAll()
    type_text(qtbot, "普洱市总工会（市直）")
    press(qtbot, Qt.Key.Key_Return)
    assert wizard.currentId() == PAGE_CONTACTS
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.FinishButton), Qt.MouseButton.LeftButton)
    assert not wizard.isVisible()
    saved = unit.load(store)
    assert saved is not None and saved.level == "prefecture" and saved.name == "普洱市总工会（市直）"


def test_industry_union_with_credit_code(qtbot, store: Store, wizard: SetupWizard) -> None:
    wizard.kind_page.regional.setFocus()
    press(qtbot, Qt.Key.Key_Down)  # arrow keys move between the two kinds
    assert wizard.kind_page.industry.isChecked()
    press(qtbot, Qt.Key.Key_Return)
    assert wizard.currentId() == PAGE_INDUSTRY
    page = wizard.industry_page
    type_text(qtbot, "云南电网有限责任公司工会")
    press(qtbot, Qt.Key.Key_Tab)
    type_text(qtbot, CREDIT_CODE[:-1] + ("0" if CREDIT_CODE[-1] != "0" else "1"))
    assert page.code_message.text() == "统一社会信用代码应为18位且校验位正确"
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    page.code.selectAll()
    type_text(qtbot, CREDIT_CODE.lower())  # letters are upper-cased while typing
    assert page.code.text() == CREDIT_CODE
    assert page.code_message.text() == ""
    press(qtbot, Qt.Key.Key_Return)
    assert wizard.currentId() == PAGE_CONTACTS
    assert "云南电网有限责任公司工会" in wizard.contacts_page.summary.text()
    type_text(qtbot, "赵强")
    press(qtbot, Qt.Key.Key_Return)
    saved = unit.load(store)
    assert saved is not None
    assert (saved.code, saved.name, saved.level, saved.parent_code, saved.head) == \
        (CREDIT_CODE, "云南电网有限责任公司工会", "industry", "530000", "赵强")


def test_running_again_shows_the_current_unit(qtbot, county_store: Store) -> None:
    w = SetupWizard(county_store)
    qtbot.addWidget(w)
    assert w.region_page.division is not None and w.region_page.division.code == "530821"
    assert w.region_page.name.text() == "宁洱哈尼族彝族自治县总工会"
    assert w.contacts_page.phone.text() == "0879-3231234"
    assert w.contacts_page.head.text() == "李国华"


def test_run_setup_wizard_returns_none_when_cancelled(qtbot, store: Store) -> None:
    from PySide6.QtCore import QTimer

    def cancel() -> None:
        modal = QApplication.activeModalWidget()
        if not isinstance(modal, SetupWizard):
            QTimer.singleShot(10, cancel)
            return
        modal.reject()

    QTimer.singleShot(0, cancel)
    assert run_setup_wizard(store) is None
    assert unit.load(store) is None
