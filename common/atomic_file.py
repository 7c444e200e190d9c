"""Write files so that a pulled USB stick never leaves a half-written file behind."""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from collections.abc import Iterator
from pathlib import Path

WINDOWS = sys.platform == "win32"
# Windows refuses paths of 260 characters or more unless they are written in the extended form
# (\\?\C:\...); a deep folder on a USB stick with long Chinese names gets there quickly.
_LONG_PATH = 240


def os_path(path: Path | str) -> str:
    """``path`` as the operating system should be given it: on Windows, long paths in extended form."""
    text = str(path)
    if not WINDOWS or len(text) < _LONG_PATH or text.startswith("\\\\?\\"):
        return text
    absolute = os.path.abspath(text)
    if absolute.startswith("\\\\"):  # \\server\share\... → \\?\UNC\server\share\...
        return "\\\\?\\UNC\\" + absolute[2:]
    return "\\\\?\\" + absolute


def _fsync(path: Path | str) -> None:
    """Flush a finished file to the disk or USB stick.

    Windows' FlushFileBuffers needs a handle opened for writing (a read-only one gives "access denied").
    """
    fd = os.open(os_path(path), os.O_RDWR | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(target: Path, mode: int = 0o644) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; rename it onto ``target`` on success.

    ``mode`` is the final file's permission (``0o600`` for a private key; ignored on Windows but for read-only).

    On any error the temporary file is removed and ``target`` is left as it was.
    """
    target = Path(target)
    folder = Path(os_path(target.parent))
    folder.mkdir(parents=True, exist_ok=True)
    from common import leftovers

    while True:
        tmp = folder / f".~{target.stem[:40]}-{os.urandom(6).hex()}{target.suffix}.part"
        # The note first, then the file: a process killed at any moment leaves no temporary file without its note
        # (the next start removes it and names the target that was not written).
        note = leftovers.begin(tmp, target)
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
        except FileExistsError:
            leftovers.end(note)
            continue
        except BaseException:
            leftovers.end(note)
            raise
        os.close(fd)
        break
    try:
        yield tmp
        _fsync(tmp)
        os.chmod(tmp, mode)  # mkstemp makes the file private; an exported return is meant to be shared
        os.replace(tmp, os_path(target))
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    finally:
        leftovers.end(note)


def write_bytes_atomic(target: Path, data: bytes, mode: int = 0o644) -> None:
    with atomic_path(target, mode) as tmp:
        tmp.write_bytes(data)


def write_text_atomic(target: Path, text: str, encoding: str = "utf-8") -> None:
    write_bytes_atomic(target, text.encode(encoding))


_REASONS = {
    errno.EACCES: "没有读写权限（文件或文件夹是否只读，或文件正在Excel或WPS中打开？）",
    errno.EPERM: "没有读写权限（文件或文件夹是否只读，或文件正在Excel或WPS中打开？）",
    errno.EROFS: "磁盘或U盘是只读的",
    errno.ENOSPC: "磁盘或U盘已满",
    errno.EEXIST: "已有同名的文件",
    errno.ENOTDIR: "路径中有一项是文件而不是文件夹",
    errno.EISDIR: "这是一个文件夹，不是文件",
    errno.ENOENT: "找不到文件或文件夹",
    errno.EIO: "读写出错（U盘是否已拔出？）",
}


# Windows error codes whose errno is missing or too vague (Python maps many of them to EINVAL or EACCES).
_WINDOWS_REASONS = {
    5: "没有读写权限（文件或文件夹是否只读，或文件正在Excel或WPS中打开？）",  # ERROR_ACCESS_DENIED
    32: "文件正在被其他程序使用（是否在Excel或WPS中打开？请先关闭它）",  # ERROR_SHARING_VIOLATION
    33: "文件的一部分被其他程序锁定（是否在Excel或WPS中打开？请先关闭它）",  # ERROR_LOCK_VIOLATION
    19: "磁盘或U盘有写保护",  # ERROR_WRITE_PROTECT
    21: "设备未就绪（U盘是否已拔出？）",  # ERROR_NOT_READY
    15: "找不到该盘符（U盘是否已拔出？）",  # ERROR_INVALID_DRIVE
    433: "设备不存在（U盘是否已拔出？）",  # ERROR_NO_SUCH_DEVICE
    1167: "设备已断开（U盘是否已拔出？）",  # ERROR_DEVICE_NOT_CONNECTED
    23: "读写出错（U盘或磁盘可能已损坏或已拔出）",  # ERROR_CRC
    31: "设备出错（U盘是否已拔出？）",  # ERROR_GEN_FAILURE
    112: "磁盘或U盘已满",  # ERROR_DISK_FULL
    39: "磁盘或U盘已满",  # ERROR_HANDLE_DISK_FULL
    206: "文件路径太长，请换一个层级较浅的文件夹",  # ERROR_FILENAME_EXCED_RANGE
    3: "找不到文件夹（路径是否正确，U盘是否已拔出？）",  # ERROR_PATH_NOT_FOUND
    2: "找不到文件或文件夹",  # ERROR_FILE_NOT_FOUND
    123: "文件名或文件夹名中有不允许的字符",  # ERROR_INVALID_NAME
    183: "已有同名的文件",  # ERROR_ALREADY_EXISTS
    80: "已有同名的文件",  # ERROR_FILE_EXISTS
}


def os_reason(exc: OSError) -> str:
    """Why a file operation failed, in Chinese where the cause is a common one."""
    winerror = getattr(exc, "winerror", None)
    if winerror in _WINDOWS_REASONS:
        return _WINDOWS_REASONS[winerror]
    return _REASONS.get(exc.errno or 0) or str(exc.strerror or exc)


def os_error_text(exc: OSError) -> str:
    """A Chinese sentence for a failed file operation, naming the file (or, for a temporary file, its folder).

    Notes added on the way up (``exc.add_note``: what the failure means for the user's work) follow it.
    """
    reason = os_reason(exc)
    name = str(exc.filename2 or exc.filename or "")  # filename2: the target of a failed rename (open in Excel)
    if name:
        if name.startswith("\\\\?\\"):  # the extended form of a long Windows path: show it as typed
            name = name[4:]
        path = Path(name)
        if path.name.startswith(".~") and path.name.endswith(".part"):
            text = f"无法写入文件夹“{path.parent}”：{reason}"
        else:
            text = f"无法读写“{name}”：{reason}"
    else:
        text = f"读写文件出错：{reason}"
    notes = [str(note) for note in getattr(exc, "__notes__", ())]
    return "\n".join([text, *notes])
