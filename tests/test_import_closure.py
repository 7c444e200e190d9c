"""Commands load what they use and nothing else (not timed: the modules loaded are what makes a command slow).

Each command runs as a user runs it, in a fresh process (``main.py`` with its arguments); afterwards the process
reports which modules it had loaded. The figures behind these limits are in ``bench/README.md``
(``bench/bench_commands.py``): pyHanko's network clients cost a tenth of a second per signed export or
verification, Qt and the Excel/PDF writers more than a whole ``status``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import copy_of

from models.db import Store
from models.signing.offline import STUBBED

ROOT = Path(__file__).resolve().parent.parent
MARKER = "IMPORTED-MODULES:"
# Run main.py as ``python main.py …`` does, then report the modules loaded (on stderr, after the command's output).
RUNNER = (
    "import json, runpy, sys\n"
    "sys.argv = sys.argv[1:]\n"
    "sys.path.insert(0, {root!r})\n"
    "code = 0\n"
    "try:\n"
    "    runpy.run_path(sys.argv[0], run_name='__main__')\n"
    "except SystemExit as exc:\n"
    "    code = exc.code or 0\n"
    "print({marker!r} + json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
    "sys.exit(code)\n"
)

NETWORK = {"aiohttp", "requests", "urllib3", "yarl", "multidict", "aiohappyeyeballs", "http.client"}
QT = {"PySide6", "shiboken6"}
WRITERS = {"reportlab", "xlsxwriter", "openpyxl", "fontTools", "uharfbuzz", "PIL"}
SIGNING = {"pyhanko", "pyhanko_certvalidator", "cryptography", "asn1crypto", "bcrypt"}


def loaded_by(data_dir: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    script = RUNNER.format(root=str(ROOT), marker=MARKER)
    proc = subprocess.run([sys.executable, "-c", script, str(ROOT / "main.py"), "--data-dir", str(data_dir), *args],
                          capture_output=True, cwd=ROOT, timeout=120, stdin=subprocess.DEVNULL,
                          encoding="utf-8", errors="replace")
    lines = [line for line in proc.stderr.splitlines() if line.startswith(MARKER)]
    assert lines, proc.stderr
    return proc, set(json.loads(lines[-1][len(MARKER):]))


OFFLINE_STAND_INS = set(STUBBED)  # names in sys.modules, not pyHanko's code (models.signing.offline)


# the reader of the shipped reference lists (民族, 政治面貌 …, the divisions): only a command that reads one loads it
READ_LISTS = {"csv"}


def present(modules: set[str], packages: set[str]) -> list[str]:
    """The names of ``packages`` (top-level or dotted) that are loaded, themselves or any module under them."""
    return sorted(p for p in packages if any(m == p or m.startswith(p + ".") for m in modules))


def _build_exported(folder: Path) -> None:
    """The demo county with a key, its 2025 return exported and signed by the command (in ``上报 U盘``), and the
    modules that export loaded (``modules.json``)."""
    from conftest import _build_demo

    from tests.signing_support import PASSPHRASE, make_key

    data = folder / "数据 文件夹"
    _build_demo(data)
    from models.db import open_store

    store = open_store(data)
    try:
        make_key(store)
    finally:
        store.close()
    secret = folder / "口令.txt"
    secret.write_text(PASSPHRASE + "\n", encoding="utf-8")
    proc, modules = loaded_by(data, "export", "--period", "2025", "--out", str(folder / "上报 U盘"),
                              "--passphrase-file", str(secret))
    assert proc.returncode == 0, proc.stderr
    assert "已用本单位密钥签名" in proc.stdout
    (folder / "modules.json").write_text(json.dumps(sorted(modules)), encoding="utf-8")


@pytest.fixture
def exported(data_dir: Path, tmp_path: Path, prebuilt: Any) -> tuple[Path, set[str]]:
    """A copy of the demo county with a key whose 2025 return the command exported and signed (built once per
    session): (the .xlsx, the modules the export loaded). ``data_dir`` holds the copy of the data folder."""
    built = prebuilt("import_closure_exported", _build_exported)
    copy_of(built / "数据 文件夹", data_dir)
    out = copy_of(built / "上报 U盘", tmp_path / "上报 U盘")
    return out / "530821_2025_v1.xlsx", set(json.loads((built / "modules.json").read_text(encoding="utf-8")))


def test_status_loads_no_qt_no_writers_no_signing(demo_store: Store, data_dir: Path) -> None:
    proc, modules = loaded_by(data_dir, "status", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["unit"]["code"] == "530821"
    assert present(modules, QT | WRITERS | SIGNING | NETWORK | {"sqlite_utils", "python_calamine"}) == []
    assert present(modules, READ_LISTS) == []


def test_signed_export_loads_no_pyhanko_and_no_network(exported: tuple[Path, set[str]]) -> None:
    """The program signs by itself (models.signing.cms_sign, models.signing.pdf): pyHanko only reads and verifies."""
    _workbook, modules = exported
    assert {"models.signing.cms_sign", "xlsxwriter", "reportlab"} <= modules  # it did sign and write
    assert present(modules - OFFLINE_STAND_INS, {"pyhanko", "pyhanko_certvalidator", "asyncio", "fontTools",
                                                 "uharfbuzz"}) == []
    assert present(modules, NETWORK | QT) == []
    # the key is checked against its certificate, and the certificate embedded, with asn1crypto (cms_sign loads
    # it anyway): cryptography's x509 module is not imported (about 30 ms)
    assert present(modules, {"cryptography.x509"}) == []


def test_unsigned_export_loads_no_signing_and_no_network(exported: tuple[Path, set[str]], data_dir: Path,
                                                         tmp_path: Path) -> None:
    proc, modules = loaded_by(data_dir, "export", "--period", "2025", "--version", "1", "--no-sign",
                              "--out", str(tmp_path / "未签名"))
    assert proc.returncode == 0, proc.stderr
    # reportlab writes the PDF/A itself (models.pdfa): no pyHanko, no certificate validator, no asyncio
    assert present(modules - OFFLINE_STAND_INS, {"pyhanko", "pyhanko_certvalidator", "asyncio"}) == []
    assert present(modules, NETWORK | QT) == []
    # nor the modules of signing at all, nor the board of subordinates' returns (a county has none)
    assert present(modules, {"models.signing", "cryptography", "asn1crypto", "models.board", "models.receiving"}) == []
    assert present(modules, READ_LISTS) == []
    # the same files as an export in a process that has the whole validator loaded (this one)
    import pyhanko_certvalidator  # noqa: F401

    from forms.periods import Period
    from models import export
    from models.db import open_store

    store = open_store(data_dir)
    try:
        again = export.export_return(store, Period(2025), tmp_path / "全部载入", version=1)
    finally:
        store.close()
    for path in again:
        assert path.read_bytes() == (tmp_path / "未签名" / path.name).read_bytes(), path.name


def test_verify_loads_no_writers_no_qt_no_network(exported: tuple[Path, set[str]], data_dir: Path) -> None:
    workbook, _modules = exported
    proc, modules = loaded_by(data_dir, "verify", str(workbook))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "验证通过" in proc.stdout
    assert present(modules, NETWORK | QT | WRITERS) == []
    # a workbook's detached CMS signature is checked with asn1crypto and cryptography (models.signing.cms_check)
    assert present(modules - OFFLINE_STAND_INS, {"pyhanko", "pyhanko_certvalidator", "asyncio"}) == []
    # a sound workbook is checked without an XML parser (its parts are scanned, its cells read by calamine; the
    # document properties and the sheets' names are parsed only when a reason needs them)
    assert present(modules, {"defusedxml", "xml.etree", "lxml"}) == []
    # the signer's certificate is read with asn1crypto, which the signature check loads anyway (x509: 75 ms)
    assert present(modules, {"cryptography.x509"}) == []
    # and its public key is built from its point: cryptography's serialization package (its SSH formats, 15 ms) is
    # for other keys, as is the module of Ed448 keys
    assert present(modules, {"cryptography.hazmat.primitives.serialization",
                             "cryptography.hazmat.primitives.asymmetric.ed448"}) == []
    assert present(modules, READ_LISTS) == []


def test_the_offline_stand_ins_refuse_to_be_used() -> None:
    """In a fresh process (in this one pyHanko may have been imported before models.signing by another test)."""
    script = (
        "import models.signing\n"
        "from models.signing.offline import OfflineError\n"
        "from pyhanko.sign.timestamps import HTTPTimeStamper\n"
        "from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend\n"
        "import sys\n"
        "for cls in (HTTPTimeStamper, AIOHttpFetcherBackend):\n"
        "    try:\n"
        "        cls('http://tsa.example')\n"
        "    except OfflineError as exc:\n"
        "        print(cls.__name__, exc)\n"
        "print('aiohttp' in sys.modules)\n"
    )
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}  # the Chinese message whatever the console's code page
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, cwd=ROOT, timeout=120, env=env,
                          encoding="utf-8", errors="replace")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("HTTPTimeStamper ") and "离线" in lines[0]
    assert lines[1].startswith("AIOHttpFetcherBackend ") and "离线" in lines[1]
    assert lines[2] == "False"


def test_a_command_builds_its_parser_once(demo_store: Store, data_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """main.py hands its parser to cli.run (it is built once), and a command loads only its own module."""
    import cli
    import main

    built: list[object] = []
    real = cli.build_parser

    def counting(argv: list[str] | None = None) -> object:
        built.append(1)
        return real(argv)

    monkeypatch.setattr(cli, "build_parser", counting)
    assert main.main(["--data-dir", str(data_dir), "status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["unit"]["code"] == "530821"
    assert len(built) == 1
    assert "cli.basic" in sys.modules


def test_a_deferred_package_init_runs_when_a_name_of_it_is_needed() -> None:
    """models.narrow_imports, in a fresh process: submodules import without the package __init__; the first name
    the __init__ defines runs it, and the package is then the ordinary one."""
    script = (
        "import sys\n"
        "from models.narrow_imports import defer_package_init, package_initialised\n"
        "defer_package_init('pyhanko_certvalidator')\n"
        "import pyhanko_certvalidator.util\n"
        "print(package_initialised('pyhanko_certvalidator'), 'pyhanko_certvalidator.context' in sys.modules,"
        " 'asyncio' in sys.modules)\n"
        "from pyhanko_certvalidator import ValidationContext\n"
        "import pyhanko_certvalidator\n"
        "print(package_initialised('pyhanko_certvalidator'), ValidationContext.__module__,"
        " pyhanko_certvalidator.ValidationContext is ValidationContext)\n"
        "from pyhanko_certvalidator import errors\n"
        "print(errors.__name__)\n"
        "try:\n"
        "    pyhanko_certvalidator.no_such_name\n"
        "except AttributeError:\n"
        "    print('AttributeError')\n"
        "defer_package_init('pyhanko_certvalidator')\n"
        "print(sys.modules['pyhanko_certvalidator'] is pyhanko_certvalidator)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, cwd=ROOT, timeout=120,
                          encoding="utf-8", errors="replace")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "False False False",
        "True pyhanko_certvalidator.context True",
        "pyhanko_certvalidator.errors",
        "AttributeError",
        "True",
    ]


def test_a_signed_export_warms_up_while_the_key_opens(demo_store: Store, data_dir: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """bcrypt-pbkdf leaves the interpreter free while it opens the key: the command imports the writers and the
    signing modules and loads the font meanwhile, in a thread that has started before the key is opened and has
    ended before anything is written."""
    import threading

    import main
    from models import export
    from models.signing.provider import FileKeySigner
    from tests.signing_support import PASSPHRASE, make_key

    make_key(demo_store)
    secret = tmp_path / "口令.txt"
    secret.write_text(PASSPHRASE + "\n", encoding="utf-8")
    events: list[str] = []
    importing = threading.Event()
    key_opened = threading.Event()

    def imports(*, signing: bool = False) -> None:
        assert signing
        events.append(f"imports in {threading.current_thread().name}")
        importing.set()
        assert key_opened.wait(10)  # still going while the key opens
        events.append("imports done")

    real_open = FileKeySigner.open.__func__  # type: ignore[attr-defined]

    def opening(cls: type[FileKeySigner], store: Store, passphrase: str) -> FileKeySigner:
        assert importing.wait(10)
        events.append("key opens")
        try:
            return real_open(cls, store, passphrase)  # type: ignore[no-any-return]
        finally:
            key_opened.set()

    monkeypatch.setattr(export, "warm_up", imports)
    monkeypatch.setattr(FileKeySigner, "open", classmethod(opening))
    code = main.main(["--data-dir", str(data_dir), "export", "--period", "2025", "--passphrase-file", str(secret),
                      "--out", str(tmp_path / "出")])
    assert code == 0, capsys.readouterr().err
    assert events == ["imports in export-warm-up", "key opens", "imports done"]
    assert not [t for t in threading.enumerate() if t.name == "export-warm-up"]
    assert (tmp_path / "出" / "530821_2025_v1.pdf").is_file()


def test_signing_after_a_verification_in_one_process(exported: tuple[Path, set[str]], data_dir: Path,
                                                     tmp_path: Path) -> None:
    """As in the program's window: a verification first (pyHanko's packages deferred), then a signed export and the
    verification of its PDF in the same process: the deferred packages are completed when the signer needs them."""
    from tests.signing_support import PASSPHRASE

    workbook, _modules = exported
    secret = tmp_path / "口令2.txt"
    secret.write_text(PASSPHRASE + "\n", encoding="utf-8")
    out = tmp_path / "再次"
    script = (
        "import sys\n"
        "from cli import run\n"
        "d = sys.argv[1]\n"
        "codes = [run(['--data-dir', d, 'verify', sys.argv[2]])]\n"
        "from models.narrow_imports import package_initialised\n"
        "print('deferred', not package_initialised('pyhanko.sign.signers'))\n"
        "codes.append(run(['--data-dir', d, 'export', '--period', '2025', '--version', '1', '--passphrase-file',"
        " sys.argv[3], '--out', sys.argv[4]]))\n"
        "codes.append(run(['--data-dir', d, 'verify', sys.argv[4] + '/530821_2025_v1.pdf']))\n"
        "from pyhanko.sign import SimpleSigner, signers\n"
        "print('codes', codes, signers.PdfSigner.__name__, SimpleSigner.__name__)\n"
    )
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}  # cli.run without main.py: the console's code page otherwise
    proc = subprocess.run([sys.executable, "-c", script, str(data_dir), str(workbook), str(secret), str(out)],
                          capture_output=True, cwd=ROOT, timeout=120, env=env, encoding="utf-8", errors="replace")
    assert proc.returncode == 0, proc.stderr
    assert "deferred True" in proc.stdout
    assert "codes [0, 0, 0] PdfSigner SimpleSigner" in proc.stdout
    assert proc.stdout.count("验证通过") == 2
