"""Signing: draft preparation, the leader's certification, numbering, the body's seal.

The Decree 30 flow (DESIGN.md §4) on ``bytes`` in → ``bytes`` out:

1. :func:`prepare_draft` adds AcroForm text fields for the number and the date line and
   BOTH signature fields (the leader's, and the body's over its left third) before any
   signature: a visible field added after a certification signature is an illegal
   modification.
2. :func:`certify_draft` — the leader's certification signature: DocMDP P=2 (form filling
   allowed), a FieldMDP lock on everything except the number, date and body fields,
   PAdES (``ETSI.CAdES.detached``), time-stamped (B-T) by default.
3. :func:`fill_number` writes number/notation and the date line in an incremental update.
4. :func:`seal_document` — the body's signature in its pre-created field (locking every
   field), with validation data (B-LT) and a document time-stamp (B-LTA).

Attachments and e-copies get :func:`sign_attachment` / :func:`sign_copy`. Any level from
B-B to B-LTA can be chosen through :class:`SignOptions`; a time-stamp authority that is
down fails within its timeout with :class:`~signing.errors.TimestampError`, or — when
``on_tsa_failure="downgrade"`` — the document is signed at B-B and the result says that
it needs an upgrade (:func:`add_document_timestamp` does that later).

Two-step external signing (:func:`prepare_external` → a token signs elsewhere →
:func:`complete_external`) serves tokens that the server never sees.

Speed: the signature container size is reserved up front (no dry-run signature and no
dummy time-stamp request to estimate it), keys come from the per-process cache of
:mod:`signing.keys`, and the font is the small pre-processed one.
"""

from __future__ import annotations

import asyncio
import base64
import enum
import hashlib
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

from asn1crypto import cms, pem
from asn1crypto import x509 as asn1_x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name, pdf_string
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import AxisAlignment, InnerScaling, SimpleBoxLayoutRule
from pyhanko.pdf_utils.misc import FormFillingError, PdfError
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields as sig_fields
from pyhanko.sign.fields import (
    FieldMDPAction,
    FieldMDPSpec,
    MDPPerm,
    SigFieldSpec,
    SigSeedSubFilter,
)
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.general import extract_certificate_info
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner, PdfTimeStamper
from pyhanko.sign.signers.constants import DEFAULT_SIGNER_KEY_USAGE
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.signers.pdf_cms import ExternalSigner
from pyhanko.sign.signers.pdf_signer import PdfTBSDocument
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko.sign.validation import DocumentSecurityStore
from pyhanko.sign.validation.generic_cms import extract_tst_data_iter
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator import errors as cv_errors
from pyhanko_certvalidator.path import ValidationPath
from pyhanko_certvalidator.registry import SimpleCertificateStore

from .appearance import (
    MM,
    Appearance,
    CopyForm,
    ImageAppearance,
    InfoTextAppearance,
    attachment_appearance,
    copy_appearance,
    font_factory,
    info_box,
    person_appearance,
    seal_appearance,
    stamp_style,
)
from .errors import (
    CertificateExpiredError,
    CertificateRevokedError,
    DocumentStateError,
    DraftNotPreparedError,
    ExternalSigningError,
    PdfReadError,
    RevocationInfoError,
    SignerCertificateError,
    SigningFailedError,
    SigningLibraryError,
    TimestampError,
)
from .keys import SignerKey
from .pdfio import finished, open_reader, open_writer
from .revocation import (
    CheckedPath,
    EmbeddedOnly,
    RevocationSource,
    check_key,
    note_checked,
    recently_checked,
)
from .timestamps import TimestampSource

NUMBER_FIELD = "SoKyHieu"
DATE_FIELD = "NgayBanHanh"
LEADER_FIELD = "ChuKyLanhDao"
BODY_FIELD = "ChuKyCoQuan"
ATTACHMENT_FIELD = "ChuKyCoQuanPhuLuc"
COPY_FIELD = "ChuKySaoY"
DEFAULT_SEAL_SIZE = 36 * MM
FIELD_FONT_SIZE = 13

_RESERVE_BASE = 1536
_RESERVE_TIMESTAMP = 6144


class PadesLevel(enum.StrEnum):
    """PAdES baseline levels (ETSI EN 319 142-1)."""

    B_B = "B-B"
    B_T = "B-T"
    B_LT = "B-LT"
    B_LTA = "B-LTA"

    @property
    def rank(self) -> int:
        """0 for B-B … 3 for B-LTA."""
        return list(PadesLevel).index(self)


@dataclass(frozen=True)
class Box:
    """A rectangle in PDF points: lower-left (x0, y0), upper-right (x1, y1)."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def width(self) -> float:
        """Width in points."""
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        """Height in points."""
        return self.y1 - self.y0

    def as_tuple(self) -> tuple[float, float, float, float]:
        """``(x0, y0, x1, y1)``."""
        return (self.x0, self.y0, self.x1, self.y1)


@dataclass(frozen=True)
class DraftLayout:
    """Where :func:`prepare_draft` puts the number, date and signature fields."""

    page: int
    """0-based index of the page holding the signer block (usually the last one)."""

    number_box: Box
    """The "Số: ..." field."""

    date_box: Box
    """The place/date line field ("Kiên Giang, ngày ... tháng ... năm ...")."""

    leader_box: Box
    """The leader's signature image box, between the position line and the name."""

    seal_size: float = DEFAULT_SEAL_SIZE
    """Diameter of the body's seal at real size, in points (36 mm by default)."""

    number_page: int | None = None
    """Page of the number/date fields when not :attr:`page` (usually page 0)."""

    def body_box(self) -> Box:
        """The seal field: real size, centred on the leader box, over its left third."""
        box = self.leader_box
        right = box.x0 + box.width / 3
        mid_y = (box.y0 + box.y1) / 2
        half = self.seal_size / 2
        return Box(right - self.seal_size, mid_y - half, right, mid_y + half)


@dataclass(frozen=True)
class SignOptions:
    """Everything one signature needs besides the document and the key."""

    field_name: str | None = None
    """Signature field to fill (created when missing)."""

    certify: bool = False
    """Certification signature (DocMDP P=2) instead of an approval signature."""

    appearance: Appearance | None = None
    """Visible appearance; ``None`` signs invisibly (or with an empty box)."""

    level: PadesLevel = PadesLevel.B_T
    """PAdES level to reach."""

    timestamps: TimestampSource | None = None
    """Time-stamp source; required from B-T up."""

    revocation: RevocationSource = field(default_factory=EmbeddedOnly)
    """Where CRL/OCSP data comes from (B-LT embeds it; also used to refuse revoked keys)."""

    trust_roots: tuple[bytes, ...] = ()
    """Trust anchors (DER or PEM) for B-LT path building; default: the key's own root."""

    on_tsa_failure: Literal["fail", "downgrade"] = "fail"
    """TSA down: raise, or sign at B-B and report that an upgrade is needed."""

    reason: str | None = None
    """/Reason of the signature dictionary."""

    location: str | None = None
    """/Location of the signature dictionary."""

    new_field_box: Box | None = None
    """Box for a field created at signing time (page :attr:`new_field_page`)."""

    new_field_page: int = 0
    """Page of a field created at signing time."""


@dataclass(frozen=True)
class SignResult:
    """Outcome of one signature."""

    pdf: bytes = field(repr=False)
    """The signed PDF."""

    field_name: str
    """The signature field used."""

    level: PadesLevel
    """The level actually reached."""

    needs_upgrade: bool = False
    """True when a TSA failure made us sign at B-B instead of the level asked for."""

    signed_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    """Signing time (as claimed in the signature dictionary)."""


@dataclass(frozen=True)
class ExternalSigningRequest:
    """What :func:`prepare_external` hands to the outside signer."""

    digest: bytes
    """SHA-256 of :attr:`signed_attributes` — what a hash-signing service signs."""

    digest_algorithm: str
    """Always ``"sha256"``."""

    signed_attributes: bytes
    """DER of the CMS signed attributes; a PKCS#11 token signs these bytes."""

    handle: bytes = field(repr=False)
    """Opaque state for :func:`complete_external`; keep it server-side."""

    def to_json(self) -> str:
        """JSON for the CLI client (without the handle)."""
        return json.dumps(
            {
                "digest": base64.b64encode(self.digest).decode(),
                "digest_algorithm": self.digest_algorithm,
                "signed_attributes": base64.b64encode(self.signed_attributes).decode(),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> ExternalSigningRequest:
        """Inverse of :meth:`to_json` (the handle stays empty)."""
        data = json.loads(text)
        return cls(
            digest=base64.b64decode(data["digest"]),
            digest_algorithm=str(data["digest_algorithm"]),
            signed_attributes=base64.b64decode(data["signed_attributes"]),
            handle=b"",
        )


# ----------------------------------------------------------------------------- helpers


def _run(coro):  # type: ignore[no-untyped-def]
    """``asyncio.run(coro)`` without its SIGINT handler.

    ``asyncio.run`` installs and then restores a SIGINT handler holding the main task;
    ``signal.getsignal``/``signal.signal`` try to turn that handler into an enum, and the
    failed attempt formats ``repr()`` of the task — of its arguments, the whole PDF. On a
    5 MB document that was ~60 ms and ~20 MiB (a 20 MB repr string) per call.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            return loop.run_until_complete(coro)
        finally:
            try:
                pending = asyncio.all_tasks(loop)
                for task in pending:
                    task.cancel()
                if pending:
                    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
            finally:
                asyncio.set_event_loop(None)
                loop.close()
    raise SigningFailedError(
        "Không gọi hàm ký đồng bộ trong vòng lặp sự kiện",
        "Do not call the synchronous signing API inside a running event loop",
    )


def _load_cert(data: bytes) -> asn1_x509.Certificate:
    if pem.detect(data):
        _, _, data = pem.unarmor(data)
    return asn1_x509.Certificate.load(data)


def _trust_roots(key_chain: Sequence[asn1_x509.Certificate], roots: Sequence[bytes]) -> list:
    if roots:
        return [_load_cert(item) for item in roots]
    return [cert for cert in key_chain if cert.self_signed == "maybe" or cert.self_signed == "yes"]


def _field_names(pdf_handler) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Map of terminal field name → field type (/Sig, /Tx, ...)."""
    try:
        fields = pdf_handler.root["/AcroForm"]["/Fields"]
    except KeyError:
        return {}
    result: dict[str, str] = {}

    def walk(items, prefix: str, depth: int) -> None:  # type: ignore[no-untyped-def]
        if depth > 16:
            return
        for ref in items:
            obj = ref.get_object()
            name = str(obj.get("/T", ""))
            full = f"{prefix}.{name}" if prefix and name else (name or prefix)
            if "/Kids" in obj and any("/T" in k.get_object() for k in obj["/Kids"]):
                walk(obj["/Kids"], full, depth + 1)
            else:
                result[full] = str(obj.get("/FT", ""))

    walk(fields, "", 0)
    return result


def _signature_count(pdf: bytes) -> int:
    reader = open_reader(pdf)
    return len(reader.embedded_signatures)


def _check_key_time(key: SignerKey) -> None:
    if not key.is_time_valid():
        raise CertificateExpiredError(
            f"Chứng thư số của {key.subject_name} hết hạn ngày "
            f"{key.not_after:%d/%m/%Y} hoặc chưa có hiệu lực",
            f"The certificate of {key.subject_name} expired on {key.not_after:%Y-%m-%d} "
            "or is not yet valid",
        )


def _validation_context(
    key: SignerKey | None,
    options: SignOptions,
    extra_certs: Sequence[asn1_x509.Certificate] = (),
) -> ValidationContext:
    chain = list(key.chain) if key else list(extra_certs)
    backend = options.revocation.fetcher_backend()
    return ValidationContext(
        trust_roots=_trust_roots(chain, options.trust_roots),
        other_certs=chain,
        allow_fetching=backend is not None,
        fetcher_backend=backend,
        revocation_mode="soft-fail",
    )


async def _check_not_revoked(
    cert: asn1_x509.Certificate, chain: Sequence[asn1_x509.Certificate], vc: ValidationContext
) -> ValidationPath:
    # the key usage pyHanko's own pre-signing check asks for (that check is skipped: this
    # one, with the same context, replaces it)
    validator = CertificateValidator(cert, intermediate_certs=list(chain), validation_context=vc)
    try:
        return await validator.async_validate_usage(set(DEFAULT_SIGNER_KEY_USAGE))
    except cv_errors.RevokedError as exc:
        raise CertificateRevokedError() from exc
    except cv_errors.ExpiredError as exc:
        raise CertificateExpiredError() from exc
    except (cv_errors.PathBuildingError, cv_errors.PathValidationError) as exc:
        raise SignerCertificateError(
            f"Không xác minh được chuỗi chứng thư của người ký: {exc}",
            f"The signer's certificate chain cannot be validated: {exc}",
        ) from exc


def _reserve(level: PadesLevel, certs: Sequence[asn1_x509.Certificate]) -> int:
    """Hex characters to reserve for /Contents: the CMS (certificates, signed attributes,
    signature) plus a time-stamp token, with a margin. Reserving up front spares pyHanko
    a dry-run signature and a dummy time-stamp request to estimate the size."""
    size = _RESERVE_BASE + sum(len(cert.dump()) for cert in certs)
    if level.rank >= PadesLevel.B_T.rank:
        size += _RESERVE_TIMESTAMP
    return 2 * size


def _is_size_overflow(exc: BaseException) -> bool:
    return isinstance(exc, PyHankoSigningError) and "larger than expected" in str(exc)


def _is_timestamp_failure(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, TimestampRequestError | TimestampError):
            return True
        current = current.__cause__ or current.__context__
    return False


# ----------------------------------------------------------------------------- drafts


def _add_text_field(writer, name: str, page_index: int, box: Box) -> None:  # type: ignore[no-untyped-def]
    page_ref = writer.find_page_for_modification(page_index)[0]
    widget = generic.DictionaryObject(
        {
            pdf_name("/FT"): pdf_name("/Tx"),
            pdf_name("/T"): pdf_string(name),
            pdf_name("/Type"): pdf_name("/Annot"),
            pdf_name("/Subtype"): pdf_name("/Widget"),
            pdf_name("/Rect"): generic.ArrayObject(
                [generic.FloatObject(v) for v in box.as_tuple()]
            ),
            pdf_name("/F"): generic.NumberObject(4),
            pdf_name("/P"): page_ref,
            pdf_name("/DA"): pdf_string("/Helv 0 Tf 0 g"),
        }
    )
    widget_ref = writer.add_object(widget)
    form = writer.root["/AcroForm"]
    form["/Fields"].append(widget_ref)
    writer.update_container(form["/Fields"])
    page = page_ref.get_object()
    annots = page.get("/Annots")
    if annots is None:
        page["/Annots"] = generic.ArrayObject([widget_ref])
        writer.update_container(page)
    else:
        annots = annots.get_object() if isinstance(annots, generic.IndirectObject) else annots
        annots.append(widget_ref)
        if isinstance(page.raw_get("/Annots"), generic.IndirectObject):
            writer.mark_update(page.raw_get("/Annots"))
        else:
            writer.update_container(page)


def prepare_draft(pdf: bytes, layout: DraftLayout) -> bytes:
    """Add the number/date text fields and both signature fields to an unsigned draft."""
    writer = open_writer(pdf)
    if writer.prev.embedded_signatures:
        raise DocumentStateError(
            "Chỉ chuẩn bị được dự thảo chưa có chữ ký số",
            "Only an unsigned draft can be prepared",
        )
    existing = _field_names(writer)
    for name in (NUMBER_FIELD, DATE_FIELD, LEADER_FIELD, BODY_FIELD):
        if name in existing:
            raise DocumentStateError(
                f"Dự thảo đã có trường {name}", f"The draft already has a field {name}"
            )
    pages = int(writer.root["/Pages"]["/Count"])
    number_page = layout.page if layout.number_page is None else layout.number_page
    if not (0 <= layout.page < pages and 0 <= number_page < pages):
        raise DocumentStateError(
            f"Trang {layout.page + 1} không có trong văn bản ({pages} trang)",
            f"Page {layout.page + 1} is not in the document ({pages} pages)",
        )
    try:
        sig_fields.append_signature_field(
            writer,
            SigFieldSpec(
                LEADER_FIELD,
                on_page=layout.page,
                box=layout.leader_box.as_tuple(),  # type: ignore[arg-type]
                field_mdp_spec=FieldMDPSpec(
                    FieldMDPAction.EXCLUDE, fields=[NUMBER_FIELD, DATE_FIELD, BODY_FIELD]
                ),
            ),
        )
        sig_fields.append_signature_field(
            writer,
            SigFieldSpec(
                BODY_FIELD,
                on_page=layout.page,
                box=layout.body_box().as_tuple(),  # type: ignore[arg-type]
                # Locks every field, the number and date included: after issuance nothing
                # may change. (Validate with signing.validate.DIFF_POLICY, see there.)
                field_mdp_spec=FieldMDPSpec(FieldMDPAction.ALL),
            ),
        )
        _add_text_field(writer, NUMBER_FIELD, number_page, layout.number_box)
        _add_text_field(writer, DATE_FIELD, number_page, layout.date_box)
        out = io.BytesIO()
        writer.write(out)
    except (PdfError, KeyError, ValueError, TypeError) as exc:
        raise PdfReadError(
            f"Không thêm được trường vào dự thảo: {exc}", f"Cannot add fields to the draft: {exc}"
        ) from exc
    result = out.getvalue()
    finished(writer, out)
    return result


def _field_style(size: float, *, italic: bool = False) -> TextBoxStyle:
    return TextBoxStyle(
        font=font_factory(size, italic=italic),
        font_size=int(size),
        border_width=0,
        text_color=(0, 0, 0),
        box_layout_rule=SimpleBoxLayoutRule(
            x_align=AxisAlignment.ALIGN_MIN,
            y_align=AxisAlignment.ALIGN_MID,
            inner_content_scaling=InnerScaling.SHRINK_TO_FIT,
        ),
    )


def fill_number(
    pdf: bytes,
    *,
    number: str,
    date_line: str,
    font_size: float = FIELD_FONT_SIZE,
) -> bytes:
    """Write the number/notation (upright) and the place/date line (italic, as Decree
    30/2020 sets it) into their fields, in an incremental update."""
    from pyhanko.pdf_utils.form_tools import populate_static_text_field

    writer = open_writer(pdf)
    names = _field_names(writer)
    missing = [n for n in (NUMBER_FIELD, DATE_FIELD) if names.get(n) != "/Tx"]
    if missing:
        raise DraftNotPreparedError(
            f"Văn bản thiếu trường {', '.join(missing)}",
            f"The document lacks the field(s) {', '.join(missing)}",
        )
    try:
        populate_static_text_field(writer, NUMBER_FIELD, _field_style(font_size), number)
        # Decree 30/2020, Appendix I: the place/date line is set in italics
        populate_static_text_field(
            writer, DATE_FIELD, _field_style(font_size, italic=True), date_line
        )
    except (PdfError, FormFillingError) as exc:
        raise DocumentStateError(
            "Số và ngày văn bản đã được điền", "The number and date are already filled"
        ) from exc
    out = io.BytesIO()
    writer.write(out)
    result = out.getvalue()
    finished(writer, out)
    return result


# ----------------------------------------------------------------------------- signing


def _metadata(
    options: SignOptions, field_name: str, level: PadesLevel, vc: ValidationContext | None
) -> PdfSignatureMetadata:
    return PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        certify=options.certify,
        docmdp_permissions=MDPPerm.FILL_FORMS,
        # B-LT/B-LTA are finished by _finish_levels (validation data of ALL signatures)
        validation_context=vc,
        reason=options.reason,
        location=options.location,
    )


def _new_field_spec(writer, options: SignOptions, field_name: str) -> SigFieldSpec | None:  # type: ignore[no-untyped-def]
    if field_name in _field_names(writer):
        return None
    box = options.new_field_box
    if box is None and isinstance(options.appearance, InfoTextAppearance):
        page = writer.find_page_for_modification(options.new_field_page)[0].get_object()
        x0, y0, x1, y1 = _media_box(page)
        box = Box(*info_box(options.appearance, x1 - x0, y1 - y0))
        box = Box(box.x0 + x0, box.y0 + y0, box.x1 + x0, box.y1 + y0)
    return SigFieldSpec(
        field_name,
        on_page=options.new_field_page,
        box=box.as_tuple() if box else None,  # type: ignore[arg-type]
    )


def _media_box(page) -> tuple[float, float, float, float]:  # type: ignore[no-untyped-def]
    """The page's /MediaBox, inherited from the page tree when absent."""
    node = page
    for _ in range(32):
        if "/MediaBox" in node:
            x0, y0, x1, y1 = (float(v) for v in node["/MediaBox"])
            return (x0, y0, x1, y1)
        if "/Parent" not in node:
            break
        node = node["/Parent"].get_object()
    return (0.0, 0.0, 595.28, 841.89)  # A4, the Decree 30 paper size


async def _sign_once(
    pdf: bytes, key: SignerKey, options: SignOptions, level: PadesLevel, field_name: str
) -> tuple[io.BytesIO, ValidationContext | None]:
    """Sign once; the result is the open output buffer, which B-LT/B-LTA extend in place."""
    writer = open_writer(pdf)
    names = _field_names(writer)
    if field_name in names and names[field_name] != "/Sig":
        raise DocumentStateError(
            f"Trường {field_name} không phải trường chữ ký",
            f"Field {field_name} is not a signature field",
        )
    timestamper = None
    if level.rank >= PadesLevel.B_T.rank:
        if options.timestamps is None:
            raise TimestampError(
                "Cần máy chủ cấp dấu thời gian cho mức ký " + level.value,
                f"A time-stamp authority is needed for level {level.value}",
            )
        timestamper = options.timestamps.timestamper()
    vc = None
    if options.revocation.fetcher_backend() is not None or level.rank >= PadesLevel.B_LT.rank:
        vc = _validation_context(key, options)
        memo = check_key(
            options.revocation,
            key.certificate.sha256,
            (root.sha256 for root in _trust_roots(key.chain, options.trust_roots)),
            "sign",
        )
        if recently_checked(memo) is None:
            path = await _check_not_revoked(key.certificate, key.chain, vc)
            note_checked(memo, CheckedPath(path, tuple(vc.ocsps), tuple(vc.crls)))
    style = stamp_style(options.appearance) if options.appearance else None
    signer = PdfSigner(
        # no validation context for pyHanko: its pre-signing check repeats ours and probes
        # the TSA with a dummy request; validation data is embedded by _finish_levels
        _metadata(options, field_name, level, None),
        key.signer,
        timestamper=timestamper,
        stamp_style=style,
        new_field_spec=_new_field_spec(writer, options, field_name),
    )
    out = io.BytesIO()
    try:
        await signer.async_sign_pdf(
            writer, output=out, bytes_reserved=_reserve(level, [key.certificate, *key.chain])
        )
    except PyHankoSigningError as exc:
        if not _is_size_overflow(exc):
            raise
        # an unusually large time-stamp token: let pyHanko measure (slower, always fits)
        writer = open_writer(pdf)
        signer = PdfSigner(
            _metadata(options, field_name, level, None), key.signer, timestamper=timestamper,
            stamp_style=style, new_field_spec=_new_field_spec(writer, options, field_name),
        )
        out = io.BytesIO()
        await signer.async_sign_pdf(writer, output=out)
    finished(writer)
    return out, vc


def _finish_levels(
    signed: io.BytesIO, options: SignOptions, level: PadesLevel, vc: ValidationContext | None
) -> bytes:
    """B-LT: embed validation data of every signature; B-LTA: then a document time-stamp.

    Both are incremental updates appended in place to ``signed`` (the signature's output
    buffer): no intermediate copy of the document, so the peak is the input plus one
    growing buffer."""
    try:
        if level.rank >= PadesLevel.B_LT.rank:
            _embed_validation_data_into(
                signed, revocation=options.revocation, trust_roots=options.trust_roots
            )
        if level == PadesLevel.B_LTA:
            assert options.timestamps is not None
            _timestamp_into(signed, options.timestamps)
        return signed.getvalue()
    finally:
        finished(signed)


def sign_pdf(pdf: bytes, key: SignerKey, options: SignOptions) -> SignResult:
    """Sign ``pdf`` with ``key`` as ``options`` say; the input is never modified."""
    _check_key_time(key)
    field_name = options.field_name or LEADER_FIELD
    if options.certify and _signature_count(pdf):
        raise DocumentStateError(
            "Chữ ký chứng thực phải là chữ ký đầu tiên của văn bản",
            "A certification signature must be the document's first signature",
        )
    try:
        signed, vc = _run(_sign_once(pdf, key, options, options.level, field_name))
        return SignResult(
            pdf=_finish_levels(signed, options, options.level, vc),
            field_name=field_name,
            level=options.level,
        )
    except SigningLibraryError as exc:
        if not (isinstance(exc, TimestampError) and options.on_tsa_failure == "downgrade"):
            raise
    except Exception as exc:  # noqa: BLE001 — every pyHanko failure becomes our error
        if not _is_timestamp_failure(exc):
            raise _translate(exc) from exc
        if options.on_tsa_failure != "downgrade":
            ts = options.timestamps.describe() if options.timestamps else ""
            raise TimestampError(
                f"Máy chủ cấp dấu thời gian {ts} không phản hồi",
                f"The time-stamp authority {ts} did not answer",
            ) from exc
    signed, _ = _run(
        _sign_once(pdf, key, replace(options, revocation=EmbeddedOnly()), PadesLevel.B_B,
                   field_name)
    )
    return SignResult(pdf=_finish_levels(signed, options, PadesLevel.B_B, None),
                      field_name=field_name, level=PadesLevel.B_B, needs_upgrade=True)


def _translate(exc: BaseException) -> SigningLibraryError:
    if isinstance(exc, SigningLibraryError):
        return exc
    if isinstance(exc, cv_errors.RevokedError):
        return CertificateRevokedError()
    if isinstance(exc, PyHankoSigningError | PdfError):
        return SigningFailedError(f"Ký số thất bại: {exc}", f"Signing failed: {exc}")
    return SigningFailedError(
        f"Ký số thất bại: {type(exc).__name__}: {exc}", f"Signing failed: {type(exc).__name__}"
    )


def _require_field(pdf: bytes, name: str) -> None:
    names = _field_names(open_reader(pdf))
    if names.get(name) != "/Sig":
        raise DraftNotPreparedError(
            f"Văn bản chưa có trường chữ ký {name}", f"The document has no signature field {name}"
        )


def certify_draft(
    pdf: bytes,
    key: SignerKey,
    *,
    signature_png: bytes,
    options: SignOptions | None = None,
) -> SignResult:
    """The leader's certification signature (DocMDP P=2, FieldMDP lock, B-T by default)."""
    _require_field(pdf, LEADER_FIELD)
    opts = replace(
        options or SignOptions(),
        field_name=LEADER_FIELD,
        certify=True,
        appearance=person_appearance(signature_png),
    )
    return sign_pdf(pdf, key, opts)


def seal_document(
    pdf: bytes,
    key: SignerKey,
    *,
    seal_png: bytes,
    options: SignOptions | None = None,
) -> SignResult:
    """The body's signature with its seal image in the pre-created field."""
    _require_field(pdf, BODY_FIELD)
    names = _field_names(open_reader(pdf))
    if names.get(NUMBER_FIELD) != "/Tx":
        raise DraftNotPreparedError()
    opts = replace(
        options or SignOptions(level=PadesLevel.B_LTA),
        field_name=BODY_FIELD,
        certify=False,
        appearance=seal_appearance(seal_png),
    )
    return sign_pdf(pdf, key, opts)


def sign_attachment(
    pdf: bytes,
    key: SignerKey,
    *,
    main_number: str,
    body_name: str,
    options: SignOptions | None = None,
    signed_at: datetime | None = None,
) -> SignResult:
    """The body's signature on a separate-file attachment (info text at top right)."""
    moment = signed_at or datetime.now(UTC)
    opts = replace(
        options or SignOptions(level=PadesLevel.B_LTA),
        field_name=(options.field_name if options and options.field_name else ATTACHMENT_FIELD),
        certify=False,
        appearance=attachment_appearance(main_number, body_name, moment),
    )
    result = sign_pdf(pdf, key, opts)
    return replace(result, signed_at=moment)


def sign_copy(
    pdf: bytes,
    key: SignerKey,
    *,
    copy_form: CopyForm,
    body_name: str,
    options: SignOptions | None = None,
    signed_at: datetime | None = None,
) -> SignResult:
    """The copying body's signature on an electronic copy (sao y, sao lục, trích sao)."""
    moment = signed_at or datetime.now(UTC)
    opts = replace(
        options or SignOptions(level=PadesLevel.B_LTA),
        field_name=(options.field_name if options and options.field_name else COPY_FIELD),
        certify=False,
        appearance=copy_appearance(copy_form, body_name, moment),
    )
    result = sign_pdf(pdf, key, opts)
    return replace(result, signed_at=moment)


def add_document_timestamp(
    pdf: bytes,
    *,
    timestamps: TimestampSource,
    revocation: RevocationSource | None = None,
    trust_roots: tuple[bytes, ...] = (),
) -> bytes:
    """Embed validation data for the last signature (when ``revocation`` fetches) and a
    document time-stamp: upgrades a B-B signature left by a TSA failure, or B-LT to B-LTA."""
    stream = io.BytesIO(pdf)  # copied on the first write: ``pdf`` itself never changes
    try:
        if revocation is not None and revocation.fetcher_backend() is not None:
            _embed_validation_data_into(stream, revocation=revocation, trust_roots=trust_roots)
        _timestamp_into(stream, timestamps)
        return stream.getvalue()
    finally:
        finished(stream)


def _timestamp_into(stream: io.BytesIO, timestamps: TimestampSource) -> None:
    """Append a document time-stamp to the PDF in ``stream`` (in place)."""
    writer = open_writer(stream)
    stamper = PdfTimeStamper(timestamps.timestamper())
    try:
        _run(stamper.async_timestamp_pdf(writer, "sha256", in_place=True))
    except Exception as exc:  # noqa: BLE001
        if _is_timestamp_failure(exc):
            raise TimestampError() from exc
        raise _translate(exc) from exc


def embed_validation_data(
    pdf: bytes,
    *,
    revocation: RevocationSource,
    trust_roots: tuple[bytes, ...] = (),
    validation_context: ValidationContext | None = None,
) -> bytes:
    """Fetch and embed (DSS, one incremental update) the certificates and CRL/OCSP
    answers of every signature and signature time-stamp in ``pdf``.

    All signatures, not only the last: a verifier holding OCSP answers from an issuer
    for some certificates treats a missing answer for a sibling certificate as a
    failed revocation check, so the leader's certificate needs its own answer too.
    Each distinct certificate is validated once; a certificate checked less than
    :data:`signing.revocation.CHECK_TTL` seconds ago (at signing, or by an earlier
    B-LT) contributes the path and answers of that check instead of new ones.
    """
    stream = io.BytesIO(pdf)  # copied on the first write: ``pdf`` itself never changes
    try:
        _embed_validation_data_into(stream, revocation=revocation, trust_roots=trust_roots,
                                    validation_context=validation_context)
        return stream.getvalue()
    finally:
        finished(stream)


def _embed_validation_data_into(
    stream: io.BytesIO,
    *,
    revocation: RevocationSource,
    trust_roots: tuple[bytes, ...] = (),
    validation_context: ValidationContext | None = None,
) -> None:
    """:func:`embed_validation_data` appended in place to the PDF in ``stream``."""
    reader = open_reader(stream)
    signatures = [s for s in reader.embedded_signatures if s.sig_object_type == "/Sig"]
    if not signatures:
        raise DocumentStateError("Văn bản không có chữ ký số", "The document has no signature")
    chain: list[asn1_x509.Certificate] = []
    for emb in signatures:
        chain.extend(emb.other_embedded_certs)
    roots = _trust_roots(chain, trust_roots)
    root_ids = [root.sha256 for root in roots]
    backend = revocation.fetcher_backend()
    if validation_context is not None:
        validation_context.certificate_registry.register_multiple(chain)

    async def check(cert: asn1_x509.Certificate, others: Sequence[asn1_x509.Certificate]) -> (
        CheckedPath
    ):
        for purpose in ("sign", "embed"):
            hit = recently_checked(check_key(revocation, cert.sha256, root_ids, purpose))
            if hit is not None:
                return hit
        # a context of its own, so that the answers remembered are this certificate's
        vc = validation_context or ValidationContext(
            trust_roots=roots,
            other_certs=chain,
            allow_fetching=backend is not None,
            fetcher_backend=backend,
            revocation_mode="soft-fail",
        )
        validator = CertificateValidator(cert, intermediate_certs=others, validation_context=vc)
        path = await validator.async_validate_usage(key_usage=set())
        checked = CheckedPath(path, tuple(vc.ocsps), tuple(vc.crls))
        if validation_context is None and (checked.ocsps or checked.crls):
            note_checked(check_key(revocation, cert.sha256, root_ids, "embed"), checked)
        return checked

    async def collect() -> list[CheckedPath]:
        # what pyHanko's collect_validation_info does for every signature and its
        # time-stamps, once per distinct certificate (the TSA signs every time-stamp)
        results: list[CheckedPath] = []
        seen: set[bytes] = set()
        for emb in signatures:
            signed = [emb.signed_data]
            for attached in (False, True):
                signed.extend(extract_tst_data_iter(emb.signer_info, signed=attached))
            for signed_data in signed:
                info = extract_certificate_info(signed_data)
                if info.signer_cert.sha256 not in seen:
                    seen.add(info.signer_cert.sha256)
                    results.append(await check(info.signer_cert, info.other_certs))
        return results

    try:
        checked = _run(collect())
        writer = IncrementalPdfFileWriter.from_reader(reader)
        DocumentSecurityStore.supply_dss_in_writer(
            writer,
            None,
            paths=[item.path for item in checked],
            ocsps=_unique(item for c in checked for item in c.ocsps),
            crls=_unique(item for c in checked for item in c.crls),
            embed_roots=True,
        )
        writer.write_in_place()
    except SigningLibraryError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise RevocationInfoError(
            f"Không nhúng được dữ liệu kiểm tra chữ ký: {exc}",
            f"Cannot embed validation data: {exc}",
        ) from exc


def _unique(items: Iterable[Any]) -> list[Any]:
    """ASN.1 values without byte-identical repeats, in order."""
    seen: set[bytes] = set()
    result = []
    for item in items:
        der = item.dump()
        if der not in seen:
            seen.add(der)
            result.append(item)
    return result


# ----------------------------------------------------------------------------- external


def _encode_handle(data: dict[str, object]) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode("ascii")


def prepare_external(
    pdf: bytes,
    certificate: bytes,
    *,
    chain: Sequence[bytes] = (),
    options: SignOptions | None = None,
) -> ExternalSigningRequest:
    """Step 1 of external signing: build the placeholder and the attributes to sign."""
    opts = options or SignOptions()
    cert = _load_cert(certificate)
    others = [_load_cert(item) for item in chain]
    field_name = opts.field_name or LEADER_FIELD
    if opts.certify and _signature_count(pdf):
        raise DocumentStateError(
            "Chữ ký chứng thực phải là chữ ký đầu tiên của văn bản",
            "A certification signature must be the document's first signature",
        )
    public_key = cert.public_key
    placeholder = bytes(256) if public_key.algorithm == "rsa" else 72
    ext = ExternalSigner(
        signing_cert=cert,
        cert_registry=SimpleCertificateStore.from_certs([cert, *others]),
        signature_value=placeholder,
    )

    async def run() -> tuple[PreparedByteRangeDigest, bytes, cms.CMSAttributes]:
        writer = open_writer(pdf)
        signer = PdfSigner(
            _metadata(opts, field_name, PadesLevel.B_B, None),
            ext,
            stamp_style=stamp_style(opts.appearance) if opts.appearance else None,
            new_field_spec=_new_field_spec(writer, opts, field_name),
        )
        prep, _tbs, output = await signer.async_digest_doc_for_signing(
            writer, bytes_reserved=_reserve(opts.level, [cert, *others]) + 4096
        )
        attrs = await ext.signed_attrs(prep.document_digest, "sha256", use_pades=True)
        output.seek(0)
        return prep, output.read(), attrs

    try:
        prep, prepared_pdf, attrs = _run(run())
    except SigningLibraryError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise _translate(exc) from exc
    attrs_der = attrs.dump()
    handle = _encode_handle(
        {
            "v": 1,
            "pdf": base64.b64encode(prepared_pdf).decode(),
            "digest": prep.document_digest.hex(),
            "start": prep.reserved_region_start,
            "end": prep.reserved_region_end,
            "attrs": base64.b64encode(attrs_der).decode(),
            "cert": base64.b64encode(cert.dump()).decode(),
            "chain": [base64.b64encode(c.dump()).decode() for c in others],
            "level": opts.level.value,
            "field": field_name,
        }
    )
    return ExternalSigningRequest(
        digest=hashlib.sha256(attrs_der).digest(),
        digest_algorithm="sha256",
        signed_attributes=attrs_der,
        handle=handle,
    )


def _verify_raw(cert: asn1_x509.Certificate, data: bytes, signature: bytes) -> None:
    from cryptography import x509 as c_x509

    public_key = c_x509.load_der_x509_certificate(cert.dump()).public_key()
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
        else:
            raise ExternalSigningError("Loại khóa không hỗ trợ", "Unsupported key type")
    except InvalidSignature as exc:
        raise ExternalSigningError(
            "Chữ ký nhận về không khớp với chứng thư số hoặc dữ liệu cần ký",
            "The returned signature does not match the certificate or the signed data",
        ) from exc


def complete_external(
    handle: bytes,
    signature: bytes,
    *,
    timestamps: TimestampSource | None = None,
    revocation: RevocationSource | None = None,
    trust_roots: tuple[bytes, ...] = (),
) -> SignResult:
    """Step 2: embed a raw signature (over the signed attributes) or a whole CMS."""
    try:
        state = json.loads(handle.decode("ascii"))
        prepared_pdf = base64.b64decode(state["pdf"])
        prep = PreparedByteRangeDigest(
            document_digest=bytes.fromhex(state["digest"]),
            reserved_region_start=int(state["start"]),
            reserved_region_end=int(state["end"]),
        )
        attrs = cms.CMSAttributes.load(base64.b64decode(state["attrs"]))
        cert = asn1_x509.Certificate.load(base64.b64decode(state["cert"]))
        chain = [asn1_x509.Certificate.load(base64.b64decode(c)) for c in state["chain"]]
        level = PadesLevel(state["level"])
        field_name = str(state["field"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise ExternalSigningError(
            "Mã phiên ký không hợp lệ", "Invalid external signing handle"
        ) from exc
    timestamper = None
    if level.rank >= PadesLevel.B_T.rank:
        if timestamps is None:
            raise TimestampError()
        timestamper = timestamps.timestamper()

    async def build() -> cms.ContentInfo:
        try:
            info = cms.ContentInfo.load(signature)
            if info["content_type"].native == "signed_data":
                return info
        except ValueError:
            pass
        _verify_raw(cert, attrs.dump(), signature)
        ext = ExternalSigner(
            signing_cert=cert,
            cert_registry=SimpleCertificateStore.from_certs([cert, *chain]),
            signature_value=signature,
        )
        return await ext.async_sign_prescribed_attributes(
            "sha256", signed_attrs=attrs, timestamper=timestamper
        )

    try:
        sig_cms = _run(build())
        output = io.BytesIO(prepared_pdf)
        _run(PdfTBSDocument.async_finish_signing(output, prep, sig_cms))
        signed = output.getvalue()
    except SigningLibraryError:
        raise
    except Exception as exc:  # noqa: BLE001
        if _is_timestamp_failure(exc):
            raise TimestampError() from exc
        raise ExternalSigningError(
            f"Không hoàn tất được chữ ký: {exc}", f"Cannot complete the signature: {exc}"
        ) from exc
    if level.rank >= PadesLevel.B_LT.rank:
        source = revocation or EmbeddedOnly()
        signed = embed_validation_data(signed, revocation=source, trust_roots=trust_roots)
    if level == PadesLevel.B_LTA and timestamps is not None:
        signed = add_document_timestamp(signed, timestamps=timestamps)
    return SignResult(pdf=signed, field_name=field_name, level=level)


def sign_external_request(request: ExternalSigningRequest, key: SignerKey) -> bytes:
    """Client side of external signing: sign the request's attributes with a local key."""
    try:
        return _run(key.signer.async_sign_raw(request.signed_attributes, "sha256"))
    except Exception as exc:  # noqa: BLE001
        raise ExternalSigningError(
            f"Thiết bị ký không ký được: {exc}", f"The key could not sign: {exc}"
        ) from exc


__all__ = [
    "ATTACHMENT_FIELD",
    "BODY_FIELD",
    "COPY_FIELD",
    "DATE_FIELD",
    "LEADER_FIELD",
    "NUMBER_FIELD",
    "Box",
    "DraftLayout",
    "ExternalSigningRequest",
    "ImageAppearance",
    "PadesLevel",
    "SignOptions",
    "SignResult",
    "add_document_timestamp",
    "certify_draft",
    "complete_external",
    "embed_validation_data",
    "fill_number",
    "prepare_draft",
    "prepare_external",
    "seal_document",
    "sign_attachment",
    "sign_copy",
    "sign_external_request",
    "sign_pdf",
]

