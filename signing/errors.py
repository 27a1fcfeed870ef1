"""Error hierarchy of the signing library.

Every error carries a Vietnamese message (``str(error)``, shown to users first) and an
English one (``error.message_en``). Callers catch :class:`SigningLibraryError` for
"anything this library refused", or a subclass for a specific reaction (the app maps
:class:`PdfReadError` to HTTP 422, :class:`WrongPinError` to a form error, ...).
"""

from __future__ import annotations


class SigningLibraryError(Exception):
    """Base class of every error raised on purpose by ``signing``."""

    default_vi = "Lỗi ký số"
    default_en = "Signing error"

    def __init__(self, message_vi: str | None = None, message_en: str | None = None) -> None:
        self.message_vi = message_vi or self.default_vi
        self.message_en = message_en or self.default_en
        super().__init__(self.message_vi)

    def one_line(self) -> str:
        """Return ``"<Vietnamese> / <English>"`` on one line (what the CLI prints)."""
        return f"{self.message_vi} / {self.message_en}".replace("\n", " ")


# --- keys -----------------------------------------------------------------------------


class KeyStoreError(SigningLibraryError):
    """The key store (PKCS#12 file or PKCS#11 token) cannot be used."""

    default_vi = "Không mở được kho khóa"
    default_en = "Cannot open the key store"


class WrongPinError(KeyStoreError):
    """The PIN of a PKCS#12 store or a token is wrong."""

    default_vi = "Mã PIN không đúng"
    default_en = "Wrong PIN"


class KeyNotFoundError(KeyStoreError):
    """No private key (or no certificate) in the store, or not under that label."""

    default_vi = "Không tìm thấy khóa ký trong kho khóa"
    default_en = "No signing key found in the key store"


# --- certificates ---------------------------------------------------------------------


class SignerCertificateError(SigningLibraryError):
    """The signer's certificate cannot be used to sign now."""

    default_vi = "Chứng thư số của người ký không dùng được"
    default_en = "The signer's certificate cannot be used"


class CertificateExpiredError(SignerCertificateError):
    """The signer's certificate is expired or not yet valid."""

    default_vi = "Chứng thư số của người ký đã hết hạn hoặc chưa có hiệu lực"
    default_en = "The signer's certificate is expired or not yet valid"


class CertificateRevokedError(SignerCertificateError):
    """The signer's certificate has been revoked."""

    default_vi = "Chứng thư số của người ký đã bị thu hồi"
    default_en = "The signer's certificate has been revoked"


# --- documents ------------------------------------------------------------------------


class PdfReadError(SigningLibraryError):
    """The input is not a readable PDF."""

    default_vi = "Tệp không phải là PDF đọc được"
    default_en = "The file is not a readable PDF"


class NotAPdfError(PdfReadError):
    """The input does not start like a PDF at all."""

    default_vi = "Tệp không phải là PDF"
    default_en = "The file is not a PDF"


class EncryptedPdfError(PdfReadError):
    """The PDF is encrypted; the library does not sign or validate encrypted PDFs."""

    default_vi = "Tệp PDF được mã hóa, không thể ký hoặc kiểm tra"
    default_en = "The PDF is encrypted and cannot be signed or checked"


class BrokenPdfError(PdfReadError):
    """The PDF is damaged beyond what a lenient reader accepts."""

    default_vi = "Tệp PDF bị hỏng"
    default_en = "The PDF is damaged"


class DraftNotPreparedError(SigningLibraryError):
    """The draft lacks the fields that :func:`signing.sign.prepare_draft` adds."""

    default_vi = "Dự thảo chưa được chuẩn bị (thiếu trường số, ngày hoặc chữ ký)"
    default_en = "The draft is not prepared (number, date or signature field missing)"


class DocumentStateError(SigningLibraryError):
    """The operation does not fit the document's signatures (e.g. certify twice)."""

    default_vi = "Trạng thái chữ ký của văn bản không cho phép thao tác này"
    default_en = "The document's signatures do not allow this operation"


# --- services -------------------------------------------------------------------------


class TimestampError(SigningLibraryError):
    """The time-stamp authority could not be reached or answered badly."""

    default_vi = "Không lấy được dấu thời gian từ máy chủ cấp dấu thời gian"
    default_en = "Could not obtain a time-stamp from the time-stamp authority"


class RevocationInfoError(SigningLibraryError):
    """Revocation data (CRL/OCSP) needed for B-LT could not be obtained."""

    default_vi = "Không lấy được thông tin thu hồi chứng thư (CRL/OCSP)"
    default_en = "Could not obtain revocation information (CRL/OCSP)"


class ExternalSigningError(SigningLibraryError):
    """A two-step external signature could not be completed."""

    default_vi = "Không hoàn tất được chữ ký từ thiết bị bên ngoài"
    default_en = "Could not complete the external signature"


class PkiError(SigningLibraryError):
    """The development PKI directory is missing or inconsistent."""

    default_vi = "Hạ tầng khóa công khai thử nghiệm bị lỗi"
    default_en = "Development PKI error"


class SigningFailedError(SigningLibraryError):
    """Signing failed for a reason not covered by a more specific error."""

    default_vi = "Ký số thất bại"
    default_en = "Signing failed"
