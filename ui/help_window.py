"""使用说明: the offline manual (``resources/manual/manual.html``) in a window of its own.

F1 opens it at the section of the page being shown; it can be searched (Ctrl+F, Enter for the next
match) and printed or saved as a PDF. The window is not modal: the clerk reads while working.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QFont, QKeySequence, QShortcut, QTextDocument
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ui import msgbox
from ui.screen import fit_size

MANUAL_FILE = ("manual", "manual.html")
FOLDER_KEY = "manual_pdf"
# The manual's section for each page of the navigation (``ui.pages.PAGES`` keys) and for a few topics.
SECTIONS = {"home": "home", "people": "people", "studios": "studios", "trainings": "trainings",
            "competitions": "competitions", "innovation": "innovation", "returns": "returns", "board": "board",
            "progress": "progress", "recycle": "recycle", "import": "import", "review": "review", "signing": "signing",
            "backup": "backup"}


def manual_path() -> Path:
    from common.paths import resource_path

    return resource_path(*MANUAL_FILE)


class HelpWindow(QWidget):
    """The manual with a search line and 打印/存为PDF."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("产改统计填报 — 使用说明")
        self.browser = QTextBrowser()
        self.browser.setObjectName("manual")
        self.browser.setOpenExternalLinks(False)
        self.browser.setOpenLinks(True)
        from ui.return_print import font_family

        # The bundled font: Chinese shows (and prints to PDF) even where no Chinese font is installed.
        self.browser.document().setDefaultFont(QFont(font_family(), 11))
        path = manual_path()
        self.browser.setSearchPaths([str(path.parent)])
        self.browser.setSource(QUrl.fromLocalFile(str(path)))
        self.search = QLineEdit()
        self.search.setObjectName("manual_search")
        self.search.setPlaceholderText("查找说明中的文字，回车查找下一处")
        self.search.setAccessibleName("查找")
        self.search.setClearButtonEnabled(True)
        self.search.returnPressed.connect(lambda: self.find_next())
        self.search.textEdited.connect(lambda _t: self.find_next(from_start=True))
        self.found = QLabel("")
        self.found.setObjectName("found")
        search_label = QLabel("查找(&F)：")
        search_label.setBuddy(self.search)
        next_button = QPushButton("下一处(&N)")
        next_button.clicked.connect(lambda: self.find_next())
        contents_button = QPushButton("目录(&M)")
        contents_button.clicked.connect(lambda: self.show_section(""))
        self.print_button = QPushButton("打印/存为PDF(&P)…")
        self.print_button.clicked.connect(lambda: self.save_pdf())
        close_button = QPushButton("关闭")
        close_button.clicked.connect(self.close)
        top = QHBoxLayout()
        top.addWidget(search_label)
        top.addWidget(self.search, 1)
        top.addWidget(next_button)
        top.addWidget(self.found)
        bottom = QHBoxLayout()
        bottom.addWidget(contents_button)
        bottom.addStretch(1)
        bottom.addWidget(self.print_button)
        bottom.addWidget(close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.browser, 1)
        layout.addLayout(bottom)
        QShortcut(QKeySequence.StandardKey.Find, self, self._find)
        QShortcut(QKeySequence("Esc"), self, self.close)
        fit_size(self, 860, 900)

    def _find(self) -> None:
        """Ctrl+F: to the search box, its text selected."""
        self.search.setFocus()
        self.search.selectAll()

    def show_section(self, section: str) -> None:
        """Scroll to ``section`` (an anchor of the manual; "" for the top)."""
        if section:
            self.browser.scrollToAnchor(section)
        else:
            self.browser.verticalScrollBar().setValue(0)
        self.browser.setFocus()

    def find_next(self, *, from_start: bool = False) -> bool:
        """Select the next place the search text occurs (wrapping round); False when it does not occur."""
        text = self.search.text().strip()
        if not text:
            self.found.setText("")
            return False
        if from_start:
            cursor = self.browser.textCursor()
            cursor.movePosition(cursor.MoveOperation.Start)
            self.browser.setTextCursor(cursor)
        found = self.browser.find(text)
        if not found:  # wrap round to the top
            cursor = self.browser.textCursor()
            cursor.movePosition(cursor.MoveOperation.Start)
            self.browser.setTextCursor(cursor)
            found = self.browser.find(text)
        self.found.setText("" if found else "找不到")
        self.found.setStyleSheet("" if found else "color: #b42318;")
        return found

    def document(self) -> QTextDocument:
        return self.browser.document()

    def save_pdf(self, path: str | None = None) -> Path | None:
        """Print the manual to a PDF file (which can then be printed anywhere)."""
        from PySide6.QtGui import QPageSize
        from PySide6.QtPrintSupport import QPrinter

        from ui.settings_store import preferences

        prefs = preferences()
        if path is None:
            suggested = str(Path(prefs.last_folder(FOLDER_KEY)) / "产改统计填报使用说明.pdf")
            path, _filter = QFileDialog.getSaveFileName(self, "把使用说明存为PDF", suggested, "PDF 文件 (*.pdf)")
        if not path:
            return None
        target = Path(path) if Path(path).suffix.lower() == ".pdf" else Path(path + ".pdf")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            msgbox.warning(self, "无法存为PDF", f"无法使用文件夹“{target.parent}”：{exc.strerror or exc}")
            return None
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
        printer.setOutputFileName(str(target))
        self.document().print_(printer)
        if not target.exists():
            msgbox.warning(self, "无法存为PDF", f"无法写入“{target}”，请换一个文件夹（如U盘或桌面）。")
            return None
        prefs.set_last_folder(FOLDER_KEY, str(target))
        msgbox.information(self, "已存为PDF", f"使用说明已存为：\n{target}\n\n可用任何PDF阅读器打开和打印。")
        return target


_window: HelpWindow | None = None


def show_help(parent: QWidget | None, section: str = "") -> HelpWindow:
    """Open (or bring up) the manual at ``section``."""
    global _window
    if _window is None or _window.parent() is not parent:
        _window = HelpWindow(parent)
    _window.show()
    _window.raise_()
    _window.activateWindow()
    _window.show_section(SECTIONS.get(section, section))
    return _window
