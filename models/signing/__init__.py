"""Signed returns: the unit's key and certificate, signing, verification and the registry of subordinates.

Modules:

- ``keys``: create the unit's ECDSA P-256 key pair and self-signed certificate, keep the private key
  encrypted under a passphrase in the data folder's ``keys/``, and the key history.
- ``provider``: the :class:`~models.signing.provider.Signer` protocol (pluggable: a file key today, a seal
  device later) and the file-based implementation.
- ``payload``: sign and verify canonical bytes (the machine-readable return inside the Excel workbook).
- ``pdf``: PAdES B-B signature with a visible box on a finished PDF, and its verification.
- ``trust``: register, list, replace and revoke subordinate units' certificates; who counts as registered.
- ``register_form``: the one-page 公钥登记表 and the certificate file handed to the superior unit.

This package module stays light (no cryptography/pyHanko import) so the GUI can import it at start-up. Importing
it keeps pyHanko's network clients out (``offline``: no aiohttp in this program).
"""

from models.signing import offline
from models.signing.common import (
    MALFORMED,
    MIN_PASSPHRASE_LENGTH,
    STATUS_LABELS,
    TAMPERED,
    UNREGISTERED,
    UNSIGNED,
    VALID,
    SigningError,
    Verdict,
    data_digest,
    group_hex,
)

offline.install()

__all__ = [
    "MALFORMED",
    "MIN_PASSPHRASE_LENGTH",
    "STATUS_LABELS",
    "TAMPERED",
    "UNREGISTERED",
    "UNSIGNED",
    "VALID",
    "SigningError",
    "Verdict",
    "data_digest",
    "group_hex",
]
