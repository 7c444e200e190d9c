"""Run slow core work (export, import, consolidation, printing) off the UI thread.

Usage::

    from ui.workers import run_in_background

    def work(progress, store):                     # runs on a worker thread
        return export_excel(store, path, progress=progress)

    run_in_background(self, "正在导出Excel……", work, on_done=lambda result: ..., store=self.store)

``fn`` gets ``progress(done, total, text="")``: call it now and then; it updates the progress
dialog and raises :class:`Cancelled` once the user pressed 取消, which stops ``fn`` (do not catch
it). ``on_done(result)`` and ``on_error(exc)`` run on the UI thread afterwards; without
``on_error`` :func:`ui.msgbox.show_error` explains the failure. A cancelled task calls ``on_cancel``.

SQLite connections belong to the thread that opened them. Pass ``store=`` and ``fn`` is called as
``fn(progress, store)`` with its own connection to the same file (closed afterwards). Without
``store=``, ``fn(progress)`` must not touch the store. An in-memory store cannot be shared between
threads: then ``fn`` runs on the UI thread (the dialog still updates and can cancel).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QApplication, QProgressDialog, QWidget

from ui import msgbox

if TYPE_CHECKING:
    from models.db import Store

ProgressFn = Callable[..., None]  # progress(done: int, total: int, text: str = "")

_MIN_INTERVAL = 0.05  # seconds between progress updates sent to the UI


class Cancelled(Exception):
    """Raised by ``progress()`` inside ``fn`` once the user cancelled."""


class _ProgressDialog(QProgressDialog):
    """Esc and the close button cancel only a cancellable task (and never just hide the dialog)."""

    allow_cancel = True

    def reject(self) -> None:
        if self.allow_cancel:
            self.cancel()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.allow_cancel:
            super().closeEvent(event)
        else:
            event.ignore()


class _Runner(QThread):
    progressed = Signal(int, int, str)

    def __init__(self, task: BackgroundTask) -> None:
        super().__init__()
        self._task = task

    def run(self) -> None:
        self._task._execute(self.progressed.emit)


class BackgroundTask(QObject):
    """One piece of work with its progress dialog; returned by :func:`run_in_background`."""

    finished = Signal()  # after the callbacks ran

    def __init__(self, parent: QWidget | None, label: str, fn: Callable[..., Any],
                 on_done: Callable[[Any], None] | None, on_error: Callable[[BaseException], None] | None,
                 on_cancel: Callable[[], None] | None, store: Store | None, cancellable: bool, title: str) -> None:
        super().__init__()
        self._parent = parent
        self._fn = fn
        self._on_done = on_done
        self._on_error = on_error
        self._on_cancel = on_cancel
        self._store = store
        self._cancel_event = threading.Event()
        self._last_emit = 0.0
        self.result: Any = None
        self.error: BaseException | None = None
        self.is_finished = False

        self._cancellable = cancellable
        self.dialog = _ProgressDialog(label, "取消" if cancellable else "", 0, 0, parent)
        self.dialog.allow_cancel = cancellable
        if not cancellable:
            self.dialog.setCancelButton(None)
            self.dialog.setWindowFlag(Qt.WindowType.WindowCloseButtonHint, False)
        self.dialog.setWindowTitle(title)
        self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog.setMinimumDuration(400)
        self.dialog.setAutoClose(False)
        self.dialog.setAutoReset(False)
        self.dialog.setMinimumWidth(360)
        self.dialog.canceled.connect(self.cancel)
        self.dialog.setValue(0)

        self._threaded = store is None or store.path is not None
        self._runner: _Runner | None = None

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> None:
        if self._threaded:
            self._runner = _Runner(self)
            self._runner.progressed.connect(self._show_progress)
            self._runner.finished.connect(self._finish)
            self._runner.start()
        else:
            QTimer.singleShot(0, self._run_here)

    def _run_here(self) -> None:
        def report(done: int, total: int, text: str) -> None:
            self._show_progress(done, total, text)
            QApplication.processEvents()

        self._execute(report)
        self._finish()

    def _execute(self, report: Callable[[int, int, str], None]) -> None:
        """Call ``fn`` (on the worker thread when threaded) and keep its result or exception."""

        def progress(done: int, total: int, text: str = "") -> None:
            if self._cancel_event.is_set():
                raise Cancelled
            moment = time.monotonic()
            if moment - self._last_emit >= _MIN_INTERVAL or (total and done >= total):
                self._last_emit = moment
                report(int(done), int(total), str(text))

        thread_store = None
        try:
            if self._store is None:
                self.result = self._fn(progress)
            elif self._threaded:
                from models.db import open_store

                assert self._store.path is not None
                thread_store = open_store(self._store.path.parent)
                self.result = self._fn(progress, thread_store)
            else:
                self.result = self._fn(progress, self._store)
        except BaseException as exc:  # reported on the UI thread
            self.error = exc
        finally:
            if thread_store is not None:
                thread_store.close()

    def _show_progress(self, done: int, total: int, text: str) -> None:
        if self.is_finished:
            return
        if total > 0:
            self.dialog.setMaximum(total)
            self.dialog.setValue(min(done, total))
        else:
            self.dialog.setMaximum(0)
        if text:
            self.dialog.setLabelText(text)

    def cancel(self) -> None:
        """Ask ``fn`` to stop at its next ``progress()`` call (ignored when not cancellable)."""
        if not self.is_finished and self._cancellable:
            self._cancel_event.set()
            self.dialog.setLabelText("正在取消……")

    @property
    def cancelled(self) -> bool:
        return isinstance(self.error, Cancelled)

    def _finish(self) -> None:
        if self._runner is not None:
            self._runner.wait()
            self._runner = None
        self.is_finished = True
        self.dialog.hide()
        self.dialog.deleteLater()
        try:
            if self.error is None:
                if self._on_done is not None:
                    self._on_done(self.result)
            elif isinstance(self.error, Cancelled):
                if self._on_cancel is not None:
                    self._on_cancel()
            elif self._on_error is not None:
                self._on_error(self.error)
            else:
                msgbox.show_error(self._parent, "操作失败", self.error)
        finally:
            _running.discard(self)
            self.finished.emit()

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until the worker thread ends (used at exit); the callbacks still run later."""
        runner = self._runner
        return True if runner is None else runner.wait(msecs)


_running: set[BackgroundTask] = set()


def run_in_background(parent: QWidget | None, label: str, fn: Callable[..., Any],
                      on_done: Callable[[Any], None] | None = None,
                      on_error: Callable[[BaseException], None] | None = None, *,
                      on_cancel: Callable[[], None] | None = None, store: Store | None = None,
                      cancellable: bool = True, title: str = "请稍候") -> BackgroundTask:
    """Start ``fn`` off the UI thread behind a modal progress dialog; see the module docstring."""
    task = BackgroundTask(parent, label, fn, on_done, on_error, on_cancel, store, cancellable, title)
    _running.add(task)
    task.start()
    return task


def running() -> list[BackgroundTask]:
    return list(_running)


def cancel_and_wait_all(msecs: int = 30_000) -> None:
    """Cancel every cancellable task and wait for all threads (before the application exits)."""
    for task in list(_running):
        task.cancel()  # a task that cannot be cancelled is waited for
    for task in list(_running):
        task.wait(msecs)
