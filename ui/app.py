"""Start the GUI: application, Chinese translations and font, the store, set-up, main window.

Start-up stays light: record pages, exports and their heavy libraries load when first used.
"""

from __future__ import annotations

import os
import sys
import threading
import traceback
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QLibraryInfo, QLocale, QTimer, QTranslator
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

from ui import msgbox

if TYPE_CHECKING:
    from models.db import Store

APP_NAME = "产改统计填报"
ORGANISATION = "ChanGaiTongJi"
FONT_FILE = "WenQuanYiMicroHei.ttf"
FONT_POINT_SIZE = 10


def make_application() -> QApplication:
    """The QApplication (reused when one exists, as under pytest-qt), named and in Chinese."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        _offscreen_fonts()
        app = QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORGANISATION)
    QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    return app


def _offscreen_fonts() -> None:
    """Point Qt's offscreen platform at the bundled font folder.

    Without fontconfig (Windows) that platform looks for fonts in Qt's own ``lib/fonts``, which Qt no
    longer ships, and warns; the self-test and the tests run offscreen.
    """
    if os.environ.get("QT_QPA_PLATFORM", "").startswith("offscreen") and "QT_QPA_FONTDIR" not in os.environ:
        from common.paths import resource_path

        os.environ["QT_QPA_FONTDIR"] = str(resource_path("fonts"))


# Strings whose source text changed in Qt 6.11 and that its qtbase_zh_CN file therefore lacks: without these the
# file dialogs (导出, 导入, 选择文件夹) show “Look in:”, “Files of type:” and “Folder” in English.
MISSING_ZH: dict[tuple[str, str], str] = {
    ("QFileDialog", "&Look in:"): "查找范围(&L)：",
    ("QFileDialog", "Files of &type:"): "文件类型(&T)：",
    ("QAbstractFileIconProvider", "Folder"): "文件夹",
    ("QAbstractFileIconProvider", "Drive"): "驱动器",
}


class _ChineseTranslator(QTranslator):
    """Qt's zh_CN translation, completed with ``MISSING_ZH``."""

    def translate(self, context: str, source_text: str, disambiguation: str | None = None, n: int = -1) -> str:
        text = super().translate(context, source_text, disambiguation, n)
        return text or MISSING_ZH.get((context, source_text), "")


def install_translations(app: QApplication) -> bool:
    """Load Qt's own zh_CN strings so standard buttons read 确定/取消/是/否."""
    if getattr(app, "_changai_translator", None) is not None:
        return True
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    translator = _ChineseTranslator(app)
    if not translator.load("qtbase_zh_CN", folder):
        return False
    app.installTranslator(translator)
    app._changai_translator = translator  # type: ignore[attr-defined]  # keep it alive
    return True


def install_font(app: QApplication) -> str | None:
    """Register the bundled CJK font and make it the application font; its family, or None."""
    from common.paths import resource_path

    path = resource_path("fonts", FONT_FILE)
    font_id = QFontDatabase.addApplicationFont(str(path))
    if font_id < 0:
        return None
    families = QFontDatabase.applicationFontFamilies(font_id)
    if not families:
        return None
    font = QFont(families[0])
    font.setPointSize(FONT_POINT_SIZE)
    app.setFont(font)
    return families[0]


def _report_unexpected(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """Unexpected errors in slots: explain in Chinese instead of dying silently."""
    traceback.print_exception(kind, exc, tb)
    from ui.msgbox import error_text

    text, detail = error_text(exc)
    try:
        msgbox.critical(QApplication.activeWindow(), "程序出错", text, detail)
    except Exception:  # never let the hook itself fail
        traceback.print_exc()


def _warm_up() -> None:
    from common.pinyin import initials

    initials("张")


def _after_start(store: Any, window: Any) -> None:
    from ui.backup_dialog import after_start

    after_start(store, window)


def upgrade_with_progress(data_dir: Path | None) -> None:
    """Bring an older store up to date on a worker thread behind a progress window (the first start of a new
    version: its new indexes take seconds at province scale, before any window would show). A failure is left
    for the opening that follows, which reports it."""
    from PySide6.QtCore import QEventLoop

    from models.db import open_store
    from ui.workers import run_in_background

    loop = QEventLoop()
    task = run_in_background(None, "正在升级数据文件（新版本第一次打开时进行一次），请稍候……",
                             lambda progress: open_store(data_dir).close(), on_error=lambda exc: None,
                             cancellable=False, title=APP_NAME)
    task.finished.connect(loop.quit)
    if not task.is_finished:
        loop.exec()


def run_gui(data_dir: Path | None = None, self_test: bool = False) -> int:
    """Run the application; the exit code. ``self_test`` opens everything, reports and quits."""
    app = make_application()
    translated = install_translations(app)
    family = install_font(app)

    from models.db import StoreError, open_store, upgrade_pending
    from ui import settings_store

    if upgrade_pending(data_dir):
        upgrade_with_progress(data_dir)
    try:
        store = open_store(data_dir)
    except StoreError as exc:
        if self_test:
            print(f"自检失败：无法打开数据：{exc}", file=sys.stderr)
        else:
            msgbox.critical(None, "无法打开数据", f"无法打开数据文件。\n{exc}")
        return 1
    try:
        folder = store.path.parent if store.path else None
        if folder is not None:
            settings_store.install(settings_store.Preferences(folder))
        if self_test:
            return _self_test(app, store, translated, family)

        from models import unit as unit_model

        if unit_model.load(store) is None:
            from ui.setup_wizard import run_setup_wizard

            if run_setup_wizard(store, parent=None) is None:
                msgbox.information(None, APP_NAME, "尚未设置本单位，程序将退出。\n下次打开时可以继续设置。")
                return 0

        from ui.main_window import MainWindow

        previous_hook = sys.excepthook
        sys.excepthook = _report_unexpected
        try:
            window = MainWindow(store)
            window.show()
            # Load the pinyin dictionary once the window is up, so the first entry form opens at once.
            QTimer.singleShot(400, _warm_up)
            QTimer.singleShot(700, lambda: _after_start(store, window))
            return int(app.exec())
        finally:
            sys.excepthook = previous_hook
            workers = sys.modules.get("ui.workers")  # nothing ran in the background if it was never imported
            if workers is not None:
                workers.cancel_and_wait_all()
    finally:
        settings_store.install(None)
        store.close()


# The self-test runs where nobody can click: past this many seconds it reports and exits whatever happens.
SELF_TEST_LIMIT_S = 300


def _start_watchdog(limit_s: float) -> threading.Timer:
    def give_up() -> None:
        print(f"自检失败：超过 {limit_s:.0f} 秒仍未完成（可能有窗口在等待操作）", file=sys.stderr, flush=True)
        os._exit(3)

    timer = threading.Timer(limit_s, give_up)
    timer.daemon = True
    timer.start()
    return timer


def _self_test(app: QApplication, store: Store, translated: bool, family: str | None) -> int:
    """Open the main window and every page offscreen, read the counts, print one line.

    Never waits for a person: message boxes are collected (an error or warning box is a failure) and a
    watchdog ends the process if anything else blocks.
    """
    watchdog = _start_watchdog(SELF_TEST_LIMIT_S)
    try:
        with msgbox.unattended() as shown:
            code = _run_self_test(app, store, translated, family, shown)
    finally:
        watchdog.cancel()
    return code


def _run_self_test(app: QApplication, store: Store, translated: bool, family: str | None,
                   shown: list[tuple[str, str, str]]) -> int:
    from models import records
    from models import unit as unit_model
    from models.db import RecordError
    from ui.main_window import MainWindow, load_page_class
    from ui.pages import PAGES

    problems: list[str] = []
    skipped: list[str] = []
    if family is None:
        problems.append(f"未能加载字体 {FONT_FILE}")
    if not translated:
        problems.append("未能加载Qt中文翻译 qtbase_zh_CN")
    failures: list[BaseException] = []
    previous_hook = sys.excepthook
    sys.excepthook = lambda kind, exc, tb: failures.append(exc)
    window: MainWindow | None = None
    try:
        window = MainWindow(store)
        window.show()
        app.processEvents()
        unit = unit_model.load(store)
        for entry in PAGES:
            try:
                load_page_class(entry.target)  # a module missing from the bundle fails here
                window.page(entry.key)
            except RecordError as exc:
                if unit is not None:
                    problems.append(f"页面“{entry.title}”无法打开：{exc}")
                else:  # a page may need the unit, which a fresh installation does not have yet
                    skipped.append(entry.title)
                continue
            except Exception as exc:  # reported below
                problems.append(f"页面“{entry.title}”无法打开：{type(exc).__name__}: {exc}")
                continue
            window.show_page(entry.key)
            app.processEvents()
        window.show_page(PAGES[0].key)
        app.processEvents()
        counts = records.counts(store)
    except Exception as exc:  # the self-test reports every failure
        problems.append(f"{type(exc).__name__}: {exc}")
        counts, unit = {}, None
    finally:
        sys.excepthook = previous_hook
        if window is not None:
            window.close()
            window.deleteLater()
        app.processEvents()
    problems.extend(f"{type(e).__name__}: {e}" for e in failures)
    problems.extend(f"{title}：{text}" for level, title, text in shown if level in ("错误", "警告"))
    if problems:
        print("自检失败：" + "；".join(problems), file=sys.stderr)
        return 1
    from forms.records import TOP_LEVEL, spec

    who = unit.name if unit else "尚未设置本单位"
    figures = "，".join(f"{spec(kind).title} {counts.get(kind, 0)}" for kind in TOP_LEVEL)
    pages = f"页面 {len(PAGES)} 个均可打开"
    if skipped:
        pages = f"页面 {len(PAGES) - len(skipped)} 个可打开（“{'”“'.join(skipped)}”须先设置本单位）"
    print(f"自检通过：{who}；{figures}，荣誉 {counts.get('honours', 0)}；{pages}")
    return 0
