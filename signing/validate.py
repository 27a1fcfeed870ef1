"""Validation: every signature of a PDF → one structured, JSON-ready report.

:func:`validate_pdf` returns a :class:`ValidationReport` whose ``to_dict()`` is the fixed
contract of DESIGN.md §6 (one entry per signature or document time-stamp, in document
order, plus an overall verdict in Vietnamese and English).

Robustness: hostile or odd PDFs never escape as arbitrary exceptions. Files that are not
readable PDFs raise a :class:`~signing.errors.PdfReadError` subclass (the app answers 422);
a strict read that fails is retried non-strictly (poppler's signer leaves orphaned
cross-reference generations that pyHanko's strict reader rejects); a failure inside one
signature (pyHanko raises ``AssertionError`` on some mislabelled signatures) becomes that
signature's report with ``valid = false`` and the reason.

Modification analysis uses pyHanko's standard rules with in-place appearance-stream
rewrites disallowed: pyHanko 0.38's default policy (``_allow_in_place_appearance_update``)
re-approves an untouched, earlier appearance stream of a *locked* text field in every
revision after the first one following a signature, so a body seal that locks the
number/date fields is reported as modified as soon as DSS or a document time-stamp is
added. Disallowing in-place rewrites is stricter (a real rewrite is still caught as an
unexplained change) and removes that false positive.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from pyhanko.sign.ades.report import AdESIndeterminate
from pyhanko.sign.diff_analysis import (
    DEFAULT_DIFF_POLICY,
    FormUpdatingRule,
    GenericFieldModificationRule,
    ModificationLevel,
    SigFieldCreationRule,
    SigFieldModificationRule,
    StandardDiffPolicy,
)
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation import (
    DocumentSecurityStore,
    EmbeddedPdfSignature,
    KeyUsageConstraints,
    async_validate_pdf_signature,
    async_validate_pdf_timestamp,
)
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from ._speedups import parsed_certificate
from .errors import PdfReadError, SigningLibraryError
from .pdfio import open_reader
from .revocation import EmbeddedOnly, RevocationSource
from .sign import _run

Revocation = Literal["good", "revoked", "unknown"]

DIFF_POLICY = StandardDiffPolicy(
    global_rules=list(DEFAULT_DIFF_POLICY.global_rules),
    form_rule=FormUpdatingRule(
        field_rules=[
            SigFieldCreationRule(),
            SigFieldModificationRule(allow_in_place_appearance_stream_changes=False),
            GenericFieldModificationRule(allow_in_place_appearance_stream_changes=False),
        ],
    ),
)

_KEY_USAGE = KeyUsageConstraints(
    key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False
)


@dataclass(frozen=True)
class SignerInfo:
    """Who signed, from the certificate subject."""

    name: str | None
    organization: str | None
    identity: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"name": self.name, "organization": self.organization, "identity": self.identity}


@dataclass(frozen=True)
class SignatureReport:
    """The verdict on one signature or document time-stamp."""

    kind: Literal["signature", "document_timestamp"]
    field: str | None
    signer: SignerInfo
    signed_at: datetime | None
    timestamp_at: datetime | None
    intact: bool
    byte_range_valid: bool
    crypto_valid: bool
    trusted: bool
    revocation: Revocation
    revocation_source: Literal["embedded", "fetched"] | None
    expired: bool
    key_usage_ok: bool
    docmdp: int | None
    modification_level: Literal["none", "form_filling", "annotations", "other"]
    coverage: Literal["entire_file", "entire_revision", "partial", "unknown"]
    pades_level: Literal["B-B", "B-T", "B-LT", "B-LTA"] | None
    valid: bool
    reason: str
    reason_en: str
    body: str | None = None
    issuer: str | None = None
    subfilter: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form (DESIGN.md §6 keys, plus extra keys)."""
        return {
            "kind": self.kind,
            "field": self.field,
            "signer": self.signer.to_dict(),
            "signed_at": _iso(self.signed_at),
            "timestamp_at": _iso(self.timestamp_at),
            "intact": self.intact,
            "byte_range_valid": self.byte_range_valid,
            "crypto_valid": self.crypto_valid,
            "trusted": self.trusted,
            "revocation": self.revocation,
            "revocation_source": self.revocation_source,
            "expired": self.expired,
            "key_usage_ok": self.key_usage_ok,
            "docmdp": self.docmdp,
            "modification_level": self.modification_level,
            "coverage": self.coverage,
            "pades_level": self.pades_level,
            "valid": self.valid,
            "reason": self.reason,
            "reason_en": self.reason_en,
            "body": self.body,
            "issuer": self.issuer,
            "subfilter": self.subfilter,
        }


@dataclass(frozen=True)
class ValidationReport:
    """All signatures of a document and the overall verdict."""

    valid: bool
    verdict: str
    verdict_en: str
    signatures: tuple[SignatureReport, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON form (the DESIGN.md §6 contract)."""
        return {
            "valid": self.valid,
            "verdict": self.verdict,
            "verdict_en": self.verdict_en,
            "signatures": [item.to_dict() for item in self.signatures],
        }


@dataclass(frozen=True)
class ValidationSettings:
    """What to trust and where revocation data may come from."""

    trust_roots: tuple[bytes, ...] = ()
    """Trust anchors, DER or PEM (several PEM certificates in one item are fine)."""

    revocation: RevocationSource = field(default_factory=EmbeddedOnly)
    """Embedded data only (default), in-process fetching, or HTTP fetching."""

    moment: datetime | None = None
    """Validation time; ``None`` = now."""


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def load_trust_roots(items: Sequence[bytes]) -> list[asn1_x509.Certificate]:
    """Parse DER or PEM (possibly several PEM blocks per item) into certificates
    (each parsed once per process, see :func:`signing._speedups.parsed_certificate`)."""
    roots: list[asn1_x509.Certificate] = []
    for item in items:
        if pem.detect(item):
            for _, _, der in pem.unarmor(item, multiple=True):
                roots.append(parsed_certificate(der))
        else:
            roots.append(parsed_certificate(item))
    return roots


def _subject_attr(cert: asn1_x509.Certificate, name: str) -> str | None:
    value = cert.subject.native.get(name)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value) if value is not None else None


def _identity(cert: asn1_x509.Certificate) -> str | None:
    for rdn in cert.subject.chosen:
        for attr in rdn:
            if attr["type"].dotted == "0.9.2342.19200300.100.1.1":
                return str(attr["value"].native)
    return None


def _signer_info(cert: asn1_x509.Certificate | None) -> tuple[SignerInfo, str | None]:
    if cert is None:
        return SignerInfo(None, None, None), None
    identity = _identity(cert)
    name = _subject_attr(cert, "common_name")
    org = _subject_attr(cert, "organization_name")
    body = name if identity is None else org
    return SignerInfo(name=name, organization=org, identity=identity), body


def _revinfo_status(
    cert: asn1_x509.Certificate,
    ocsps: Sequence[asn1_ocsp.OCSPResponse],
    crls: Sequence[asn1_crl.CertificateList],
) -> Revocation | None:
    serial = cert.serial_number
    issuer = cert.issuer
    for response in ocsps:
        try:
            basic = response["response_bytes"]["response"].parsed
            for single in basic["tbs_response_data"]["responses"]:
                if single["cert_id"]["serial_number"].native != serial:
                    continue
                status = single["cert_status"].name
                if status == "good":
                    return "good"
                if status == "revoked":
                    return "revoked"
        except (ValueError, KeyError, TypeError):
            continue
    for item in crls:
        try:
            if item.issuer != issuer:
                continue
            revoked = item["tbs_cert_list"]["revoked_certificates"]
            if any(entry["user_certificate"].native == serial for entry in revoked):
                return "revoked"
            return "good"
        except (ValueError, KeyError, TypeError):
            continue
    return None


def _map_modification(level: ModificationLevel | None) -> str:
    if level is None:
        return "other"
    if level in (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES):
        return "none"
    if level == ModificationLevel.FORM_FILLING:
        return "form_filling"
    if level == ModificationLevel.ANNOTATIONS:
        return "annotations"
    return "other"


def _map_coverage(level: SignatureCoverageLevel | None) -> str:
    if level == SignatureCoverageLevel.ENTIRE_FILE:
        return "entire_file"
    if level == SignatureCoverageLevel.ENTIRE_REVISION:
        return "entire_revision"
    if level is None or level == SignatureCoverageLevel.UNCLEAR:
        return "unknown"
    return "partial"


_EXPIRED = {
    AdESIndeterminate.EXPIRED,
    AdESIndeterminate.OUT_OF_BOUNDS_NO_POE,
    AdESIndeterminate.OUT_OF_BOUNDS_NOT_REVOKED,
    AdESIndeterminate.NOT_YET_VALID,
}
_REVOKED = {AdESIndeterminate.REVOKED_NO_POE, AdESIndeterminate.REVOKED_CA_NO_POE}


def _reason(
    *,
    intact: bool,
    crypto_valid: bool,
    byte_range_valid: bool,
    trusted: bool,
    revocation: str,
    expired: bool,
    key_usage_ok: bool,
    modification_ok: bool,
    kind: str,
) -> tuple[str, str]:
    if not intact:
        return (
            "Nội dung văn bản đã bị thay đổi sau khi ký",
            "The document content was changed after signing",
        )
    if not crypto_valid:
        return "Chữ ký số không hợp lệ về mặt mật mã", "The signature is cryptographically invalid"
    if not byte_range_valid:
        return (
            "Chữ ký không bao trùm toàn bộ phiên bản văn bản",
            "The signature does not cover its whole revision",
        )
    if not modification_ok:
        return (
            "Văn bản bị sửa đổi trái phép sau khi ký",
            "The document was modified in a way the signature does not permit",
        )
    if revocation == "revoked":
        return "Chứng thư số của người ký đã bị thu hồi", "The signer's certificate is revoked"
    if expired:
        return (
            "Chứng thư số của người ký đã hết hạn hoặc chưa có hiệu lực khi ký",
            "The signer's certificate was expired or not yet valid",
        )
    if not trusted:
        return (
            "Chứng thư số không thuộc tổ chức cung cấp dịch vụ chứng thực được tin cậy",
            "The certificate does not chain to a trusted root",
        )
    if not key_usage_ok:
        return (
            "Chứng thư số không được phép dùng để ký",
            "The certificate's key usage does not allow signing",
        )
    if kind == "document_timestamp":
        return "Dấu thời gian hợp lệ", "The document time-stamp is valid"
    return "Chữ ký số hợp lệ", "The signature is valid"


def _failed_report(
    emb: EmbeddedPdfSignature | None, exc: BaseException, kind: str, name: str | None = None
) -> SignatureReport:
    cert = None
    try:
        if emb is not None:
            name = emb.field_name
            cert = emb.signer_cert
    except Exception:  # noqa: BLE001 — best effort on a broken signature
        cert = None
    signer, body = _signer_info(cert)
    detail = f"{type(exc).__name__}: {exc}"[:300]
    return SignatureReport(
        kind=kind,  # type: ignore[arg-type]
        field=name,
        signer=signer,
        signed_at=None,
        timestamp_at=None,
        intact=False,
        byte_range_valid=False,
        crypto_valid=False,
        trusted=False,
        revocation="unknown",
        revocation_source=None,
        expired=False,
        key_usage_ok=False,
        docmdp=None,
        modification_level="other",
        coverage="unknown",
        pades_level=None,
        valid=False,
        reason=f"Không kiểm tra được chữ ký ({detail})",
        reason_en=f"The signature could not be checked ({detail})",
        body=body,
    )


class _Context:
    """Data shared by every signature of one document."""

    def __init__(self, reader: Any, settings: ValidationSettings) -> None:
        self.reader = reader
        self.settings = settings
        self._vcs: dict[datetime | None, ValidationContext] = {}
        self.roots = load_trust_roots(settings.trust_roots)
        try:
            dss = DocumentSecurityStore.read_dss(reader)
            loaded = dss.as_validation_context({"trust_roots": []})
            self.dss_certs = [parsed_certificate(cert.dump()) for cert in dss.load_certs()]
            self.dss_ocsps = list(loaded.ocsps)
            self.dss_crls = list(loaded.crls)
            self.has_dss = True
        except Exception:  # noqa: BLE001 — no DSS, or an unreadable one: ignore it
            self.dss_certs, self.dss_ocsps, self.dss_crls = [], [], []
            self.has_dss = False

    def bare_vc(self, extra_certs: Sequence[asn1_x509.Certificate]) -> ValidationContext:
        """A context without any revocation data (trust path only)."""
        return ValidationContext(
            trust_roots=self.roots,
            other_certs=[*self.dss_certs, *extra_certs],
            revocation_mode="soft-fail",
            moment=self.settings.moment,
        )

    def vc(self, extra_certs: Sequence[asn1_x509.Certificate], moment: datetime | None) -> (
        ValidationContext
    ):
        """The report's validation context for ``moment``: one per report and moment,
        shared by every signature and time-stamp (their certificates added to it)."""
        shared = self._vcs.get(moment)
        if shared is not None:
            shared.certificate_registry.register_multiple(extra_certs)
            return shared
        shared = self._new_vc(extra_certs, moment)
        self._vcs[moment] = shared
        return shared

    def _new_vc(
        self, extra_certs: Sequence[asn1_x509.Certificate], moment: datetime | None
    ) -> ValidationContext:
        backend = self.settings.revocation.fetcher_backend()
        return ValidationContext(
            trust_roots=self.roots,
            other_certs=[*self.dss_certs, *extra_certs],
            ocsps=self.dss_ocsps,
            crls=self.dss_crls,
            allow_fetching=backend is not None,
            fetcher_backend=backend,
            revocation_mode="soft-fail",
            moment=moment,
            retroactive_revinfo=True,
        )


def _needs_bare_retry(status: Any) -> bool:
    """Revocation data for sibling certificates but none for this one makes certvalidator
    fail the path: then trust is judged without revocation data (revocation "unknown")."""
    return bool(
        status.intact
        and status.valid
        and not status.trusted
        and status.trust_problem_indic not in _EXPIRED | _REVOKED
        and status.trust_problem_indic != AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND
    )


def _validate_timestamp(ctx: _Context, emb: EmbeddedPdfSignature) -> SignatureReport:
    vc = ctx.vc(emb.other_embedded_certs, ctx.settings.moment)
    status = _run(async_validate_pdf_timestamp(emb, validation_context=vc, diff_policy=DIFF_POLICY))
    revinfo_missing = False
    if _needs_bare_retry(status):
        retry = _run(
            async_validate_pdf_timestamp(
                emb, validation_context=ctx.bare_vc(emb.other_embedded_certs),
                diff_policy=DIFF_POLICY,
            )
        )
        if retry.trusted:
            status, revinfo_missing = retry, True
    cert = status.signing_cert
    signer, body = _signer_info(cert)
    intact, crypto_valid, trusted = status.intact, status.valid, status.trusted
    coverage = _map_coverage(status.coverage)
    byte_range_valid = coverage in ("entire_file", "entire_revision")
    modification = _map_modification(status.modification_level)
    modification_ok = modification == "none"
    revocation, source = _revocation_of(ctx, cert, vc, status)
    if revinfo_missing and revocation == "good":
        revocation, source = "unknown", None
    expired = status.trust_problem_indic in _EXPIRED
    reason, reason_en = _reason(
        intact=intact, crypto_valid=crypto_valid, byte_range_valid=byte_range_valid,
        trusted=trusted, revocation=revocation, expired=expired, key_usage_ok=True,
        modification_ok=modification_ok, kind="document_timestamp",
    )
    valid = (
        intact and crypto_valid and byte_range_valid and trusted and modification_ok
        and revocation != "revoked" and not expired
    )
    return SignatureReport(
        kind="document_timestamp", field=emb.field_name, signer=signer,
        signed_at=status.timestamp, timestamp_at=status.timestamp,
        intact=intact, byte_range_valid=byte_range_valid, crypto_valid=crypto_valid,
        trusted=trusted, revocation=revocation, revocation_source=source, expired=expired,
        key_usage_ok=True, docmdp=None, modification_level=modification,  # type: ignore[arg-type]
        coverage=coverage, pades_level=None, valid=valid,  # type: ignore[arg-type]
        reason=reason, reason_en=reason_en, body=body,
        issuer=_issuer(cert), subfilter=str(emb.sig_object.get("/SubFilter", "")) or None,
    )


def _issuer(cert: asn1_x509.Certificate | None) -> str | None:
    if cert is None:
        return None
    value = cert.issuer.native.get("common_name")
    return str(value) if value is not None else None


def _revocation_of(
    ctx: _Context, cert: asn1_x509.Certificate, vc: ValidationContext, status: Any
) -> tuple[Revocation, Literal["embedded", "fetched"] | None]:
    if status.trust_problem_indic in _REVOKED or getattr(status, "revoked", False):
        embedded = _revinfo_status(cert, ctx.dss_ocsps, ctx.dss_crls)
        return "revoked", "embedded" if embedded == "revoked" else "fetched"
    embedded = _revinfo_status(cert, ctx.dss_ocsps, ctx.dss_crls)
    if embedded is not None:
        return embedded, "embedded"
    fetched = _revinfo_status(cert, list(vc.ocsps), list(vc.crls))
    if fetched is not None:
        return fetched, "fetched"
    return "unknown", None


def _validate_signature(
    ctx: _Context, emb: EmbeddedPdfSignature, later_doc_ts: bool
) -> SignatureReport:
    extra = emb.other_embedded_certs
    vc = ctx.vc(extra, ctx.settings.moment)
    status = _run(
        async_validate_pdf_signature(
            emb,
            signer_validation_context=vc,
            ts_validation_context=ctx.vc([], ctx.settings.moment),
            diff_policy=DIFF_POLICY,
            key_usage_settings=_KEY_USAGE,
        )
    )
    ts = status.timestamp_validity
    ts_time = ts.timestamp if ts is not None and ts.valid and ts.intact else None
    if (
        status.trust_problem_indic in _EXPIRED
        and ts_time is not None
        and ctx.settings.moment is None
    ):
        # Archival case: the certificate expired since, but a trusted time-stamp proves
        # the signature existed while it was valid — judge the chain at that time.
        vc = ctx.vc(extra, ts_time)
        status = _run(
            async_validate_pdf_signature(
                emb,
                signer_validation_context=vc,
                ts_validation_context=ctx.vc([], None),
                diff_policy=DIFF_POLICY,
                key_usage_settings=_KEY_USAGE,
            )
        )
    revinfo_missing = False
    if _needs_bare_retry(status):
        bare = ctx.bare_vc(extra)
        retry = _run(
            async_validate_pdf_signature(
                emb,
                signer_validation_context=bare,
                ts_validation_context=ctx.vc([], ctx.settings.moment),
                diff_policy=DIFF_POLICY,
                key_usage_settings=_KEY_USAGE,
            )
        )
        if retry.trusted:
            status, revinfo_missing = retry, True
    cert = status.signing_cert
    signer, body = _signer_info(cert)
    intact, crypto_valid, trusted = status.intact, status.valid, status.trusted
    coverage = _map_coverage(status.coverage)
    byte_range_valid = coverage in ("entire_file", "entire_revision")
    modification = _map_modification(status.modification_level)
    modification_ok = bool(status.docmdp_ok) and status.modification_level is not None
    if status.modification_level is not None and modification == "other":
        modification_ok = False
    revocation, source = _revocation_of(ctx, cert, vc, status)
    if revinfo_missing and revocation == "good":
        revocation, source = "unknown", None
    expired = status.trust_problem_indic in _EXPIRED
    key_usage_ok = status.trust_problem_indic not in (
        AdESIndeterminate.CHAIN_CONSTRAINTS_FAILURE,
        AdESIndeterminate.SIG_CONSTRAINTS_FAILURE,
    )
    subfilter = str(emb.sig_object.get("/SubFilter", "")) or None
    pades: str | None = None
    if subfilter == "/ETSI.CAdES.detached":
        pades = "B-B"
        if ts_time is not None or later_doc_ts:
            pades = "B-T"
            has_revinfo = _revinfo_status(cert, ctx.dss_ocsps, ctx.dss_crls) is not None
            if has_revinfo:
                pades = "B-LT"
                if later_doc_ts:
                    pades = "B-LTA"
    docmdp = emb.docmdp_level
    reason, reason_en = _reason(
        intact=intact, crypto_valid=crypto_valid, byte_range_valid=byte_range_valid,
        trusted=trusted, revocation=revocation, expired=expired, key_usage_ok=key_usage_ok,
        modification_ok=modification_ok, kind="signature",
    )
    valid = (
        intact and crypto_valid and byte_range_valid and trusted and modification_ok
        and revocation != "revoked" and not expired and key_usage_ok
    )
    return SignatureReport(
        kind="signature",
        field=emb.field_name,
        signer=signer,
        signed_at=status.signer_reported_dt,
        timestamp_at=ts_time,
        intact=intact,
        byte_range_valid=byte_range_valid,
        crypto_valid=crypto_valid,
        trusted=trusted,
        revocation=revocation,
        revocation_source=source,
        expired=expired,
        key_usage_ok=key_usage_ok,
        docmdp=docmdp.value if docmdp is not None else None,
        modification_level=modification,  # type: ignore[arg-type]
        coverage=coverage,  # type: ignore[arg-type]
        pades_level=pades,  # type: ignore[arg-type]
        valid=valid,
        reason=reason,
        reason_en=reason_en,
        body=body,
        issuer=_issuer(cert),
        subfilter=subfilter,
    )


@dataclass(frozen=True)
class _Broken:
    """A signature field whose signature could not even be parsed."""

    field_name: str
    error: BaseException
    position: int


def _collect(reader: Any) -> list[EmbeddedPdfSignature | _Broken]:
    """Every filled signature field in document order; unparsable ones as _Broken."""
    items: list[tuple[int, EmbeddedPdfSignature | _Broken]] = []
    for fq_name, sig_obj, sig_field in enumerate_sig_fields(reader, filled_status=True):
        # a plain str: pyHanko's name is a TextStringObject that refers to the reader, so a
        # report holding it would carry (and pickle) the whole parsed PDF
        fq_name = str(fq_name)
        try:
            emb = EmbeddedPdfSignature(reader, sig_field, fq_name)
            items.append((emb.signed_revision, emb))
        except Exception as exc:  # noqa: BLE001 — a broken signature becomes a report
            position = 10**9
            try:
                position = int(sig_obj.get_object()["/ByteRange"][1])
            except Exception:  # noqa: BLE001, S110 — no usable /ByteRange: keep it last
                pass
            items.append((position, _Broken(fq_name, exc, position)))
    return [item for _, item in sorted(items, key=lambda pair: pair[0])]


def validate_pdf(pdf: bytes, settings: ValidationSettings | None = None) -> ValidationReport:
    """Validate every signature of ``pdf``; raise PdfReadError only for unreadable files."""
    opts = settings or ValidationSettings()
    reader = open_reader(pdf)
    try:
        signatures = _collect(reader)
    except Exception as exc:  # noqa: BLE001 — a broken AcroForm is a broken PDF
        raise PdfReadError(
            f"Không đọc được các chữ ký trong tệp: {exc}", f"Cannot read the signatures: {exc}"
        ) from exc
    ctx = _Context(reader, opts)
    reports: list[SignatureReport] = []
    for index, emb in enumerate(signatures):
        if isinstance(emb, _Broken):
            reports.append(_failed_report(None, emb.error, "signature", emb.field_name))
            continue
        kind = "signature"
        try:
            kind = (
                "document_timestamp" if emb.sig_object_type == "/DocTimeStamp" else "signature"
            )
            if kind == "document_timestamp":
                reports.append(_validate_timestamp(ctx, emb))
            else:
                later = any(
                    isinstance(other, EmbeddedPdfSignature)
                    and other.sig_object_type == "/DocTimeStamp"
                    for other in signatures[index + 1 :]
                )
                reports.append(_validate_signature(ctx, emb, later))
        except SigningLibraryError:
            raise
        except Exception as exc:  # noqa: BLE001 — every failure becomes a report
            reports.append(_failed_report(emb, exc, kind))
    return _overall(tuple(reports))


def _overall(reports: tuple[SignatureReport, ...]) -> ValidationReport:
    if not reports:
        return ValidationReport(
            valid=False,
            verdict="Văn bản không có chữ ký số",
            verdict_en="The document has no digital signature",
            signatures=(),
        )
    bad = [item for item in reports if not item.valid]
    if not bad:
        count = sum(1 for item in reports if item.kind == "signature")
        if count == 1:  # not "Tất cả 1 chữ ký" (all 1 signatures)
            verdict = "Chữ ký số hợp lệ, văn bản toàn vẹn"
            verdict_en = "The signature is valid and the document is intact"
        else:
            verdict = f"Tất cả {count} chữ ký số hợp lệ, văn bản toàn vẹn"
            verdict_en = f"All {count} signatures are valid and the document is intact"
        return ValidationReport(valid=True, verdict=verdict, verdict_en=verdict_en,
                                signatures=reports)
    first = bad[0]
    who = first.signer.name or first.field or "?"
    return ValidationReport(
        valid=False,
        verdict=f"Chữ ký của {who} không hợp lệ: {first.reason}",
        verdict_en=f"The signature of {who} is not valid: {first.reason_en}",
        signatures=reports,
    )

