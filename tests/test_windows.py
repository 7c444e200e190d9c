"""What a county clerk meets on Windows: locked files, pulled USB sticks, long paths, Chinese user names,
the code page, and the built program naming itself.

These run everywhere; CI also runs the whole suite under a Windows Python (``.ci/windows``), where the
Windows-only branches (real share-mode locks, the extended path form) are exercised for real.
"""

from __future__ import annotations

import ast
import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from common.atomic_file import atomic_path, os_error_text, os_path, write_bytes_atomic
from forms.periods import Period
from models.db import Store

ROOT = Path(__file__).resolve().parent.parent
WINDOWS = sys.platform == "win32"
SOURCE_FOLDERS = ("cli", "forms", "models", "ui")


def source_files() -> list[Path]:
    files = [ROOT / "main.py"]
    for folder in SOURCE_FOLDERS:
        files.extend(sorted((ROOT / folder).rglob("*.py")))
    return files


# --- the code page -------------------------------------------------------------------------------------------

def test_requirements_files_are_ascii() -> None:
    """pip on Chinese Windows reads requirements files in the ANSI code page (GBK): UTF-8 Chinese breaks it."""
    for name in ("requirements.txt", "requirements-dev.txt"):
        data = (ROOT / name).read_bytes()
        bad = [(n, line) for n, line in enumerate(data.splitlines(), 1) if not line.isascii()]
        assert bad == [], f"{name} must be ASCII, lines {[n for n, _ in bad]}"
        data.decode("cp936")  # what pip does there


def _non_ascii_date_formats(path: Path) -> list[str]:
    """Date formats with Chinese text: ``f"{d:%Y年%m月}"`` or ``d.strftime("%Y年")`` raise on Windows code pages."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FormattedValue) and isinstance(node.format_spec, ast.JoinedStr):
            spec = "".join(v.value for v in node.format_spec.values
                           if isinstance(v, ast.Constant) and isinstance(v.value, str))
            if "%" in spec and not spec.isascii():
                found.append(f"{path.name}:{node.lineno}")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in ("strftime", "strptime")):
            for arg in node.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and not arg.value.isascii():
                    found.append(f"{path.name}:{node.lineno}")
    return found


def test_no_date_format_with_chinese_text() -> None:
    offenders = [hit for path in source_files() for hit in _non_ascii_date_formats(path)]
    assert offenders == [], "format dates with date_cn() or explicit fields, not strftime with Chinese text"


def test_the_scan_finds_the_pattern(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text('import datetime as dt\nd = dt.date.today()\nx = f"{d:%Y年%m月}"\ny = d.strftime("%m月")\n',
                      encoding="utf-8")
    assert sorted(_non_ascii_date_formats(sample)) == ["sample.py:3", "sample.py:4"]


def test_home_page_shows_the_period_range_in_chinese(qtbot, county_store: Store) -> None:  # type: ignore[no-untyped-def]
    from ui.home_page import HomePage

    page = HomePage(county_store)
    qtbot.addWidget(page)
    page.refresh()
    assert "年1月1日 至 " in page.period_range.text()


def test_the_command_line_prints_chinese_whatever_the_console_code_page(tmp_path: Path) -> None:
    """Output is UTF-8 when piped (a GBK code page cannot encode every name), never an encoding error."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONIOENCODING", "PYTHONUTF8")}
    env["PYTHONUTF8"] = "0"
    data = tmp_path / "数据 文件夹"
    setup = subprocess.run([sys.executable, str(ROOT / "main.py"), "--data-dir", str(data), "setup",
                            "--unit-code", "530821", "--head", "玛丽·𠮷祥"],  # 𠮷 is not in GBK
                           capture_output=True, env=env, timeout=120, check=False)
    assert setup.returncode == 0, setup.stderr.decode("utf-8", "replace")
    status = subprocess.run([sys.executable, str(ROOT / "main.py"), "--data-dir", str(data), "status"],
                            capture_output=True, env=env, timeout=120, check=False)
    assert status.returncode == 0, status.stderr.decode("utf-8", "replace")
    assert "宁洱哈尼族彝族自治县总工会" in status.stdout.decode("utf-8")
    refused = subprocess.run([sys.executable, str(ROOT / "main.py"), "--data-dir", str(data), "setup",
                              "--unit-code", "539999"], capture_output=True, env=env, timeout=120, check=False)
    assert refused.returncode == 2 and "539999" in refused.stderr.decode("utf-8")


# --- the built program names itself ---------------------------------------------------------------------------

@pytest.mark.parametrize(("executable", "expected"), [
    (r"C:\Program Files\ChanGaiTongJi\ChanGaiTongJi-cli.exe", "ChanGaiTongJi-cli.exe"),
    (r"C:\Program Files\ChanGaiTongJi\ChanGaiTongJi.exe", "ChanGaiTongJi-cli.exe"),  # a message of the window
    ("/opt/ChanGaiTongJi/ChanGaiTongJi-cli", "ChanGaiTongJi-cli"),
])
def test_messages_of_the_built_program_name_it_as_started(monkeypatch: pytest.MonkeyPatch, executable: str,
                                                          expected: str) -> None:
    import cli

    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", executable.replace("\\", os.sep) if not WINDOWS else executable)
    assert cli.program() == expected
    assert cli.build_parser().prog == expected


def test_messages_from_source_name_python_main_py(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    import cli

    assert cli.program() == "python main.py"
    assert cli.run(["--data-dir", str(data_dir), "review", "--period", "2025"]) == 2
    assert "python main.py setup --unit-code" in capsys.readouterr().err


def test_import_undo_hint_names_the_built_program(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                                  county_store: Store, data_dir: Path) -> None:
    import cli

    county_store.close()
    sample = ROOT / "tests" / "samples" / "宁洱县劳模名册.xlsx"
    if not sample.exists():
        pytest.skip("sample roster missing")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(Path("C:/程序/ChanGaiTongJi/ChanGaiTongJi-cli.exe")))
    cli.run(["--data-dir", str(data_dir), "import", "--kind", "people", str(sample)])
    out = capsys.readouterr().out
    assert "ChanGaiTongJi-cli.exe import-undo 1" in out
    assert "python main.py" not in out


# --- files: flushed, locked, pulled out, long paths -------------------------------------------------------------

def test_a_finished_file_is_flushed_through_a_writable_handle(tmp_path: Path) -> None:
    """Windows' FlushFileBuffers refuses a read-only handle: the export failed with 没有读写权限."""
    target = tmp_path / "导出 文件夹" / "530821_2025_v1.xlsx"
    write_bytes_atomic(target, b"PK\x03\x04 data")
    assert target.read_bytes() == b"PK\x03\x04 data"
    assert [p.name for p in target.parent.iterdir()] == [target.name]


def _hold_open_like_excel(path: Path):  # type: ignore[no-untyped-def]
    """Open ``path`` as Excel/WPS does on Windows: no sharing, so it cannot be replaced or deleted."""
    import ctypes
    from ctypes import wintypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    kernel32.CreateFileW.restype = wintypes.HANDLE
    kernel32.CreateFileW.argtypes = [wintypes.LPCWSTR, wintypes.DWORD, wintypes.DWORD, wintypes.LPVOID,
                                     wintypes.DWORD, wintypes.DWORD, wintypes.HANDLE]
    generic_read, open_existing, share_none = 0x80000000, 3, 0
    handle = kernel32.CreateFileW(str(path), generic_read, share_none, None, open_existing, 0x80, None)
    assert handle not in (None, wintypes.HANDLE(-1).value), ctypes.get_last_error()
    return lambda: kernel32.CloseHandle(handle)


def test_export_onto_a_file_open_in_excel_keeps_it_and_says_so(demo_store: Store, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from models import export

    out = tmp_path / "U盘 上报"
    first = export.export_return(demo_store, Period(2025), out, ["xlsx"])[0]
    before = first.read_bytes()
    if WINDOWS:
        release = _hold_open_like_excel(first)
    else:  # what Windows answers when the target is open in Excel: a sharing violation on the rename
        real_replace = os.replace

        def locked(src, dst):  # type: ignore[no-untyped-def]
            if str(dst).endswith(first.name):
                raise PermissionError(errno.EACCES, "另一个程序正在使用此文件，进程无法访问。", str(src), 32, str(dst))
            return real_replace(src, dst)

        monkeypatch.setattr(os, "replace", locked)
        release = lambda: None  # noqa: E731
    try:
        with pytest.raises(OSError) as caught:
            export.export_return(demo_store, Period(2025), out, ["xlsx"], version=1)
        text = os_error_text(caught.value)
    finally:
        release()
    assert first.name in text and ("Excel" in text or "其他程序" in text), text
    assert ".part" not in text
    assert "第1版报表已定稿，但文件没有写出" in text and "不会产生新的版本" in text
    assert first.read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == [first.name]


@pytest.mark.parametrize(("code", "winerror", "words"), [
    (errno.EIO, None, "U盘是否已拔出"),
    (errno.EINVAL, 1167, "U盘是否已拔出"),  # ERROR_DEVICE_NOT_CONNECTED, as Windows reports a pulled stick
    (errno.EINVAL, 21, "U盘是否已拔出"),  # ERROR_NOT_READY
    (errno.ENOSPC, 112, "已满"),
])
def test_a_usb_stick_pulled_out_mid_write_leaves_no_file(demo_store: Store, tmp_path: Path, code: int,
                                                          winerror: int | None, words: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from models import export, export_xlsx

    out = tmp_path / "U盘"
    real = export_xlsx.write_xlsx

    def pulled(ret, path, **kwargs):  # type: ignore[no-untyped-def]
        real(ret, path, **kwargs)
        with open(path, "r+b") as fh:
            fh.truncate(100)
        error = OSError(code, "设备未就绪", str(path))
        if winerror is not None:
            error.winerror = winerror  # type: ignore[attr-defined]
        raise error

    monkeypatch.setattr(export_xlsx, "write_xlsx", pulled)
    with pytest.raises(OSError) as caught:
        export.export_return(demo_store, Period(2025), out, ["xlsx"])
    assert words in os_error_text(caught.value)
    assert list(out.iterdir()) == []


def test_a_path_longer_than_260_characters_is_written(tmp_path: Path) -> None:
    folder = tmp_path
    while len(str(folder)) < 300:
        folder = folder / "二〇二五年度产业工人队伍建设改革统计报表上报材料"
    target = folder / "530821_2025_v1.pdf"
    assert len(str(target)) > 260
    write_bytes_atomic(target, b"%PDF-1.7")
    with open(os_path(target), "rb") as fh:
        assert fh.read() == b"%PDF-1.7"
    if WINDOWS:
        assert os_path(target).startswith("\\\\?\\")


def test_a_long_path_export_and_verify_through_the_command_line(demo_store: Store, data_dir: Path, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    import cli

    demo_store.close()
    out = tmp_path
    while len(str(out)) < 280:
        out = out / "州市总工会产改办 收件 文件夹"
    assert cli.run(["--data-dir", str(data_dir), "export", "--period", "2025", "--out", str(out), "--no-sign"]) == 0
    written = [line.split("：", 1)[1] for line in capsys.readouterr().out.splitlines() if line.startswith("已导出：")]
    assert len(written) == 2 and all(len(name) > 260 for name in written)
    cli.run(["--data-dir", str(data_dir), "verify", *written])
    assert "格式错误" not in capsys.readouterr().out


def test_a_data_folder_under_a_chinese_user_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import cli

    data = tmp_path / "Users" / "张三 (县总工会)" / "AppData" / "Local" / "ChanGaiTongJi"
    assert cli.run(["--data-dir", str(data), "setup", "--unit-code", "530821"]) == 0
    assert cli.run(["--data-dir", str(data), "demo", "--seed", "3"]) == 0
    assert cli.run(["--data-dir", str(data), "export", "--period", "2025", "--out", str(tmp_path / "导出"),
                    "--no-sign"]) == 0
    assert (data / "store.sqlite3").exists()
    capsys.readouterr()


def test_temporary_files_keep_short_names_next_to_long_targets(tmp_path: Path) -> None:
    target = tmp_path / ("很长的文件名" * 30 + ".xlsx")
    try:
        with atomic_path(target) as tmp:
            assert len(tmp.name) < 80
            tmp.write_bytes(b"x")
    except OSError as exc:  # a file name over 255 bytes: refused by the file system, with a reason
        assert os_error_text(exc)
    else:
        assert target.read_bytes() == b"x"


# --- the self-test never waits ----------------------------------------------------------------------------------

def test_self_test_reports_a_failing_page_and_never_waits(qtbot, county_store: Store,  # type: ignore[no-untyped-def]
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from ui import app as app_module
    from ui.home_page import HomePage

    def broken(self):  # type: ignore[no-untyped-def]
        raise ValueError("页面出错（测试）")

    monkeypatch.setattr(HomePage, "refresh", broken)
    had_to_click: list[str] = []

    def click_away() -> None:  # a modal box left waiting would be the bug: close it and remember
        widget = QApplication.activeModalWidget()
        if widget is not None:
            had_to_click.append(widget.windowTitle())
            widget.close()

    timer = QTimer()
    timer.timeout.connect(click_away)
    timer.start(500)
    try:
        code = app_module._self_test(QApplication.instance(), county_store, True, "WenQuanYi Micro Hei")
    finally:
        timer.stop()
    assert had_to_click == []
    assert code == 1
    assert "页面出错（测试）" in capsys.readouterr().err


def test_self_test_watchdog_ends_a_blocked_process() -> None:
    code = ("import time, ui.app as a; a._start_watchdog(0.5); time.sleep(30)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, timeout=60, check=False,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert done.returncode == 3
    assert "自检失败" in done.stderr.decode("utf-8")
