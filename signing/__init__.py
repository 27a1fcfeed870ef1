"""eoffice's standalone PAdES signing library (Decree 30/2020 appearances, dev PKI).

Shaped like pyHanko: thin functions over swappable strategies (key stores, time-stamp
sources, revocation sources), frozen-dataclass inputs and outputs, its own errors.
It never imports Flask or eoffice. Modules:

* :mod:`signing.pki` — development PKI (root → issuing CA → person/body certificates,
  CRL, OCSP, RFC 3161 TSA);
* :mod:`signing.keys` — PKCS#12 (cached per process) and PKCS#11 signer keys;
* :mod:`signing.appearance` — person / body / attachment / e-copy appearances;
* :mod:`signing.sign` — prepare, certify, fill number, seal, external signing;
* :mod:`signing.validate` — one report per signature, JSON-ready;
* :mod:`signing.timestamps`, :mod:`signing.revocation` — the service strategies.
"""

from . import _deferred  # noqa: F401 — first: defers pyHanko's aiohttp modules
from .errors import SigningLibraryError
from .keys import Pkcs11TokenSpec, SignerKey, load_pkcs12, open_pkcs11
from .pki import DevPKI
from .revocation import EmbeddedOnly, HttpFetching, InProcessFetching
from .sign import (
    Box,
    DraftLayout,
    ExternalSigningRequest,
    PadesLevel,
    SignOptions,
    SignResult,
    add_document_timestamp,
    certify_draft,
    complete_external,
    fill_number,
    prepare_draft,
    prepare_external,
    seal_document,
    sign_attachment,
    sign_copy,
    sign_external_request,
    sign_pdf,
)
from .timestamps import HttpTsa, InProcessTsa
from .validate import SignatureReport, ValidationReport, ValidationSettings, validate_pdf

__all__ = [
    "Box",
    "DevPKI",
    "DraftLayout",
    "EmbeddedOnly",
    "ExternalSigningRequest",
    "HttpFetching",
    "HttpTsa",
    "InProcessFetching",
    "InProcessTsa",
    "PadesLevel",
    "Pkcs11TokenSpec",
    "SignOptions",
    "SignResult",
    "SignatureReport",
    "SignerKey",
    "SigningLibraryError",
    "ValidationReport",
    "ValidationSettings",
    "add_document_timestamp",
    "certify_draft",
    "complete_external",
    "fill_number",
    "load_pkcs12",
    "open_pkcs11",
    "prepare_draft",
    "prepare_external",
    "seal_document",
    "sign_attachment",
    "sign_copy",
    "sign_external_request",
    "sign_pdf",
    "validate_pdf",
]
