"""The offline manual: F1 opens the shown page's section, it can be searched and saved as a PDF."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from ui import help_window, settings_store
from ui.help_window import SECTIONS, HelpWindow, manual_path
from ui.main_window import MainWindow
from ui.pages import PAGES
from ui.settings_store import Preferences

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints",
                                       "This plugin does not support raise")


@pytest.fixture
def window(county_window: MainWindow) -> Iterator[MainWindow]:
    yield county_window
    if help_window._window is not None:
        help_window._window.close()
        help_window._window.deleteLater()
        help_window._window = None


def test_every_page_and_topic_has_a_section() -> None:
    text = manual_path().read_text(encoding="utf-8")
    anchors = set(re.findall(r'<a name="([a-z-]+)">', text))
    assert {e.key for e in PAGES} <= set(SECTIONS)
    assert set(SECTIONS.values()) <= anchors
    for topic in ("county-year", "prefecture-year", "province-year", "trouble"):
        assert topic in anchors
    for words in ("文件 → 备份到…", "文件 → 本单位密钥…", "文件 → 证书登记（下级、上级单位）…", "表5全部为0", "下载模板"):
        assert words in text


def test_the_manual_is_bundled() -> None:
    spec = (Path(__file__).resolve().parent.parent / "build_spec" / "changai.spec").read_text(encoding="utf-8")
    assert '(os.path.join(ROOT, "resources"), "resources")' in spec  # the whole folder, manual included


def test_f1_opens_the_section_of_the_shown_page(qtbot: Any, window: MainWindow) -> None:
    window.show_page("returns")
    qtbot.keyClick(window, Qt.Key.Key_F1)
    shown = help_window._window
    assert shown is not None and shown.isVisible()
    bar = shown.browser.verticalScrollBar()
    at_returns = bar.value()
    assert at_returns > 0
    assert "报表" in shown.browser.cursorForPosition(shown.browser.viewport().rect().topLeft()).block().text() or \
        at_returns > 0
    window.show_page("home")
    window.help_action.trigger()
    assert shown.browser.verticalScrollBar().value() < at_returns  # 首页 comes before 报表 in the manual
    assert window.help_action.text() == "使用说明(&M)"
    assert [a.text() for a in window.menuBar().actions()][-1] == "帮助(&H)"


def type_chinese(widget: Any, text: str) -> None:
    """Chinese arrives as an input-method commit, as from a real IME."""
    from PySide6.QtGui import QInputMethodEvent
    from PySide6.QtWidgets import QApplication

    event = QInputMethodEvent("", [])
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def test_search_finds_and_says_when_not_found(qtbot: Any) -> None:
    widget = HelpWindow()
    qtbot.addWidget(widget)
    type_chinese(widget.search, "口令不正确")
    assert widget.browser.textCursor().selectedText() == "口令不正确"
    assert widget.found.text() == ""
    widget.search.clear()
    type_chinese(widget.search, "没有这句话的内容")
    assert widget.found.text() == "找不到"


def test_save_as_pdf(qtbot: Any, tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings_store.install(Preferences(data_dir))
    shown: list[str] = []
    for name in ("information", "warning"):
        monkeypatch.setattr(help_window.msgbox, name, lambda _p, _t, text, *_a: shown.append(text))
    try:
        widget = HelpWindow()
        qtbot.addWidget(widget)
        target = widget.save_pdf(str(tmp_path / "U盘 资料" / "说明"))
    finally:
        settings_store.install(None)
    assert target is not None and target.name == "说明.pdf" and target.stat().st_size > 10_000
    assert shown and str(target) in shown[-1]
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(target), "-"], capture_output=True, check=True).stdout.decode("utf-8")
        assert "县级总工会的全年工作" in text and "遇到问题怎么办" in text


def test_every_menu_named_in_messages_and_the_manual_exists(window: MainWindow) -> None:
    """“文件 → 证书登记（下级、上级单位）…” in a message or the manual must be a real menu item (no “设置 → …”)."""
    import re as regex

    from PySide6.QtWidgets import QMenu

    real: set[str] = set()
    for menu in window.menuBar().findChildren(QMenu):
        title = regex.sub(r"\(&\w\)|&", "", menu.title())
        for action in menu.actions():
            text = regex.sub(r"\(&\w\)|&", "", action.text()).split("\t")[0]
            if text:
                real.add(f"{title} → {text.rstrip('…')}")
    root = Path(__file__).resolve().parent.parent
    files = [manual_path(), *sorted((root / "ui").rglob("*.py")), *sorted((root / "models").rglob("*.py")),
             *sorted((root / "cli").rglob("*.py"))]
    pattern = regex.compile(r"(文件|数据|页面|帮助) ?[→›] ?([^”“，。、；：\s<（]+(?:（[^）]*）)?[^”“，。、；：\s<\"]*)")
    named = {(f"{m.group(1)} → {m.group(2).rstrip('…')}", path.name)
             for path in files for m in pattern.finditer(path.read_text(encoding="utf-8"))}
    assert named
    missing = sorted((menu, where) for menu, where in named if menu not in real)
    assert missing == [], f"menus named but not in the program: {missing}"
