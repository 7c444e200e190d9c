"""The foundation's command line (setup, demo, status), run as a user runs it: a separate process."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from common.ids import check_id_number
from common.paths import STORE_FILE
from models.migrations import search_index_tables

ROOT = Path(__file__).resolve().parent.parent
CREDIT_CODE_BODY = "91530000MA6K1234Y"  # 17 characters; the check character is computed below


def run_cli(data_dir: Path | None, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the command line in this interpreter (``main.main``), as a user would type it.

    What the tests check — the commands, their output and exit codes — is the same core either way; a
    fresh interpreter per command costs a second or two. The entry point itself, the console encodings
    and a few exit codes are checked in a real process by :func:`run_cli_process`.
    """
    import main

    argv = [*(["--data-dir", str(data_dir)] if data_dir is not None else []), *args]
    saved_env, saved_cwd, saved_stdin = dict(os.environ), os.getcwd(), sys.stdin
    out, err = io.StringIO(), io.StringIO()
    os.environ.update(env or {})
    try:
        os.chdir(ROOT)
        sys.stdin = io.StringIO("")  # like DEVNULL: no terminal to type a passphrase on
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main.main(argv) if _has_command(argv) else _no_gui()
            except SystemExit as exc:  # argparse: --help, bad arguments
                code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    finally:
        sys.stdin = saved_stdin
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
    return subprocess.CompletedProcess(argv, code, out.getvalue(), err.getvalue())


def _has_command(argv: list[str]) -> bool:
    from cli import build_parser

    if {"-h", "--help"} & set(argv):
        return True
    with contextlib.redirect_stderr(io.StringIO()):
        try:
            args, _rest = build_parser().parse_known_args(argv)
        except SystemExit:
            return True  # main reports the bad arguments itself
    return getattr(args, "command", None) is not None


def _no_gui() -> int:
    raise AssertionError("without a sub-command main.py opens the windows: use run_cli_process")


def run_cli_process(data_dir: Path | None, *args: str, env: dict[str, str] | None = None,
                    ) -> subprocess.CompletedProcess[str]:
    """Run ``main.py`` in a fresh interpreter; stdout and stderr must be valid UTF-8."""
    command = [sys.executable, str(ROOT / "main.py")]
    if data_dir is not None:
        command += ["--data-dir", str(data_dir)]
    proc = subprocess.run([*command, *args], capture_output=True, cwd=ROOT, timeout=120, stdin=subprocess.DEVNULL,
                          env={**os.environ, **(env or {})}, check=False)
    stdout, stderr = proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")  # strict: raises on anything else
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)


def status(data_dir: Path) -> dict[str, Any]:
    proc = run_cli(data_dir, "status", "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def credit_code() -> str:
    from stdnum.cn import uscc

    return CREDIT_CODE_BODY + uscc.calc_check_digit(CREDIT_CODE_BODY)


def test_help_lists_the_commands_in_chinese() -> None:
    proc = run_cli_process(None, "--help")
    assert proc.returncode == 0
    for command in ("setup", "demo", "status", "--data-dir", "--self-test"):
        assert command in proc.stdout
    assert "设置本单位" in proc.stdout and "演示数据" in proc.stdout


def test_unknown_command_is_refused_in_chinese(data_dir: Path) -> None:
    proc = run_cli_process(data_dir, "setpu")
    assert proc.returncode == 2
    assert "错误" in proc.stderr and "无效的选项" in proc.stderr
    assert "choose from" not in proc.stderr and "（可选：'setup'" in proc.stderr  # every command listed, in Chinese


def test_setup_a_county_union(data_dir: Path) -> None:
    proc = run_cli(data_dir, "setup", "--unit-code", "５３０８２１", "--head", "李国华", "--phone", "0879－3231234")
    assert proc.returncode == 0, proc.stderr
    assert "宁洱哈尼族彝族自治县总工会" in proc.stdout and "530821" in proc.stdout
    assert (data_dir / STORE_FILE).is_file()
    data = status(data_dir)
    assert set(data) == {"unit", "counts"}
    assert {k: data["unit"][k] for k in ("code", "name", "level", "level_label", "parent_code")} == {
        "code": "530821", "name": "宁洱哈尼族彝族自治县总工会", "level": "county", "level_label": "县级",
        "parent_code": "530800"}
    assert data["counts"] == {"people": 0, "studios": 0, "trainings": 0, "competitions": 0, "innovation": 0,
                              "honours": 0}
    text = run_cli(data_dir, "status")
    assert text.returncode == 0
    assert "本单位：宁洱哈尼族彝族自治县总工会（530821，县级）" in text.stdout
    assert "人员：0" in text.stdout


def test_an_unknown_code_is_refused_and_named(data_dir: Path) -> None:
    proc = run_cli(data_dir, "setup", "--unit-code", "539999")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "539999" in proc.stderr and has_chinese(proc.stderr)
    assert "Traceback" not in proc.stderr
    assert status(data_dir)["unit"] is None


def test_setup_an_industry_union(data_dir: Path) -> None:
    code = credit_code()
    proc = run_cli(data_dir, "setup", "--industry", "--unit-code", code.lower(), "--unit-name", "云南电网有限责任公司工会")
    assert proc.returncode == 0, proc.stderr
    assert "云南电网有限责任公司工会" in proc.stdout
    data = status(data_dir)["unit"]
    assert (data["code"], data["level"], data["parent_code"]) == (code, "industry", "530000")

    wrong = CREDIT_CODE_BODY + ("0" if code[-1] != "0" else "1")
    proc = run_cli(data_dir, "setup", "--industry", "--unit-code", wrong, "--unit-name", "某某工会")
    assert proc.returncode == 2 and "统一社会信用代码" in proc.stderr
    proc = run_cli(data_dir, "setup", "--industry", "--unit-code", code)
    assert proc.returncode == 2 and "单位名称" in proc.stderr
    assert status(data_dir)["unit"]["name"] == "云南电网有限责任公司工会"  # the refused attempts changed nothing


def test_demo_needs_a_unit(data_dir: Path) -> None:
    proc = run_cli(data_dir, "demo")
    assert proc.returncode == 2
    assert "尚未设置本单位" in proc.stderr and "setup" in proc.stderr


def snapshot(data_dir: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, without time stamps (which record when the demo ran)."""
    conn = sqlite3.connect(data_dir / STORE_FILE)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                             "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '\\_%' ESCAPE '\\'")]
        out = {}
        for table in set(tables) - search_index_tables(conn):
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")
                       if r[1] not in ("created_at", "updated_at", "applied_at", "at")]
            out[table] = conn.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY rowid").fetchall()
        return out
    finally:
        conn.close()


def people_with_honours(data_dir: Path) -> list[dict[str, Any]]:
    conn = sqlite3.connect(data_dir / STORE_FILE)
    conn.row_factory = sqlite3.Row
    try:
        people = [dict(r) for r in conn.execute("SELECT * FROM people WHERE deleted_at IS NULL")]
        honours = Counter(r[0] for r in conn.execute("SELECT person_id FROM honours"))
        for person in people:
            person["honour_count"] = honours[person["id"]]
        return people
    finally:
        conn.close()


@pytest.fixture(scope="module")
def demo_dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """Three stores set up as 530821: two filled with seed 1, one with seed 2."""
    dirs = []
    for name, seed in (("a", 1), ("b", 1), ("c", 2)):
        folder = tmp_path_factory.mktemp(f"demo-{name}")
        assert run_cli(folder, "setup", "--unit-code", "530821").returncode == 0
        proc = run_cli(folder, "demo", "--seed", str(seed))
        assert proc.returncode == 0, proc.stderr
        assert "已为宁洱哈尼族彝族自治县总工会填入演示数据" in proc.stdout
        dirs.append(folder)
    return dirs[0], dirs[1], dirs[2]


def test_demo_is_deterministic(demo_dirs: tuple[Path, Path, Path]) -> None:
    first, second, other = (snapshot(d) for d in demo_dirs)
    assert first["people"] and first == second
    assert first["people"] != other["people"]


def test_demo_has_the_promised_amounts(demo_dirs: tuple[Path, Path, Path]) -> None:
    counts = status(demo_dirs[0])["counts"]
    assert 100 <= counts["people"] <= 140
    assert 15 <= counts["studios"] <= 25
    assert counts["trainings"] == 60
    assert counts["competitions"] == 15
    assert counts["honours"] > counts["people"]
    conn = sqlite3.connect(demo_dirs[0] / STORE_FILE)
    try:
        periods = {r[0] for r in conn.execute("SELECT period FROM innovation WHERE deleted_at IS NULL")}
    finally:
        conn.close()
    year = dt.date.today().year
    assert periods == {str(year - 2), str(year - 1)}


def test_demo_people_are_plausible(demo_dirs: tuple[Path, Path, Path]) -> None:
    people = people_with_honours(demo_dirs[0])
    for person in people:
        info = check_id_number(person["id_number"])
        assert info.region_code == "530821", person["id_number"]  # the unit's own division
        assert (info.sex, info.birth_date) == (person["sex"], person["birth_date"])
        assert person["honour_count"] >= 1
    assert len({p["id_number"] for p in people}) == len(people)
    assert sum(p["honour_count"] > 1 for p in people) >= 5
    minorities = Counter(p["ethnicity"] for p in people if p["ethnicity"] != "汉族")
    assert len(minorities) >= 4 and {"哈尼族", "彝族"} <= set(minorities)
    assert sum(minorities.values()) >= len(people) // 6
    assert all(has_chinese(p["name"]) for p in people)


def test_demo_refuses_a_store_with_records(demo_dirs: tuple[Path, Path, Path]) -> None:
    proc = run_cli(demo_dirs[0], "demo", "--seed", "1")
    assert proc.returncode == 2
    assert "已有记录" in proc.stderr


def test_output_is_utf8_whatever_the_console_encoding(demo_dirs: tuple[Path, Path, Path]) -> None:
    proc = run_cli_process(demo_dirs[0], "status", env={"PYTHONIOENCODING": "gbk", "LC_ALL": "C"})
    assert proc.returncode == 0
    assert "宁洱哈尼族彝族自治县总工会" in proc.stdout and "工作室：" in proc.stdout
    bad = run_cli_process(demo_dirs[0], "setup", "--unit-code", "12345", env={"PYTHONIOENCODING": "gbk"})
    assert bad.returncode == 2 and "12345" in bad.stderr and has_chinese(bad.stderr)


def test_each_command_module_registers_the_commands_listed_for_it() -> None:
    """cli.COMMAND_MODULES lets a command import only its module: the lists must be what the modules register."""
    import argparse
    import importlib

    import cli

    for name, commands in cli.COMMAND_MODULES.items():
        sub = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(name).register(sub)
        assert tuple(sub.choices) == commands, name


@pytest.mark.parametrize(("argv", "word"), [
    ([], None), (["--self-test"], None), (["--data-dir", "status"], None), (["--data", "export", "verify", "a.xlsx"], "verify"),
    (["--data-dir=D:\\数据 文件夹", "status", "--json"], "status"), (["-h"], None), (["expotr"], "expotr"),
    (["--self-test", "--data-dir", "x", "export", "--period", "2025"], "export")])
def test_the_command_word(argv: list[str], word: str | None) -> None:
    from cli import command_word

    assert command_word(argv) == word


def test_a_command_parser_knows_only_its_command_and_help_and_mistakes_know_all(
        capsys: pytest.CaptureFixture[str]) -> None:
    from cli import COMMAND_MODULES, build_parser

    every = {c for commands in COMMAND_MODULES.values() for c in commands}

    def choices(argv: list[str]) -> set[str]:
        parser = build_parser(argv)
        actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        return set(actions[0].choices) if actions else set()

    assert choices(["verify", "a.xlsx"]) == set(COMMAND_MODULES["cli.returns"])
    assert choices(["--data-dir", "x"]) == set()  # the window: no command module at all
    assert choices(["--help"]) == choices(["expotr"]) == choices([]) | every
    with pytest.raises(SystemExit):
        build_parser(["expotr"]).parse_args(["expotr"])
    assert "verify" in capsys.readouterr().err  # the mistake lists every command
