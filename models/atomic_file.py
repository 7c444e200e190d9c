"""Write files so that a pulled USB stick never leaves a half-written file behind."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(target: Path, mode: int = 0o644) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; rename it onto ``target`` on success.

    ``mode`` is the final file's permission (``0o600`` for a private key; ignored on Windows but for read-only).

    On any error the temporary file is removed and ``target`` is left as it was.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".~" + target.stem + "-", suffix=target.suffix + ".part",
                                    dir=str(target.parent))
    os.close(fd)
    tmp = Path(tmp_name)
    from models import leftovers

    note = leftovers.begin(tmp, target)  # found at the next start if this process dies mid-write
    try:
        yield tmp
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)  # mkstemp makes the file private; an exported return is meant to be shared
        os.replace(tmp, target)
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


def os_reason(exc: OSError) -> str:
    """Why a file operation failed, in Chinese where the cause is a common one."""
    return _REASONS.get(exc.errno or 0) or str(exc.strerror or exc)


def os_error_text(exc: OSError) -> str:
    """A Chinese sentence for a failed file operation, naming the file (or, for a temporary file, its folder)."""
    reason = os_reason(exc)
    name = str(exc.filename2 or exc.filename or "")  # filename2: the target of a failed rename (open in Excel)
    if name:
        path = Path(name)
        if path.name.startswith(".~") and path.name.endswith(".part"):
            return f"无法写入文件夹“{path.parent}”：{reason}"
        return f"无法读写“{name}”：{reason}"
    return f"读写文件出错：{reason}"
