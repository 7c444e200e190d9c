"""Stores at three levels with keys, and definition files, for the tests of signed definitions (报表制度)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from signing_support import OTHER_PASSPHRASE, PASSPHRASE, make_key, setup_unit

from models.db import Store, open_store

PROVINCE_PASSPHRASE = "Dianchi-湖畔-7391"


_TEMPLATES: dict[tuple[str, str], Path] = {}


def _template(code: str, passphrase: str) -> Path:
    """A data folder of unit ``code`` with a key, made once per test run (creating a key takes about a second)."""
    key = (code, passphrase)
    if key not in _TEMPLATES:
        import atexit
        import shutil
        import tempfile

        root = Path(tempfile.mkdtemp(prefix="changai-unit-"))
        atexit.register(shutil.rmtree, root, ignore_errors=True)
        store = open_store(root)
        try:
            setup_unit(store, code)
            make_key(store, passphrase)
        finally:
            store.close()
        _TEMPLATES[key] = root
    return _TEMPLATES[key]


def unit_store(folder: Path, code: str, passphrase: str | None = None, *, fresh: bool = False) -> Store:
    """A store set up as unit ``code``, with a key when ``passphrase`` is given: a copy of the same key for the
    same unit and passphrase, unless ``fresh`` (another key, e.g. an impostor's)."""
    if passphrase is not None and not fresh:
        import shutil

        shutil.copytree(_template(code, passphrase), folder, dirs_exist_ok=True)
        return open_store(folder)
    folder.mkdir(parents=True, exist_ok=True)
    store = open_store(folder)
    setup_unit(store, code)
    if passphrase is not None:
        make_key(store, passphrase)
    return store


def province_store(folder: Path, *, fresh: bool = False) -> Store:
    return unit_store(folder, "530000", PROVINCE_PASSPHRASE, fresh=fresh)


def definition_bytes(version: int = 2, year_from: int = 2026, year_to: int = 2030, **changes: Any) -> bytes:
    """A definition file derived from the shipped one (so it follows whatever schema the program checks)."""
    from forms.definition import shipped_definition

    data = json.loads(shipped_definition().raw.decode("utf-8"))
    data.update(version=version, year_from=year_from, year_to=year_to, **changes)
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def signer_of(store: Store, passphrase: str = PROVINCE_PASSPHRASE):  # type: ignore[no-untyped-def]
    from models.signing.provider import FileKeySigner

    return FileKeySigner.open(store, passphrase)


def signed_definition(province: Store, raw: bytes | None = None) -> bytes:
    from models.definition_signing import sign_definition

    return sign_definition(province, raw if raw is not None else definition_bytes(), signer_of(province),
                           source="test.json")


def export_certificate(store: Store, folder: Path) -> tuple[Path, str]:
    """(certificate file, fingerprint) of the store's active key."""
    from models.signing.keys import active_key
    from models.signing.register_form import export_registration

    files = export_registration(store, folder)
    key = active_key(store)
    assert key is not None
    return files.certificate, key.fingerprint


__all__ = ["OTHER_PASSPHRASE", "PASSPHRASE", "PROVINCE_PASSPHRASE", "definition_bytes", "export_certificate",
           "province_store", "signed_definition", "signer_of", "unit_store"]
