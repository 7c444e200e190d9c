"""产改统计填报 — entry point.

``python main.py`` opens the application; ``python main.py [--data-dir DIR] COMMAND …`` runs the
same core from the command line (``python main.py --help`` lists the commands).
"""

from __future__ import annotations

import sys


def _configure_stdio() -> None:
    # Chinese output must not depend on the console's locale (GBK consoles on Windows).
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(encoding="utf-8", errors="replace")
            except (ValueError, OSError):
                pass


def _record_modules_at_exit(path: str) -> None:
    """Write the names of the modules loaded, one a line, to ``path`` when the program ends.

    For the check that the built program carries nothing it never imports (``build_spec/check_bundle.py``):
    set ``CHANGAI_RECORD_MODULES`` to a file name. Only module names are written, nothing else.
    """
    import atexit

    def record() -> None:
        try:
            with open(path, "a", encoding="utf-8") as fh:
                fh.write("".join(f"{name}\n" for name in sorted(sys.modules)))
        except OSError:
            pass

    atexit.register(record)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    _configure_stdio()
    import os

    if os.environ.get("CHANGAI_RECORD_MODULES"):
        _record_modules_at_exit(os.environ["CHANGAI_RECORD_MODULES"])
    from cli import build_parser, run

    parser = build_parser(argv)  # only the named sub-command's module (none for the window)
    args, _rest = parser.parse_known_args(argv)
    if getattr(args, "command", None) is None:
        from ui.app import run_gui

        return run_gui(data_dir=args.data_dir, self_test=args.self_test)
    return run(argv, parser)  # the parser once


if __name__ == "__main__":
    if "--multiprocessing-fork" in sys.argv:  # the built program started as a helper process (common.processes)
        import multiprocessing

        multiprocessing.freeze_support()  # runs the helper's work, then exits
    sys.exit(main())
