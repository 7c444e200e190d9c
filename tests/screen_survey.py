"""Does everything fit a small screen? Shows every page and dialog and lists what does not fit.

Used by ``test_ui_screen.py`` in the test process (1024×768) and, run as a script, in a child process
with ``QT_SCALE_FACTOR=1.5`` on a 1366×768 screen (a laptop at 150 %): ``python screen_survey.py [counties]``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QAbstractButton, QAbstractScrollArea, QApplication, QMessageBox, QWidget

# What a window may use of the screen: the taskbar (about 40 px) and the window frame are not ours.
TASKBAR = 40

LONG_MESSAGE = ("口令不正确，无法用本单位密钥签名。请检查键盘的大小写锁定和输入法（口令区分大小写，须在英文状态下输入）。"
                "如果忘记了口令，请在“文件 → 本单位密钥…”中创建新密钥，并把新的公钥登记表交上级重新登记；"
                "用旧密钥签名的报表仍可核验。") * 3


def usable(app: QApplication) -> QSize:
    screen = app.primaryScreen().availableGeometry()
    return QSize(screen.width(), screen.height() - TASKBAR)


def misfits(name: str, widget: QWidget, limit: QSize) -> list[str]:
    """What of ``widget`` (shown) is too big for ``limit`` or outside the widget."""
    QApplication.processEvents()
    found = []
    hint = widget.minimumSizeHint().expandedTo(widget.minimumSize())
    if hint.width() > limit.width() or hint.height() > limit.height():
        found.append(f"{name}: minimum {hint.width()}×{hint.height()} > {limit.width()}×{limit.height()}")
    if widget.width() > limit.width() or widget.height() > limit.height():
        found.append(f"{name}: size {widget.width()}×{widget.height()} > {limit.width()}×{limit.height()}")
    inside = widget.rect()
    for button in widget.findChildren(QAbstractButton):
        if not button.isVisible() or _in_scroll_area(button, widget):
            continue
        top_left = button.mapTo(widget, button.rect().topLeft())
        bottom_right = button.mapTo(widget, button.rect().bottomRight())
        if not (inside.contains(top_left) and inside.contains(bottom_right)):
            found.append(f"{name}: button “{button.text() or button.objectName()}” outside the window")
    return found


def _in_scroll_area(widget: QWidget, top: QWidget) -> bool:
    parent = widget.parentWidget()
    while parent is not None and parent is not top:
        if isinstance(parent, QAbstractScrollArea):
            return True
        parent = parent.parentWidget()
    return False


def survey_window(store: Any, prefs: Any, limit: QSize, *, after: Callable[[Any], None] | None = None) -> list[str]:
    """The main window at ``limit``: every page (the 报表 page reviewed) and the window's size on each."""
    from ui.main_window import MainWindow
    from ui.pages import PAGES

    window = MainWindow(store, prefs)
    window.resize(limit)
    window.show()
    found: list[str] = []
    try:
        for entry in PAGES:
            window.show_page(entry.key)
            if entry.key == "returns":
                window.pages["returns"].run_review()  # type: ignore[attr-defined]
            found += misfits(f"page {entry.key}", window, limit)
        if after is not None:
            after(window)
    finally:
        window.close()
        window.deleteLater()
    return found


def dialog_factories(store: Any, consolidated: bool) -> dict[str, Callable[[QWidget], QWidget]]:
    """Every dialog of the program, built on ``store``."""
    from forms import records as forms
    from forms.periods import Period
    from models import returns
    from models import unit as unit_model
    from ui import board_page, import_dialog, keys_dialog, return_page
    from ui.child_editors import ChildRowDialog
    from ui.definitions_dialog import DefinitionsDialog
    from ui.main_window import UnitDialog
    from ui.record_dialog import RecordDialog
    from ui.settings_store import current_period
    from ui.setup_wizard import SetupWizard

    period: Period = current_period(store)
    unit = unit_model.load(store)
    found: dict[str, Callable[[QWidget], QWidget]] = {
        f"record {kind}": (lambda parent, kind=kind: RecordDialog(store, kind, parent=parent))
        for kind in forms.TOP_LEVEL
    }
    found.update({
        "honour": lambda parent: ChildRowDialog(forms.HONOURS, store, None, "荣誉", parent),
        "studio output": lambda parent: ChildRowDialog(forms.STUDIO_OUTPUTS, store, None, "年度成果", parent),
        "unit": lambda parent: UnitDialog(unit, lambda _v: None, parent),
        "import": lambda parent: import_dialog.ImportDialog(store, "people", parent),
        "import batches": lambda parent: import_dialog.BatchesDialog(store, parent),
        "keys": lambda parent: keys_dialog.KeysDialog(store, parent),
        "create key": lambda parent: keys_dialog.CreateKeyDialog(store, replacing=False, parent=parent),
        "passphrase": lambda parent: keys_dialog.PassphraseDialog(store, parent=parent),
        "trust": lambda parent: keys_dialog.TrustDialog(store, parent),
        "verify": lambda parent: keys_dialog.VerifyDialog(store, parent),
        "definitions": lambda parent: DefinitionsDialog(store, parent),
        "reason": lambda parent: board_page.ReasonDialog("宁洱哈尼族彝族自治县总工会 2025年年报", parent),
        "receive results": lambda parent: board_page.ReceiveResultsDialog([], "共 0 个文件", parent),
        "history": lambda parent: board_page.HistoryDialog("宁洱哈尼族彝族自治县总工会", [], {}, parent),
        "setup wizard": lambda parent: SetupWizard(store, parent),
    })
    if consolidated:
        from ui.contributions_dialog import ContributionsDialog

        ret = returns.compute(store, period)
        found["contributions"] = lambda parent: ContributionsDialog(store, ret, "T3", "total", "participants", parent)
    else:
        found["records behind"] = lambda parent: return_page.RecordsBehindDialog(
            store, period.code, "T3", "total", "participants", parent)
    return found


def survey_dialogs(store: Any, limit: QSize, consolidated: bool) -> list[str]:
    found: list[str] = []
    parent = QWidget()
    try:
        for name, make in dialog_factories(store, consolidated).items():
            dialog = make(parent)
            dialog.show()
            found += misfits(f"dialog {name}", dialog, limit)
            dialog.close()
            dialog.deleteLater()
        found += survey_message(parent, limit)
        found += survey_preview(store, parent, limit)
    finally:
        parent.deleteLater()
    return found


def survey_message(parent: QWidget, limit: QSize) -> list[str]:
    """A long message box fits and shows its whole text."""
    from ui import msgbox

    box = msgbox._box(parent, QMessageBox.Icon.Warning, "口令不正确", LONG_MESSAGE, None)
    box.addButton("确定", QMessageBox.ButtonRole.AcceptRole)
    box.show()
    found = misfits("message", box, limit)
    label = box.findChild(QWidget, "qt_msgbox_label")
    if label is not None and label.height() < label.heightForWidth(label.width()):
        found.append("message: text clipped")
    box.close()
    box.deleteLater()
    return found


def survey_preview(store: Any, parent: QWidget, limit: QSize) -> list[str]:
    """The print preview of the return."""
    from PySide6.QtPrintSupport import QPrintPreviewDialog

    from models import returns
    from ui import return_print
    from ui.settings_store import current_period

    found: list[str] = []
    original = QPrintPreviewDialog.exec

    def look(dialog: QPrintPreviewDialog) -> int:
        dialog.show()
        found.extend(misfits("print preview", dialog, limit))
        dialog.close()
        return 0

    QPrintPreviewDialog.exec = look  # type: ignore[method-assign,assignment]
    try:
        return_print.preview(parent, returns.compute(store, current_period(store)), ["汇总表"], "汇总表")
    finally:
        QPrintPreviewDialog.exec = original  # type: ignore[method-assign]
    return found


def main(argv: list[str]) -> int:
    """Child process: survey a demo county (and a prefecture after 汇总 when given the counties folder)."""
    import tempfile

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from models import unit
    from models.db import open_store
    from models.demo import fill_demo
    from ui import settings_store
    from ui.app import install_font, make_application

    app = make_application()
    install_font(app)
    limit = usable(app)
    found: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "县")
        unit.setup(store, code="530821", head="李国华", statistician="王丽", preparer="张敏", phone="0879-3231234")
        fill_demo(store, seed=1)
        prefs = settings_store.Preferences(Path(tmp) / "县")
        settings_store.install(prefs)
        found += survey_window(store, prefs, limit)
        found += survey_dialogs(store, limit, False)
        store.close()
    print(f"limit {limit.width()}x{limit.height()}")
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
