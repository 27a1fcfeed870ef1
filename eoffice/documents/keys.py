"""The installation's side of the PKI: the development CA, signer keys, verification.

``get_pki`` opens (creating once) the development PKI under ``PKI_DIR`` with its public
base URL ``PUBLIC_URL/pki``; the app serves it at ``/pki/`` (root.pem, CRL, OCSP, TSA).
Time stamps and revocation data come from it in process (no HTTP to ourselves), unless
``SIGNING_TSA_URL`` names an external TSA. A real installation adds the government and
national roots to ``TRUST_ROOTS_PEM``.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app

import signing
from eoffice.core.errors import Translatable, ValidationFailed
from eoffice.core.storage import file_store as _store
from eoffice.documents.models import SigningKey
from eoffice.extensions import db

DEMO_PIN = "123456"


def get_pki() -> signing.DevPKI:
    """The development PKI of this installation (cached per process)."""
    cache = current_app.extensions.setdefault("eoffice_pki", {})
    directory = current_app.config["PKI_DIR"]
    if directory not in cache:
        base_url = current_app.config["PUBLIC_URL"].rstrip("/") + "/pki"
        cache[directory] = signing.DevPKI.load_or_create(directory, base_url=base_url)
    return cache[directory]


def trust_roots() -> tuple[bytes, ...]:
    """PEM trust anchors: the dev root plus any configured ones."""
    extra = current_app.config.get("TRUST_ROOTS_PEM") or ()
    return (get_pki().root_pem(), *extra)


def timestamps() -> Any:
    """The time-stamp source for signing."""
    url = current_app.config.get("SIGNING_TSA_URL")
    if url:
        return signing.HttpTsa(url, timeout=current_app.config.get("SIGNING_TSA_TIMEOUT", 5.0))
    return signing.InProcessTsa(get_pki().timestamper())


def revocation() -> Any:
    """Where CRL/OCSP data comes from: the dev PKI in process, else HTTP."""
    if current_app.config.get("SIGNING_FETCH_HTTP"):
        return signing.HttpFetching()
    return signing.InProcessFetching(get_pki().route)


def validation_settings() -> signing.ValidationSettings:
    """What received and uploaded PDFs are checked against."""
    return signing.ValidationSettings(trust_roots=trust_roots(), revocation=revocation())


def verify_pdf(data: bytes) -> dict[str, Any]:
    """The validation report (DESIGN.md §6 shape); 422 for a file that is not a PDF.

    Inside :func:`report_cache`, the same bytes *object* (one attachment of one parsed
    packet) is validated once and every caller gets the same report (read it, do not
    change it). Equal bytes of another packet are validated again: each arrival is
    checked on its own.
    """
    cache = _REPORTS.get()
    if cache is not None and id(data) in cache and cache[id(data)][0] is data:
        cached = cache[id(data)][1]
        if isinstance(cached, ValidationFailed):
            raise ValidationFailed(cached.template, params=cached.params)
        return cached
    try:
        report = signing.validate_pdf(data, validation_settings()).to_dict()
    except signing.errors.PdfReadError as exc:
        failure = ValidationFailed("Tệp không phải là PDF đọc được: %(reason)s", params={
            "reason": Translatable(exc.message_vi, en=exc.message_en)})
        if cache is not None:
            cache[id(data)] = (data, failure)
        raise failure from None
    if cache is not None:
        cache[id(data)] = (data, report)  # the bytes are kept: their id is not reused
    return report


def prime_report(data: bytes, report: dict[str, Any] | ValidationFailed) -> None:
    """Inside :func:`report_cache`: the outcome of validating ``data`` elsewhere (a
    validation process), handed out to this block's :func:`verify_pdf` calls for it."""
    cache = _REPORTS.get()
    if cache is not None:
        cache[id(data)] = (data, report)


_REPORTS: ContextVar[dict[int, tuple[bytes, dict[str, Any] | ValidationFailed]] | None] = \
    ContextVar("eoffice_pdf_reports", default=None)


@contextmanager
def report_cache() -> Iterator[None]:
    """Within the block, :func:`verify_pdf` validates each attachment object once.

    The hub poll validates a batch's PDFs before its transaction opens; the receiver then
    gets the same reports without holding database locks while validating.
    """
    token = _REPORTS.set({})
    try:
        yield
    finally:
        _REPORTS.reset(token)


def body_key_pin() -> str:
    """The PIN protecting body keys (config, else a random one kept beside the PKI)."""
    configured = current_app.config.get("BODY_KEY_PIN")
    if configured:
        return configured
    path = Path(current_app.config["PKI_DIR"]) / "body-key-pin"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(24))
        path.chmod(0o600)
    return path.read_text().strip()


def _record(kind: str, owner_id: int, p12: bytes, pin: str) -> SigningKey:
    key = signing.load_pkcs12(p12, pin)
    db.session.execute(sa.update(SigningKey).where(SigningKey.owner_kind == kind,
                                                   SigningKey.owner_id == owner_id)
                       .values(active=False))
    row = SigningKey(owner_kind=kind, owner_id=owner_id, p12_digest=_store().put(p12),
                     serial=str(key.serial_number), subject=key.subject_name,
                     not_after=key.not_after)
    db.session.add(row)
    db.session.flush()
    return row


def issue_person_key(user: Any, pin: str) -> SigningKey:
    """Issue a leader's certificate from the dev PKI, protected by ``pin``."""
    if not user.identity_number:
        raise ValidationFailed("Người ký cần có số CCCD để cấp chứng thư số.")
    p12 = get_pki().issue_person(user.full_name, user.identity_number,
                                 user.email or f"{user.username}@eoffice.local", pin,
                                 organization=user.org.name)
    return _record("user", user.id, p12, pin)


def issue_body_key(org: Any) -> SigningKey:
    """Issue a body's certificate (CN = body, O = parent body, L = locality)."""
    parent = org.parent.name if org.parent is not None else "Việt Nam"
    p12 = get_pki().issue_body(org.name, parent, org.locality or "Việt Nam", body_key_pin())
    return _record("org", org.id, p12, body_key_pin())


def active_key(kind: str, owner_id: int) -> SigningKey | None:
    """The owner's current key record."""
    return db.session.execute(
        sa.select(SigningKey).where(SigningKey.owner_kind == kind,
                                    SigningKey.owner_id == owner_id,
                                    SigningKey.active.is_(True))
        .order_by(SigningKey.id.desc())).scalars().first()


def load_signer_key(record: SigningKey, pin: str) -> signing.SignerKey:
    """Unlock a stored PKCS#12 (cached per process by the signing library)."""
    return signing.load_pkcs12(_store().get(record.p12_digest), pin)


def load_body_key(org: Any) -> signing.SignerKey:
    """The body's key (issued on first use)."""
    record = active_key("org", org.id) or issue_body_key(org)
    return load_signer_key(record, body_key_pin())
