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


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    _configure_stdio()
    from cli import build_parser, run

    args, _rest = build_parser().parse_known_args(argv)
    if getattr(args, "command", None) is None:
        from ui.app import run_gui

        return run_gui(data_dir=args.data_dir, self_test=args.self_test)
    return run(argv)


if __name__ == "__main__":
    sys.exit(main())
