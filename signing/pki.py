"""Development PKI imitating the Vietnamese government CA (DESIGN.md §4.8, DOMAIN.md §6.1).

Hierarchy: a root ("RootCA chuyên dùng Chính phủ" style) → an issuing CA ("CA phục vụ các
cơ quan Nhà nước" style) → end-entity certificates:

* person certificates: CN = full name (with diacritics), UID = ``CCCD:<12 digits>``,
  e-mail, key usage digitalSignature + nonRepudiation;
* body certificates: CN = body, O = parent body, L = locality, C = VN;
* one time-stamping certificate for the RFC 3161 time-stamp authority.

The PKI serves a CRL per CA, an OCSP responder and a TSA as pure request → response
functions over DER bytes (:meth:`DevPKI.crl_der`, :meth:`DevPKI.ocsp_respond`,
:meth:`DevPKI.tsa_respond`, :meth:`DevPKI.root_pem`), which a web view mounts under
``/pki/``; :meth:`DevPKI.handle` routes a path to them. Certificates point at
``<base_url>/ca.crl``, ``<base_url>/ocsp`` and ``<base_url>/ca.crt``, so that the same
URLs work for HTTP clients (``pdfsig``, Acrobat) and for the in-process fetcher of
:mod:`signing.revocation` that tests use to avoid the network.

State lives in a directory: the CA keys (unencrypted — this is a development PKI) and
``state.json`` with every issued certificate and its revocation. State changes take an
exclusive ``flock`` and re-read the file, so web and worker processes can share one
directory. End-entity private keys are never stored: they leave only inside the
PIN-protected PKCS#12 that the issuing call returns.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import re
import tempfile
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from asn1crypto import core, tsp
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

from ._speedups import CachedKeyTimeStamper
from .errors import PkiError
from .revocation import forget_checks

KeyType = Literal["rsa", "ecdsa"]
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

DEFAULT_BASE_URL = "http://127.0.0.1:5000/pki"
DEMO_PIN = "123456"
ROOT_NAME = "RootCA chuyên dùng Chính phủ (thử nghiệm)"
CA_NAME = "CA phục vụ các cơ quan Nhà nước (thử nghiệm)"
CA_ORG = "Ban Cơ yếu Chính phủ (thử nghiệm)"
TSA_NAME = "Máy chủ cấp dấu thời gian (thử nghiệm)"
OCSP_NAME = "Máy chủ OCSP (thử nghiệm)"

_IDENTITY_RE = re.compile(r"^\d{12}$")
_REASONS = {flag.name: flag for flag in x509.ReasonFlags}


@dataclass(frozen=True)
class IssuedCertificate:
    """One certificate issued by the issuing CA, as recorded in ``state.json``."""

    serial: int
    kind: Literal["person", "body", "tsa", "ocsp"]
    subject: str
    not_before: datetime
    not_after: datetime
    certificate_pem: str
    revoked_at: datetime | None = None
    revocation_reason: str | None = None

    @property
    def certificate(self) -> x509.Certificate:
        """The certificate as a ``cryptography`` object."""
        return x509.load_pem_x509_certificate(self.certificate_pem.encode())

    def to_json(self) -> dict[str, object]:
        """JSON form stored in ``state.json``."""
        return {
            "serial": str(self.serial),
            "kind": self.kind,
            "subject": self.subject,
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
            "certificate_pem": self.certificate_pem,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "revocation_reason": self.revocation_reason,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> IssuedCertificate:
        """Inverse of :meth:`to_json`."""
        revoked = data.get("revoked_at")
        return cls(
            serial=int(str(data["serial"])),
            kind=data["kind"],  # type: ignore[arg-type]
            subject=str(data["subject"]),
            not_before=datetime.fromisoformat(str(data["not_before"])),
            not_after=datetime.fromisoformat(str(data["not_after"])),
            certificate_pem=str(data["certificate_pem"]),
            revoked_at=datetime.fromisoformat(str(revoked)) if revoked else None,
            revocation_reason=(
                str(data["revocation_reason"]) if data.get("revocation_reason") else None
            ),
        )


@dataclass(frozen=True)
class PkiResponse:
    """What a web view returns for a ``/pki/...`` request."""

    status: int
    content_type: str
    body: bytes


def _now() -> datetime:
    return datetime.now(UTC)


def _new_key(key_type: KeyType) -> PrivateKey:
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if key_type == "ecdsa":
        return ec.generate_private_key(ec.SECP256R1())
    raise PkiError(f"Loại khóa không hỗ trợ: {key_type}", f"Unsupported key type: {key_type}")


def _key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _atomic_write(path: Path, data: bytes, mode: int = 0o644) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


class DevPKI:
    """A development certification authority with CRL, OCSP and TSA services.

    Create one with :meth:`create` (in a directory, or in memory when ``directory`` is
    ``None``) or re-open one with :meth:`load`.
    """

    def __init__(
        self,
        *,
        directory: Path | None,
        base_url: str,
        root_key: PrivateKey,
        root_cert: x509.Certificate,
        ca_key: PrivateKey,
        ca_cert: x509.Certificate,
        tsa_key: rsa.RSAPrivateKey,
        tsa_cert: x509.Certificate,
        ocsp_key: PrivateKey | None = None,
        ocsp_cert: x509.Certificate | None = None,
        issued: dict[int, IssuedCertificate] | None = None,
    ) -> None:
        self.directory = directory
        self.base_url = base_url.rstrip("/")
        self._root_key = root_key
        self.root_cert = root_cert
        self._ca_key = ca_key
        self.ca_cert = ca_cert
        self._tsa_key = tsa_key
        self.tsa_cert = tsa_cert
        # OCSP answers are signed by a delegated responder (EKU OCSPSigning, ocsp-nocheck)
        # as real CAs do; NSS (pdfsig) rejects CA-signed answers after the first one.
        self._ocsp_key = ocsp_key or ca_key
        self.ocsp_cert = ocsp_cert or ca_cert
        self._issued: dict[int, IssuedCertificate] = dict(issued or {})
        self._state_mtime: float | None = None
        self._lock = threading.RLock()
        self._timestamper: DummyTimeStamper | None = None

    # ------------------------------------------------------------------ creation
    @classmethod
    def create(
        cls,
        directory: Path | str | None = None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        ca_key_type: KeyType = "rsa",
    ) -> DevPKI:
        """Create a new PKI (root, issuing CA, TSA) and persist it in ``directory``."""
        now = _now() - timedelta(days=1)
        base = base_url.rstrip("/")
        root_key = _new_key(ca_key_type)
        root_name = x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, ROOT_NAME),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, CA_ORG),
                x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            ]
        )
        root_cert = (
            x509.CertificateBuilder()
            .subject_name(root_name)
            .issuer_name(root_name)
            .public_key(root_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(now + timedelta(days=365 * 20))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_ca_key_usage(), critical=True)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False
            )
            .sign(root_key, hashes.SHA256())
        )
        ca_key = _new_key(ca_key_type)
        ca_name = x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, CA_ORG),
                x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            ]
        )
        ca_cert = (
            x509.CertificateBuilder()
            .subject_name(ca_name)
            .issuer_name(root_name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(now + timedelta(days=365 * 10))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_ca_key_usage(), critical=True)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
                critical=False,
            )
            .add_extension(_crl_dp(f"{base}/root.crl"), critical=False)
            .sign(root_key, hashes.SHA256())
        )
        tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pki = cls(
            directory=None,  # issued in memory; the files are written once it is whole
            base_url=base,
            root_key=root_key,
            root_cert=root_cert,
            ca_key=ca_key,
            ca_cert=ca_cert,
            tsa_key=tsa_key,
            tsa_cert=ca_cert,  # replaced right below
        )
        tsa_name = x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, TSA_NAME),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, CA_ORG),
                x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            ]
        )
        pki.tsa_cert = pki._issue(
            tsa_name,
            tsa_key.public_key(),
            kind="tsa",
            not_before=now,
            not_after=now + timedelta(days=365 * 5),
            extended_usage=[ExtendedKeyUsageOID.TIME_STAMPING],
        )
        ocsp_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pki._ocsp_key = ocsp_key
        pki.ocsp_cert = pki._issue(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COMMON_NAME, OCSP_NAME),
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, CA_ORG),
                    x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                ]
            ),
            ocsp_key.public_key(),
            kind="ocsp",
            not_before=now,
            not_after=now + timedelta(days=365 * 5),
            extended_usage=[ExtendedKeyUsageOID.OCSP_SIGNING],
        )
        if directory is not None:
            path = Path(directory)
            path.mkdir(parents=True, exist_ok=True)
            _atomic_write(path / "ocsp-key.pem", _key_pem(ocsp_key), 0o600)
            _atomic_write(path / "ocsp.pem", _cert_pem(pki.ocsp_cert))
            _atomic_write(path / "root-key.pem", _key_pem(root_key), 0o600)
            _atomic_write(path / "ca-key.pem", _key_pem(ca_key), 0o600)
            _atomic_write(path / "tsa-key.pem", _key_pem(tsa_key), 0o600)
            _atomic_write(path / "root.pem", _cert_pem(root_cert))
            _atomic_write(path / "ca.pem", _cert_pem(ca_cert))
            _atomic_write(path / "tsa.pem", _cert_pem(pki.tsa_cert))
            # state.json last: its presence says the directory holds a whole PKI (a
            # creator killed before this line leaves none, and the next one starts over)
            pki.directory = path
            _atomic_write(path / "state.json", pki._state_json())
            pki._state_mtime = (path / "state.json").stat().st_mtime_ns
        return pki

    @classmethod
    def load(cls, directory: Path | str, *, base_url: str | None = None) -> DevPKI:
        """Re-open a PKI created by :meth:`create`; ``base_url`` overrides the stored one."""
        path = Path(directory)
        try:
            state = json.loads((path / "state.json").read_text("utf-8"))
            root_key = _load_key(path / "root-key.pem")
            ca_key = _load_key(path / "ca-key.pem")
            tsa_key = _load_key(path / "tsa-key.pem")
            root_cert = x509.load_pem_x509_certificate((path / "root.pem").read_bytes())
            ca_cert = x509.load_pem_x509_certificate((path / "ca.pem").read_bytes())
            tsa_cert = x509.load_pem_x509_certificate((path / "tsa.pem").read_bytes())
            ocsp_key = _load_key(path / "ocsp-key.pem")
            ocsp_cert = x509.load_pem_x509_certificate((path / "ocsp.pem").read_bytes())
        except (OSError, ValueError, KeyError) as exc:
            raise PkiError(
                f"Không đọc được thư mục PKI {path}: {exc}",
                f"Cannot read the PKI directory {path}: {exc}",
            ) from exc
        if not isinstance(tsa_key, rsa.RSAPrivateKey):
            raise PkiError("Khóa TSA phải là RSA", "The TSA key must be RSA")
        pki = cls(
            directory=path,
            base_url=base_url or state["base_url"],
            root_key=root_key,
            root_cert=root_cert,
            ca_key=ca_key,
            ca_cert=ca_cert,
            tsa_key=tsa_key,
            tsa_cert=tsa_cert,
            ocsp_key=ocsp_key,
            ocsp_cert=ocsp_cert,
        )
        pki._reload_if_changed()
        return pki

    @classmethod
    def load_or_create(cls, directory: Path | str, *, base_url: str = DEFAULT_BASE_URL) -> DevPKI:
        """Open the PKI in ``directory``, creating it there first if it does not exist.

        Several processes and threads may ask at once (the worker's threads, the web
        server): one creates it under a file lock while the others wait, then load it.
        """
        path = Path(directory)
        if (path / "state.json").exists():
            return cls.load(path, base_url=base_url)
        path.mkdir(parents=True, exist_ok=True)
        with open(path / "create.lock", "a+b") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)  # (released when the file closes)
            if (path / "state.json").exists():  # another one created it meanwhile
                return cls.load(path, base_url=base_url)
            return cls.create(path, base_url=base_url)

    # ------------------------------------------------------------------ state
    def _state_path(self) -> Path | None:
        return self.directory / "state.json" if self.directory is not None else None

    def _reload_if_changed(self) -> None:
        path = self._state_path()
        if path is None:
            return
        try:
            mtime = path.stat().st_mtime_ns
        except FileNotFoundError:
            return
        if mtime == self._state_mtime:
            return
        data = json.loads(path.read_text("utf-8"))
        issued = [IssuedCertificate.from_json(item) for item in data.get("issued", [])]
        self._issued = {item.serial: item for item in issued}
        self._state_mtime = mtime

    @contextlib.contextmanager
    def _locked_state(self) -> Iterator[None]:
        """Hold the state lock (thread and, with a directory, process), then persist."""
        with self._lock:
            path = self._state_path()
            if path is None:
                yield
                return
            lock_path = path.with_name("state.lock")
            with open(lock_path, "a+b") as lock_file:
                fcntl.flock(lock_file, fcntl.LOCK_EX)
                try:
                    self._reload_if_changed()
                    yield
                    _atomic_write(path, self._state_json())
                    self._state_mtime = path.stat().st_mtime_ns
                finally:
                    fcntl.flock(lock_file, fcntl.LOCK_UN)

    def _state_json(self) -> bytes:
        data = {
            "base_url": self.base_url,
            "issued": [item.to_json() for item in self._issued.values()],
        }
        return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")

    @property
    def issued(self) -> list[IssuedCertificate]:
        """Every certificate issued by the issuing CA, oldest first."""
        with self._lock:
            self._reload_if_changed()
            return sorted(self._issued.values(), key=lambda item: item.not_before)

    def get_issued(self, serial: int) -> IssuedCertificate:
        """The record of one issued certificate (``KeyError`` if unknown)."""
        with self._lock:
            self._reload_if_changed()
            return self._issued[serial]

    # ------------------------------------------------------------------ issuing
    def _issue(
        self,
        subject: x509.Name,
        public_key: object,
        *,
        kind: Literal["person", "body", "tsa", "ocsp"],
        not_before: datetime,
        not_after: datetime,
        extended_usage: list[x509.ObjectIdentifier] | None = None,
        email: str | None = None,
    ) -> x509.Certificate:
        serial = x509.random_serial_number()
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.ca_cert.subject)
            .public_key(public_key)  # type: ignore[arg-type]
            .serial_number(serial)
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=True,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(public_key),  # type: ignore[arg-type]
                critical=False,
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._ca_key.public_key()),
                critical=False,
            )
            .add_extension(_crl_dp(f"{self.base_url}/ca.crl"), critical=False)
            .add_extension(
                x509.AuthorityInformationAccess(
                    [
                        x509.AccessDescription(
                            x509.AuthorityInformationAccessOID.OCSP,
                            x509.UniformResourceIdentifier(f"{self.base_url}/ocsp"),
                        ),
                        x509.AccessDescription(
                            x509.AuthorityInformationAccessOID.CA_ISSUERS,
                            x509.UniformResourceIdentifier(f"{self.base_url}/ca.crt"),
                        ),
                    ]
                ),
                critical=False,
            )
        )
        if extended_usage:
            builder = builder.add_extension(x509.ExtendedKeyUsage(extended_usage), critical=True)
            if ExtendedKeyUsageOID.OCSP_SIGNING in extended_usage:
                builder = builder.add_extension(x509.OCSPNoCheck(), critical=False)
        if email:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.RFC822Name(email)]), critical=False
            )
        cert = builder.sign(self._ca_key, hashes.SHA256())
        record = IssuedCertificate(
            serial=serial,
            kind=kind,
            subject=subject.rfc4514_string(),
            not_before=not_before,
            not_after=not_after,
            certificate_pem=_cert_pem(cert).decode("ascii"),
        )
        with self._locked_state():
            self._issued[serial] = record
        return cert

    def _validity(
        self, validity_days: int, expired: bool, not_before: datetime | None
    ) -> tuple[datetime, datetime]:
        if expired:
            start = _now() - timedelta(days=validity_days + 2)
            return start, _now() - timedelta(days=1)
        start = not_before or (_now() - timedelta(minutes=10))
        return start, start + timedelta(days=validity_days)

    def _pkcs12(
        self, friendly_name: str, key: PrivateKey, cert: x509.Certificate, pin: str
    ) -> bytes:
        return pkcs12.serialize_key_and_certificates(
            friendly_name.encode("utf-8"),
            key,
            cert,
            [self.ca_cert, self.root_cert],
            serialization.BestAvailableEncryption(pin.encode("utf-8")),
        )

    def issue_person(
        self,
        full_name: str,
        identity: str,
        email: str,
        pin: str,
        *,
        organization: str | None = None,
        key_type: KeyType = "rsa",
        validity_days: int = 730,
        expired: bool = False,
        not_before: datetime | None = None,
    ) -> bytes:
        """Issue a person certificate; return the PIN-protected PKCS#12 (key + chain)."""
        if not _IDENTITY_RE.match(identity):
            raise PkiError(
                "Số CCCD phải gồm đúng 12 chữ số", "The CCCD identity number must be 12 digits"
            )
        attrs = [
            x509.NameAttribute(NameOID.COMMON_NAME, full_name),
            x509.NameAttribute(NameOID.USER_ID, f"CCCD:{identity}"),
            x509.NameAttribute(NameOID.EMAIL_ADDRESS, email),
        ]
        if organization:
            attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
        attrs.append(x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"))
        key = _new_key(key_type)
        start, end = self._validity(validity_days, expired, not_before)
        cert = self._issue(
            x509.Name(attrs), key.public_key(), kind="person",
            not_before=start, not_after=end, email=email,
        )
        return self._pkcs12(full_name, key, cert, pin)

    def issue_body(
        self,
        name: str,
        parent: str,
        locality: str,
        pin: str,
        *,
        key_type: KeyType = "rsa",
        validity_days: int = 1825,
        expired: bool = False,
        not_before: datetime | None = None,
    ) -> bytes:
        """Issue a body (organisation) certificate; return the PIN-protected PKCS#12."""
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, name),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, parent),
                x509.NameAttribute(NameOID.LOCALITY_NAME, locality),
                x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            ]
        )
        key = _new_key(key_type)
        start, end = self._validity(validity_days, expired, not_before)
        cert = self._issue(
            subject, key.public_key(), kind="body", not_before=start, not_after=end
        )
        return self._pkcs12(name, key, cert, pin)

    def revoke(
        self,
        serial: int,
        *,
        reason: str = "key_compromise",
        when: datetime | None = None,
    ) -> IssuedCertificate:
        """Revoke an issued certificate by serial number (``reason`` as in RFC 5280)."""
        if reason not in _REASONS:
            raise PkiError(f"Lý do thu hồi không hợp lệ: {reason}", f"Bad reason: {reason}")
        with self._locked_state():
            try:
                record = self._issued[serial]
            except KeyError as exc:
                raise PkiError(
                    f"Không có chứng thư số hiệu {serial}", f"No certificate with serial {serial}"
                ) from exc
            if record.revoked_at is None:
                record = IssuedCertificate(
                    **{
                        **record.__dict__,
                        "revoked_at": (when or _now()).replace(microsecond=0),
                        "revocation_reason": reason,
                    }
                )
                self._issued[serial] = record
        forget_checks()
        return record

    # ------------------------------------------------------------------ services
    def root_pem(self) -> bytes:
        """The trust anchor, PEM."""
        return _cert_pem(self.root_cert)

    def ca_der(self) -> bytes:
        """The issuing CA certificate, DER (the AIA ``caIssuers`` target)."""
        return self.ca_cert.public_bytes(serialization.Encoding.DER)

    def crl_der(self) -> bytes:
        """A fresh CRL of the issuing CA, DER."""
        with self._lock:
            self._reload_if_changed()
            revoked = [item for item in self._issued.values() if item.revoked_at is not None]
        now = _now() - timedelta(seconds=5)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.ca_cert.subject)
            .last_update(now)
            .next_update(now + timedelta(days=1))
            .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._ca_key.public_key()),
                critical=False,
            )
        )
        for item in revoked:
            assert item.revoked_at is not None
            entry = (
                x509.RevokedCertificateBuilder()
                .serial_number(item.serial)
                .revocation_date(item.revoked_at)
                .add_extension(
                    x509.CRLReason(_REASONS[item.revocation_reason or "unspecified"]),
                    critical=False,
                )
                .build()
            )
            builder = builder.add_revoked_certificate(entry)
        return builder.sign(self._ca_key, hashes.SHA256()).public_bytes(
            serialization.Encoding.DER
        )

    def root_crl_der(self) -> bytes:
        """A fresh CRL of the root (it has never revoked the issuing CA), DER."""
        now = _now() - timedelta(seconds=5)
        crl = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.root_cert.subject)
            .last_update(now)
            .next_update(now + timedelta(days=7))
            .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._root_key.public_key()),
                critical=False,
            )
            .sign(self._root_key, hashes.SHA256())
        )
        return crl.public_bytes(serialization.Encoding.DER)

    def ocsp_respond(self, request_der: bytes) -> bytes:
        """Answer a DER OCSP request for a certificate of the issuing CA, DER."""
        try:
            request = ocsp.load_der_ocsp_request(request_der)
            algorithm = request.hash_algorithm
            serial = request.serial_number
            key_hash = request.issuer_key_hash
            name_hash = request.issuer_name_hash
        except (ValueError, TypeError):
            return _ocsp_error(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
        ca_key_hash = _key_hash(self.ca_cert, algorithm)
        if key_hash != ca_key_hash:
            return _ocsp_error(ocsp.OCSPResponseStatus.UNAUTHORIZED)
        with self._lock:
            self._reload_if_changed()
            record = self._issued.get(serial)
        now = _now() - timedelta(seconds=5)
        status = ocsp.OCSPCertStatus.GOOD
        revoked_at = None
        reason = None
        if record is None:
            status = ocsp.OCSPCertStatus.UNKNOWN
        elif record.revoked_at is not None:
            status = ocsp.OCSPCertStatus.REVOKED
            revoked_at = record.revoked_at
            reason = _REASONS[record.revocation_reason or "unspecified"]
        builder = (
            ocsp.OCSPResponseBuilder()
            .add_response_by_hash(
                issuer_name_hash=name_hash,
                issuer_key_hash=key_hash,
                serial_number=serial,
                algorithm=algorithm,
                cert_status=status,
                this_update=now,
                next_update=now + timedelta(hours=12),
                revocation_time=revoked_at,
                revocation_reason=reason,
            )
            .responder_id(ocsp.OCSPResponderEncoding.HASH, self.ocsp_cert)
            .certificates([self.ocsp_cert])
        )
        with contextlib.suppress(x509.ExtensionNotFound):
            nonce = request.extensions.get_extension_for_class(x509.OCSPNonce).value
            builder = builder.add_extension(nonce, critical=False)
        response = builder.sign(self._ocsp_key, hashes.SHA256())
        return response.public_bytes(serialization.Encoding.DER)

    def timestamper(self) -> TimeStamper:
        """An in-process RFC 3161 time-stamper signing with this PKI's TSA key."""
        if self._timestamper is None:
            self._timestamper = CachedKeyTimeStamper(
                tsa_cert=asn1_x509.Certificate.load(
                    self.tsa_cert.public_bytes(serialization.Encoding.DER)
                ),
                tsa_key=asn1_keys.PrivateKeyInfo.load(
                    self._tsa_key.private_bytes(
                        serialization.Encoding.DER,
                        serialization.PrivateFormat.PKCS8,
                        serialization.NoEncryption(),
                    )
                ),
                certs_to_embed=[
                    asn1_x509.Certificate.load(self.ca_der()),
                    asn1_x509.Certificate.load(
                        self.root_cert.public_bytes(serialization.Encoding.DER)
                    ),
                ],
            )
        return self._timestamper

    def tsa_respond(self, request_der: bytes) -> bytes:
        """Answer a DER RFC 3161 time-stamp request, DER."""
        try:
            request = tsp.TimeStampReq.load(request_der)
            request.native  # noqa: B018 — force a full parse to reject garbage here
        except ValueError:
            # asn1crypto models timeStampToken as mandatory, so encode the bare rejection
            status = tsp.PKIStatusInfo(
                {"status": "rejection", "fail_info": {"bad_data_format"}}
            ).dump()
            return core.Sequence.load(b"\x30" + _der_length(len(status)) + status).dump()
        stamper = self.timestamper()
        assert isinstance(stamper, DummyTimeStamper)
        return stamper.request_tsa_response(request).dump()

    def handle(self, path: str, body: bytes | None = None) -> PkiResponse:
        """Route ``/pki/<path>`` (root.pem, ca.crt, ca.crl, root.crl, ocsp, tsa) to a response."""
        parts = path.strip("/").split("/")
        if len(parts) >= 2 and parts[-2] == "ocsp" and body is None:
            # RFC 6960 GET form: /ocsp/<url-encoded base64 request> (NSS uses it)
            try:
                request = base64.b64decode(urllib.parse.unquote(parts[-1]), validate=False)
            except ValueError:
                request = b""
            return PkiResponse(200, "application/ocsp-response", self.ocsp_respond(request))
        name = parts[-1]
        if name == "root.pem":
            return PkiResponse(200, "application/x-pem-file", self.root_pem())
        if name in ("root.crt", "root.cer"):
            return PkiResponse(
                200,
                "application/pkix-cert",
                self.root_cert.public_bytes(serialization.Encoding.DER),
            )
        if name in ("ca.crt", "ca.cer"):
            return PkiResponse(200, "application/pkix-cert", self.ca_der())
        if name == "ca.crl":
            return PkiResponse(200, "application/pkix-crl", self.crl_der())
        if name == "root.crl":
            return PkiResponse(200, "application/pkix-crl", self.root_crl_der())
        if name == "ocsp" and body is not None:
            return PkiResponse(200, "application/ocsp-response", self.ocsp_respond(body))
        if name == "tsa" and body is not None:
            return PkiResponse(200, "application/timestamp-reply", self.tsa_respond(body))
        return PkiResponse(404, "text/plain; charset=utf-8", "Không tìm thấy".encode())

    def route(self, url: str, body: bytes | None = None) -> bytes | None:
        """Answer a full URL under :attr:`base_url` in process (``None`` if not ours)."""
        if not url.startswith(self.base_url + "/"):
            return None
        response = self.handle(url[len(self.base_url) :], body)
        return response.body if response.status == 200 else None

    @property
    def tsa_url(self) -> str:
        """The URL of the time-stamp service."""
        return f"{self.base_url}/tsa"


def _load_key(path: Path) -> PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise PkiError(f"Khóa không hỗ trợ: {path}", f"Unsupported key: {path}")
    return key


def _ca_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


def _crl_dp(url: str) -> x509.CRLDistributionPoints:
    return x509.CRLDistributionPoints(
        [
            x509.DistributionPoint(
                full_name=[x509.UniformResourceIdentifier(url)],
                relative_name=None,
                reasons=None,
                crl_issuer=None,
            )
        ]
    )


def _key_hash(cert: x509.Certificate, algorithm: hashes.HashAlgorithm) -> bytes:
    spki = asn1_keys.PublicKeyInfo.load(
        cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    digest = hashes.Hash(algorithm)
    digest.update(spki["public_key"].contents[1:])  # BIT STRING minus the unused-bits byte
    return digest.finalize()


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    raw = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _ocsp_error(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(
        serialization.Encoding.DER
    )


def init_demo_directory(directory: Path | str, *, base_url: str = DEFAULT_BASE_URL) -> DevPKI:
    """Create a PKI in ``directory`` plus ``person.p12`` and ``body.p12`` (PIN 123456)."""
    path = Path(directory)
    pki = DevPKI.load_or_create(path, base_url=base_url)
    person = pki.issue_person(
        "Nguyễn Văn Ánh",
        "091088001234",
        "nvanh@kiengiang.gov.vn",
        DEMO_PIN,
        organization="Ủy ban nhân dân tỉnh Kiên Giang",
    )
    body = pki.issue_body(
        "Ủy ban nhân dân tỉnh Kiên Giang", "Chính phủ", "Kiên Giang", DEMO_PIN
    )
    _atomic_write(path / "person.p12", person, 0o600)
    _atomic_write(path / "body.p12", body, 0o600)
    return pki
