"""Signer keys: PIN-protected PKCS#12 stores and PKCS#11 tokens.

A :class:`SignerKey` bundles a pyHanko ``Signer`` with the signer's certificate and
chain. PKCS#12 stores are parsed once and cached per process (keyed by a keyed hash
of the store and the PIN): stock ``SimpleSigner`` re-parses, and for RSA re-validates,
the private key at every signature (~70 ms of a ~94 ms signature), whereas
:class:`CachedKeySigner` keeps the parsed ``cryptography`` key object.

PKCS#11 objects are looked up by label after Unicode NFC normalisation, and the private
key is paired with its certificate through ``CKA_ID``: real Vietnamese tokens carry
labels such as ``"TRẦN NGỌC TÚ's Viettel-CA SHA2 Certificate"`` that a byte-exact label
search does not find (pyHanko issues #456/#457).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from asn1crypto import keys as asn1_keys
from asn1crypto import pkcs12 as asn1_pkcs12
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.sign.signers.pdf_cms import Signer, SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash, process_pss_params

from ._speedups import cached_attr_providers
from .errors import KeyNotFoundError, KeyStoreError, WrongPinError

_CACHE_SIZE = 64
_CACHE_SECRET = os.urandom(32)
_cache: OrderedDict[bytes, SignerKey] = OrderedDict()
_cache_lock = threading.Lock()


@dataclass(frozen=True)
class SignerKey:
    """A ready-to-use signing key with its certificate chain."""

    signer: Signer = field(repr=False)
    """The pyHanko signer (holds the key or the token session)."""

    certificate: asn1_x509.Certificate = field(repr=False)
    """The signer's certificate."""

    chain: tuple[asn1_x509.Certificate, ...] = field(repr=False)
    """Other certificates shipped with the key (issuing CA, root)."""

    source: Literal["pkcs12", "pkcs11"]
    """Where the key lives."""

    @property
    def subject_name(self) -> str:
        """The certificate's common name."""
        return str(self.certificate.subject.native.get("common_name", ""))

    @property
    def serial_number(self) -> int:
        """The certificate's serial number (what :meth:`signing.pki.DevPKI.revoke` takes)."""
        return int(self.certificate.serial_number)

    @property
    def not_after(self) -> datetime:
        """End of the certificate's validity."""
        return self.certificate["tbs_certificate"]["validity"]["not_after"].native

    @property
    def not_before(self) -> datetime:
        """Start of the certificate's validity."""
        return self.certificate["tbs_certificate"]["validity"]["not_before"].native

    def is_time_valid(self, moment: datetime | None = None) -> bool:
        """Whether the certificate is within its validity period at ``moment`` (now)."""
        when = moment or datetime.now(UTC)
        return self.not_before <= when <= self.not_after


class CachedKeySigner(SimpleSigner):
    """``SimpleSigner`` that keeps the parsed private key instead of re-loading it."""

    def __init__(
        self,
        *,
        private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
        signing_cert: asn1_x509.Certificate,
        cert_registry: SimpleCertificateStore,
        prefer_pss: bool = False,
    ) -> None:
        key_info = asn1_keys.PrivateKeyInfo.load(
            private_key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        super().__init__(
            signing_cert=signing_cert,
            signing_key=key_info,
            cert_registry=cert_registry,
            prefer_pss=prefer_pss,
        )
        self._private_key = private_key

    def _signed_attr_providers(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        """pyHanko's providers, with the signing-certificate-v2 value cached per key."""
        return cached_attr_providers(super()._signed_attr_providers(*args, **kwargs))

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        """Sign ``data`` with the cached key (RSA PKCS#1 v1.5, RSA-PSS or ECDSA)."""
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        algo = mechanism.signature_algo
        key = self._private_key
        if algo == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPrivateKey):
            return key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))
        if algo == "rsassa_pss" and isinstance(key, rsa.RSAPrivateKey):
            padding, hash_algo = process_pss_params(mechanism["parameters"])
            return key.sign(data, padding, hash_algo)
        if algo == "ecdsa" and isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(data, ec.ECDSA(get_pyca_cryptography_hash(digest_algorithm)))
        return super().sign_raw(data, digest_algorithm)


def _cache_key(data: bytes, pin: str, prefer_pss: bool) -> bytes:
    mac = hmac.new(_CACHE_SECRET, digestmod=hashlib.sha256)
    mac.update(hashlib.sha256(data).digest())
    mac.update(pin.encode("utf-8"))
    mac.update(b"pss" if prefer_pss else b"v15")
    return mac.digest()


def _to_asn1(cert: Any) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def load_pkcs12(data: bytes, pin: str, *, prefer_pss: bool = False) -> SignerKey:
    """Open a PIN-protected PKCS#12 store (cached per process); wrong PIN → WrongPinError."""
    key = _cache_key(data, pin, prefer_pss)
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None:
            _cache.move_to_end(key)
            return cached
    try:
        asn1_pkcs12.Pfx.load(data).native  # noqa: B018 — structure check only
    except (ValueError, TypeError) as exc:
        raise KeyStoreError(
            "Tệp kho khóa PKCS#12 bị hỏng hoặc không đúng định dạng",
            "The PKCS#12 key store is damaged or not a PKCS#12 file",
        ) from exc
    try:
        private_key, certificate, others = pkcs12.load_key_and_certificates(
            data, pin.encode("utf-8")
        )
    except ValueError as exc:
        raise WrongPinError() from exc
    if private_key is None:
        raise KeyNotFoundError(
            "Kho khóa PKCS#12 không chứa khóa bí mật",
            "The PKCS#12 store holds no private key",
        )
    if certificate is None:
        raise KeyNotFoundError(
            "Kho khóa PKCS#12 không chứa chứng thư số của khóa",
            "The PKCS#12 store holds no certificate for the key",
        )
    if not isinstance(private_key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise KeyStoreError(
            "Loại khóa không được hỗ trợ (chỉ RSA hoặc ECDSA)",
            "Unsupported key type (RSA or ECDSA only)",
        )
    cert = _to_asn1(certificate)
    chain = tuple(_to_asn1(item) for item in others)
    signer = CachedKeySigner(
        private_key=private_key,
        signing_cert=cert,
        cert_registry=SimpleCertificateStore.from_certs([cert, *chain]),
        prefer_pss=prefer_pss,
    )
    result = SignerKey(signer=signer, certificate=cert, chain=chain, source="pkcs12")
    with _cache_lock:
        _cache[key] = result
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return result


def clear_key_cache() -> None:
    """Forget every cached PKCS#12 key (e.g. after a certificate is replaced)."""
    with _cache_lock:
        _cache.clear()


def _normalise(label: str) -> str:
    return unicodedata.normalize("NFC", label).strip().casefold()


@dataclass(frozen=True)
class Pkcs11TokenSpec:
    """How to reach a key on a PKCS#11 token."""

    library: str
    """Path to the PKCS#11 module (e.g. ``/usr/lib/softhsm/libsofthsm2.so``)."""

    token_label: str | None = None
    """The token label; ``None`` takes the first token present."""

    key_label: str | None = None
    """Label of the private key or of its certificate; ``None`` when there is one key."""


@contextlib.contextmanager
def open_pkcs11(spec: Pkcs11TokenSpec, pin: str) -> Iterator[SignerKey]:
    """Log in to a token, find the key by (NFC-normalised) label, yield a SignerKey."""
    import pkcs11
    from pkcs11 import Attribute, ObjectClass
    from pkcs11 import exceptions as p11_errors
    from pyhanko.sign.pkcs11 import PKCS11Signer

    try:
        lib = pkcs11.lib(spec.library)
    except (RuntimeError, OSError, p11_errors.PKCS11Error) as exc:
        raise KeyStoreError(
            f"Không nạp được thư viện PKCS#11 {spec.library}",
            f"Cannot load the PKCS#11 module {spec.library}",
        ) from exc
    token = None
    for slot in lib.get_slots(token_present=True):
        candidate = slot.get_token()
        if spec.token_label is None or _normalise(candidate.label) == _normalise(
            spec.token_label
        ):
            token = candidate
            break
    if token is None:
        raise KeyNotFoundError(
            f"Không tìm thấy thiết bị ký (token) {spec.token_label or ''}".strip(),
            f"Token not found {spec.token_label or ''}".strip(),
        )
    try:
        session = token.open(user_pin=pin)
    except (p11_errors.PinIncorrect, p11_errors.PinInvalid, p11_errors.PinLenRange) as exc:
        raise WrongPinError() from exc
    except p11_errors.PKCS11Error as exc:
        raise KeyStoreError(
            "Không mở được phiên làm việc với thiết bị ký",
            "Cannot open a session with the token",
        ) from exc
    try:
        keys = list(session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY}))
        certs = list(session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE}))

        def label(obj: Any) -> str:
            try:
                return _normalise(obj[Attribute.LABEL])
            except (p11_errors.PKCS11Error, UnicodeDecodeError):
                return ""

        def ident(obj: Any) -> bytes:
            try:
                return bytes(obj[Attribute.ID])
            except p11_errors.PKCS11Error:
                return b""

        wanted = _normalise(spec.key_label) if spec.key_label else None
        chosen_key = None
        if wanted is None:
            if len(keys) == 1:
                chosen_key = keys[0]
        else:
            matches = [k for k in keys if label(k) == wanted]
            if not matches:
                cert_ids = {ident(c) for c in certs if label(c) == wanted}
                matches = [k for k in keys if ident(k) and ident(k) in cert_ids]
            if len(matches) == 1:
                chosen_key = matches[0]
        if chosen_key is None:
            raise KeyNotFoundError(
                f"Không tìm thấy khóa ký '{spec.key_label or ''}' trên thiết bị",
                f"Signing key '{spec.key_label or ''}' not found on the token",
            )
        key_id = ident(chosen_key)
        all_certs = [asn1_x509.Certificate.load(bytes(c[Attribute.VALUE])) for c in certs]
        own = [
            cert
            for obj, cert in zip(certs, all_certs, strict=True)
            if key_id and ident(obj) == key_id
        ]
        if not own:
            raise KeyNotFoundError(
                "Không tìm thấy chứng thư số đi kèm khóa ký trên thiết bị",
                "No certificate for the signing key on the token",
            )
        certificate = own[0]
        chain = tuple(c for c in all_certs if c.dump() != certificate.dump())
        signer = PKCS11Signer(
            session,
            signing_cert=certificate,
            key_id=key_id,
            cert_id=key_id,
            ca_chain=chain,
            other_certs_to_pull=None,
            # many tokens (SoftHSM2 among them) only offer raw CKM_ECDSA: hash here
            use_raw_mechanism=certificate.public_key.algorithm == "ec",
        )
        yield SignerKey(signer=signer, certificate=certificate, chain=chain, source="pkcs11")
    finally:
        session.close()
