"""Files that an interrupted write (export, consolidation, backup …) never finished.

:func:`common.atomic_file.atomic_path` writes to ``.~name-XXXX.suffix.part`` beside the target and
renames it when done. Before the temporary file exists and until the write ends either way, a small note in
the data folder's ``pending/`` says which temporary file belongs to which target. A note still there at the
next start means the program was killed or the power went: :func:`clean_up` removes the
temporary file and names the file that was not written, so the user can make it again.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path

PENDING_FOLDER = "pending"

# The open data folder (set by models.db.open_store; a worker thread's own connection sets the same folder,
# so closing a store leaves it set). Notes go there only while the folder exists.
_journal_dir: Path | None = None


def set_data_dir(folder: Path | None) -> None:
    global _journal_dir
    _journal_dir = folder



def begin(tmp: Path, target: Path) -> Path | None:
    """Note that ``tmp`` is being written for ``target``; the note's path (None when there is no data folder)."""
    if _journal_dir is None or not _journal_dir.is_dir():
        return None
    import json  # here, not at import: every start opens the store, which imports this module

    note = _journal_dir / PENDING_FOLDER / f"{os.urandom(16).hex()}.json"
    try:
        note.parent.mkdir(exist_ok=True)
        note.write_text(json.dumps({"tmp": str(tmp), "target": str(target), "pid": os.getpid()},
                                   ensure_ascii=False), encoding="utf-8")
    except OSError:  # a read-only data folder must not stop an export to a USB stick
        return None
    return note


def end(note: Path | None) -> None:
    if note is not None:
        with contextlib.suppress(OSError):
            note.unlink()


STRAY_AGE_SECONDS = 600  # a .part file without a note is left alone this long (another process may own it)


def _older_than(path: Path, seconds: float) -> bool:
    try:
        return time.time() - path.stat().st_mtime > seconds
    except OSError:
        return False


def _alive(pid: int) -> bool:
    """Whether process ``pid`` (not this one) is running."""
    if pid <= 0 or pid == os.getpid():
        return False
    if sys.platform == "win32":
        import ctypes

        kernel = ctypes.windll.kernel32  # type: ignore[attr-defined,unused-ignore]
        kernel.OpenProcess.restype = ctypes.c_void_p  # a HANDLE is pointer-sized on 64-bit Windows
        kernel.GetExitCodeProcess.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_ulong)]
        kernel.CloseHandle.argtypes = [ctypes.c_void_p]
        handle = kernel.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        try:
            kernel.GetExitCodeProcess(handle, ctypes.byref(code))
        finally:
            kernel.CloseHandle(handle)
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def _is_part(path: Path) -> bool:
    return path.name.startswith(".~") and path.name.endswith(".part")


def clean_up(data_dir: Path) -> list[Path]:
    """Remove what interrupted writes left behind; the target files that were therefore not written.

    Looks at the notes in ``pending/`` (exports anywhere, e.g. on a USB stick) and at stray
    ``.~….part`` files in the data folder, its ``keys/`` and ``snapshots/``.
    """
    import json

    not_written: list[Path] = []
    pending = data_dir / PENDING_FOLDER
    if pending.is_dir():
        for note in sorted(pending.glob("*.json")):
            try:
                entry = json.loads(note.read_text(encoding="utf-8"))
                tmp, target = Path(entry["tmp"]), Path(entry["target"])
            except (OSError, ValueError, KeyError, TypeError):
                end(note)
                continue
            if _alive(int(entry.get("pid") or 0)):  # another window of the program is writing it right now
                continue
            if _is_part(tmp):
                try:
                    tmp.unlink()
                    not_written.append(target)
                except FileNotFoundError:
                    not_written.append(target)
                except OSError:  # the stick is not plugged in: try again next time
                    continue
            end(note)
    for folder in (data_dir, data_dir / "keys", data_dir / "snapshots"):
        if folder.is_dir():
            for path in folder.iterdir():
                if _is_part(path) and path.is_file() and _older_than(path, STRAY_AGE_SECONDS):
                    with contextlib.suppress(OSError):
                        path.unlink()
                        name = path.name[2:-5]  # .~store-abc123.zip.part → store-abc123.zip
                        stem, _sep, rest = name.rpartition("-")
                        suffix = os.path.splitext(rest)[1]
                        guess = folder / f"{stem}{suffix}" if stem else folder / name
                        if guess not in not_written:
                            not_written.append(guess)
    return not_written


def notice(not_written: list[Path]) -> str:
    """What to tell the user, in Chinese ("" when nothing was left behind)."""
    if not not_written:
        return ""
    lines = "\n".join(f"· {p}" for p in not_written[:20])
    more = f"\n……共{len(not_written)}个" if len(not_written) > 20 else ""
    return ("上次程序在写文件时被中断（断电、强制关闭或拔出U盘），以下文件没有写成，"
            f"未完成的临时文件已删除：\n{lines}{more}\n如仍需要，请重新导出或重新备份。")
