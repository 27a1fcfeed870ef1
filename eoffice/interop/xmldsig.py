"""XMLDSig enveloped signatures for edXML packets, with lxml and cryptography.

Why not signxml: a hub adds its hop (a ``TraceHeader``) to ``TraceHeaderList`` after the sender
has signed, so the signature must cover the whole packet *except* the hops. The standard way to
say so is the XPath Filter 2.0 transform (``Filter="subtract"``); signxml 5 silently skips
transforms it does not know, which would make every relayed packet look tampered (or, worse,
let a verifier ignore a filter it did not apply). This module implements the small, fixed
profile we need and refuses everything else:

* ``Reference URI=""`` (the whole document) with the transforms, in order,
  ``enveloped-signature``, XPath Filter 2.0 ``subtract`` of ``//p:<excluded element>`` (only that
  exact expression, ``p`` bound to the excluded element's namespace), and exclusive c14n.
  Only the hop elements are excluded, not the whole ``TraceHeaderList``: QCVN 102 puts the
  ``Bussiness`` block (revoke / update / replace, receivers added and removed) in that list
  too, and it must stay signed;
* digests SHA-256/384/512, signatures RSA PKCS#1 v1.5 or ECDSA with those hashes; SHA-1
  signatures (as in the published VPCP samples) are reported as not acceptable;
* ``KeyInfo/X509Data`` carries the signer's certificate first, then its chain; trust is a walk
  from that certificate to one of the configured roots (issuer signatures, validity periods,
  CA basic constraints). Revocation is not checked here: the PDFs inside carry the legally
  binding PAdES signatures, validated with revocation data on receipt.

Removing a subtree for the digest keeps its tail text, as XPath filtering does (the text after
an element is a sibling node, not part of the element), so re-serialising or re-indenting inside
the excluded element never breaks the signature.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from lxml import etree

DS_NS = "http://www.w3.org/2000/09/xmldsig#"
FILTER2_NS = "http://www.w3.org/2002/06/xmldsig-filter2"
ALG_ENVELOPED = DS_NS + "enveloped-signature"
ALG_FILTER2 = FILTER2_NS
ALG_EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ALG_C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"

_DIGESTS: dict[str, str] = {
    "http://www.w3.org/2001/04/xmlenc#sha256": "sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384": "sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512": "sha512",
}
_DIGEST_URIS = {name: uri for uri, name in _DIGESTS.items()}
_SIGNATURES: dict[str, tuple[str, str]] = {
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256": ("rsa", "sha256"),
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384": ("rsa", "sha384"),
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512": ("rsa", "sha512"),
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256": ("ec", "sha256"),
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384": ("ec", "sha384"),
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512": ("ec", "sha512"),
}
_SIGNATURE_URIS = {value: uri for uri, value in _SIGNATURES.items()}
_WEAK = {
    "http://www.w3.org/2000/09/xmldsig#sha1",
    "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
    "http://www.w3.org/2000/09/xmldsig#dsa-sha1",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1",
}
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
_MAX_CHAIN = 8

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


class XmlSignatureError(Exception):
    """A signature that cannot be checked, with a Vietnamese reason and its English variant."""

    def __init__(self, reason: str, reason_en: str) -> None:
        super().__init__(f"{reason} ({reason_en})")
        self.reason = reason
        self.reason_en = reason_en


@dataclass(frozen=True)
class PacketSigner:
    """A body's signing key with its certificate and the chain up to (excluding) the root."""

    key: PrivateKey
    """RSA or EC private key matching ``certificate``."""
    certificate: x509.Certificate
    """The body's certificate, placed first in ``KeyInfo``."""
    chain: tuple[x509.Certificate, ...] = ()
    """Intermediate certificates, issuer after subject."""
    digest: str = "sha256"
    """Hash for the reference digest and the signature: sha256, sha384 or sha512."""

    def __post_init__(self) -> None:
        """Refuse a key that does not match its certificate or an unknown hash."""
        if self.digest not in _HASHES:
            raise ValueError(f"unsupported digest {self.digest!r}")
        if not isinstance(self.key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise ValueError("only RSA and EC keys can sign packets")
        fmt = serialization.PublicFormat.SubjectPublicKeyInfo
        enc = serialization.Encoding.DER
        if self.key.public_key().public_bytes(
            enc, fmt
        ) != self.certificate.public_key().public_bytes(enc, fmt):
            raise ValueError("the private key does not match the certificate")

    @classmethod
    def from_pkcs12(cls, data: bytes, password: bytes | None) -> PacketSigner:
        """Load a signer from a PKCS#12 store (key, certificate and chain)."""
        key, cert, extra = pkcs12.load_key_and_certificates(data, password)
        if key is None or cert is None:
            raise ValueError("the PKCS#12 store holds no key and certificate")
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise ValueError("only RSA and EC keys can sign packets")
        return cls(key=key, certificate=cert, chain=tuple(extra or ()))


@dataclass(frozen=True)
class SignatureCheck:
    """What verifying a packet's XML signature found."""

    present: bool
    """A ``Signature`` element is in the packet header."""
    valid: bool
    """Intact and issued under a trusted root."""
    signer: str
    """Common name of the signing certificate ("" when unknown)."""
    reason: str
    """Vietnamese explanation of the verdict."""
    reason_en: str = ""
    """English variant of ``reason``."""
    intact: bool = False
    """Digest and signature value match the packet (nothing changed after signing)."""
    trusted: bool = False
    """The certificate chains to one of the trust roots and is within its validity period."""


def _q(local: str) -> str:
    return f"{{{DS_NS}}}{local}"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _remove_keep_tail(element: etree._Element) -> None:
    """Detach ``element`` but keep the text that followed it in its parent."""
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    if tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)


def _index_path(element: etree._Element) -> list[int]:
    path: list[int] = []
    node = element
    while (parent := node.getparent()) is not None:
        path.append(parent.index(node))
        node = parent
    return path[::-1]


def _follow(root: etree._Element, path: list[int]) -> etree._Element:
    node = root
    for index in path:
        node = node[index]
    return node


def _document_digest(
    root: etree._Element,
    signature: etree._Element,
    excluded: tuple[str, str] | None,
    exclusive: bool,
    digest: str,
) -> bytes:
    """Digest of the document minus the signature and the excluded elements, canonicalised."""
    clone = copy.deepcopy(root)
    removals = [_follow(clone, _index_path(signature))]
    if excluded is not None:
        removals.extend(
            el
            for el in clone.iter(f"{{{excluded[0]}}}{excluded[1]}")
            if not any(anc in removals for anc in el.iterancestors())
        )
    for element in removals:
        _remove_keep_tail(element)
    canonical = etree.tostring(
        etree.ElementTree(clone), method="c14n", exclusive=exclusive, with_comments=False
    )
    return hashlib.new(digest, canonical).digest()


def _c14n_signed_info(signed_info: etree._Element, exclusive: bool) -> bytes:
    return etree.tostring(signed_info, method="c14n", exclusive=exclusive, with_comments=False)


def _sign_bytes(key: PrivateKey, digest: str, data: bytes) -> bytes:
    algorithm = _HASHES[digest]()
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), algorithm)
    der = key.sign(data, ec.ECDSA(algorithm))
    r, s = decode_dss_signature(der)
    size = (key.curve.key_size + 7) // 8
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def sign_enveloped(
    root: etree._Element,
    parent: etree._Element,
    index: int,
    signer: PacketSigner,
    *,
    excluded: tuple[str, str] | None = None,
) -> etree._Element:
    """Insert an enveloped ``ds:Signature`` into ``parent`` at ``index`` and return it.

    ``excluded`` = (namespace, local name) of elements left out of the signed content (the
    edXML ``TraceHeader`` hops), declared as an XPath Filter 2.0 subtract transform.
    """
    kind = "rsa" if isinstance(signer.key, rsa.RSAPrivateKey) else "ec"
    signature = etree.Element(_q("Signature"), nsmap={None: DS_NS})
    signed_info = etree.SubElement(signature, _q("SignedInfo"))
    etree.SubElement(signed_info, _q("CanonicalizationMethod"), Algorithm=ALG_EXC_C14N)
    etree.SubElement(
        signed_info, _q("SignatureMethod"), Algorithm=_SIGNATURE_URIS[(kind, signer.digest)]
    )
    reference = etree.SubElement(signed_info, _q("Reference"), URI="")
    transforms = etree.SubElement(reference, _q("Transforms"))
    etree.SubElement(transforms, _q("Transform"), Algorithm=ALG_ENVELOPED)
    if excluded is not None:
        filter_transform = etree.SubElement(transforms, _q("Transform"), Algorithm=ALG_FILTER2)
        xpath = etree.SubElement(
            filter_transform,
            f"{{{FILTER2_NS}}}XPath",
            nsmap={"dsig-xpath": FILTER2_NS, "ex": excluded[0]},
            Filter="subtract",
        )
    else:
        xpath = None
    etree.SubElement(transforms, _q("Transform"), Algorithm=ALG_EXC_C14N)
    etree.SubElement(reference, _q("DigestMethod"), Algorithm=_DIGEST_URIS[signer.digest])
    digest_value = etree.SubElement(reference, _q("DigestValue"))
    signature_value = etree.SubElement(signature, _q("SignatureValue"))
    key_info = etree.SubElement(signature, _q("KeyInfo"))
    x509_data = etree.SubElement(key_info, _q("X509Data"))
    for cert in (signer.certificate, *signer.chain):
        cert_el = etree.SubElement(x509_data, _q("X509Certificate"))
        cert_el.text = _b64(cert.public_bytes(serialization.Encoding.DER))
    child_space = parent.text if parent.text is not None and not parent.text.strip() else None
    if child_space is not None:
        # Keep the packet pretty-printed: indent the signature like its siblings.
        etree.indent(signature, space="  ", level=sum(1 for _ in parent.iterancestors()) + 1)
        if index >= len(parent) and len(parent):
            signature.tail = parent[-1].tail
            parent[-1].tail = child_space
        else:
            signature.tail = child_space
    parent.insert(index, signature)
    if xpath is not None and excluded is not None:
        # lxml drops our "ex" declaration when the packet already binds the namespace to a
        # prefix (edXML:), so name the element with whatever prefix is in scope now.
        prefix = next((p for p, uri in xpath.nsmap.items() if p and uri == excluded[0]), None)
        if prefix is None:
            raise ValueError(f"no namespace prefix in scope for {excluded[0]}")
        xpath.text = f"//{prefix}:{excluded[1]}"

    digest_value.text = _b64(
        _document_digest(root, signature, excluded, exclusive=True, digest=signer.digest)
    )
    signature_value.text = _b64(
        _sign_bytes(signer.key, signer.digest, _c14n_signed_info(signed_info, exclusive=True))
    )
    return signature


def _text(element: etree._Element | None) -> str:
    if element is None:
        return ""
    return "".join(element.xpath("text()")).strip()


def _only(parent: etree._Element, local: str, *, required: bool = True) -> etree._Element | None:
    found = parent.findall(_q(local))
    if len(found) > 1:
        raise XmlSignatureError(
            f"Chữ ký có nhiều phần tử {local}", f"the signature has several {local} elements"
        )
    if not found:
        if required:
            raise XmlSignatureError(
                f"Chữ ký thiếu phần tử {local}", f"the signature lacks its {local} element"
            )
        return None
    return found[0]


def _check_transforms(
    reference: etree._Element, excluded: tuple[str, str] | None
) -> tuple[bool, bool]:
    """Validate the reference's transform chain; return (applies_filter, exclusive_c14n)."""
    transforms_el = _only(reference, "Transforms", required=False)
    transforms = [] if transforms_el is None else list(transforms_el.iterchildren(_q("Transform")))
    algorithms = [t.get("Algorithm", "") for t in transforms]
    if ALG_ENVELOPED not in algorithms:
        raise XmlSignatureError(
            "Chữ ký không khai báo phép biến đổi enveloped-signature",
            "the reference lacks the enveloped-signature transform",
        )
    applies_filter = False
    exclusive = False
    for transform, algorithm in zip(transforms, algorithms, strict=True):
        if algorithm == ALG_ENVELOPED:
            continue
        if algorithm == ALG_EXC_C14N:
            exclusive = True
            continue
        if algorithm == ALG_C14N:
            exclusive = False
            continue
        if algorithm == ALG_FILTER2 and excluded is not None:
            xpaths = transform.findall(f"{{{FILTER2_NS}}}XPath")
            if len(xpaths) != 1:
                raise XmlSignatureError(
                    "Phép lọc XPath của chữ ký không hợp lệ",
                    "the XPath filter transform must hold exactly one XPath",
                )
            xpath = xpaths[0]
            match = re.fullmatch(r"//([A-Za-z_][\w.-]*):([A-Za-z_][\w.-]*)", _text(xpath))
            if (
                xpath.get("Filter") != "subtract"
                or match is None
                or xpath.nsmap.get(match.group(1)) != excluded[0]
                or match.group(2) != excluded[1]
            ):
                raise XmlSignatureError(
                    f"Chữ ký loại trừ phần khác ngoài {excluded[1]}",
                    f"the signature's XPath filter excludes something other than {excluded[1]}",
                )
            applies_filter = True
            continue
        raise XmlSignatureError(
            f"Phép biến đổi không được hỗ trợ: {algorithm}", f"unsupported transform {algorithm}"
        )
    return applies_filter, exclusive


def _load_certificates(signature: etree._Element) -> list[x509.Certificate]:
    certs: list[x509.Certificate] = []
    for cert_el in signature.iter(_q("X509Certificate")):
        try:
            der = base64.b64decode(re.sub(r"\s+", "", _text(cert_el)), validate=True)
            certs.append(x509.load_der_x509_certificate(der))
        except (ValueError, binascii.Error) as exc:
            raise XmlSignatureError(
                "Chứng thư số trong chữ ký không đọc được",
                f"a certificate in KeyInfo cannot be read: {exc}",
            ) from exc
    if not certs:
        raise XmlSignatureError(
            "Chữ ký không kèm chứng thư số (KeyInfo/X509Data)",
            "the signature carries no X509 certificate",
        )
    return certs


def common_name(cert: x509.Certificate) -> str:
    """The certificate subject's common name, or its RFC 4514 string when it has none."""
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if names:
        value = names[0].value
        return value if isinstance(value, str) else value.decode("utf-8", "replace")
    return cert.subject.rfc4514_string()


def _verify_value(cert: x509.Certificate, method: str, data: bytes, value: bytes) -> None:
    kind, digest = _SIGNATURES[method]
    public_key = cert.public_key()
    algorithm = _HASHES[digest]()
    if kind == "rsa":
        if not isinstance(public_key, rsa.RSAPublicKey):
            raise InvalidSignature("RSA signature method with a non-RSA certificate")
        public_key.verify(value, data, padding.PKCS1v15(), algorithm)
        return
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        raise InvalidSignature("ECDSA signature method with a non-EC certificate")
    size = (public_key.curve.key_size + 7) // 8
    if len(value) != 2 * size:
        raise InvalidSignature("ECDSA signature value has the wrong length")
    der = encode_dss_signature(
        int.from_bytes(value[:size], "big"), int.from_bytes(value[size:], "big")
    )
    public_key.verify(der, data, ec.ECDSA(algorithm))


def _within_validity(cert: x509.Certificate, at: datetime) -> bool:
    return cert.not_valid_before_utc <= at <= cert.not_valid_after_utc


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def check_trust(
    leaf: x509.Certificate,
    intermediates: Sequence[x509.Certificate],
    roots: Sequence[x509.Certificate],
    at: datetime,
) -> tuple[bool, str, str]:
    """Walk from ``leaf`` to a trust root; return (trusted, reason_vi, reason_en)."""
    root_fps = {r.fingerprint(hashes.SHA256()) for r in roots}
    current = leaf
    for _ in range(_MAX_CHAIN):
        if not _within_validity(current, at):
            return (
                False,
                f"Chứng thư số «{common_name(current)}» hết hạn hoặc chưa có hiệu lực",
                f"certificate {common_name(current)!r} is outside its validity period",
            )
        if current.fingerprint(hashes.SHA256()) in root_fps:
            return True, "", ""
        root = next((r for r in roots if _issued_by(current, r)), None)
        if root is not None:
            if not _within_validity(root, at):
                return (
                    False,
                    "Chứng thư gốc tin cậy hết hạn",
                    "the trust root is outside its validity period",
                )
            return True, "", ""
        issuer = next(
            (c for c in intermediates if c is not current and _is_ca(c) and _issued_by(current, c)),
            None,
        )
        if issuer is None:
            return (
                False,
                f"Chứng thư số «{common_name(leaf)}» không thuộc tổ chức chứng thực tin cậy",
                f"certificate {common_name(leaf)!r} does not chain to a trusted root",
            )
        current = issuer
    return False, "Chuỗi chứng thư quá dài", "the certificate chain is too long"


def verify_signature_element(
    root: etree._Element,
    signature: etree._Element,
    roots: Sequence[x509.Certificate],
    *,
    excluded: tuple[str, str] | None = None,
    at: datetime | None = None,
) -> SignatureCheck:
    """Verify one ``ds:Signature`` of the profile described in the module docstring."""
    at = at or datetime.now(UTC)
    signer = ""
    try:
        signed_info = _only(signature, "SignedInfo")
        assert signed_info is not None
        c14n_el = _only(signed_info, "CanonicalizationMethod")
        method_el = _only(signed_info, "SignatureMethod")
        assert c14n_el is not None and method_el is not None
        c14n = c14n_el.get("Algorithm", "")
        method = method_el.get("Algorithm", "")
        if c14n not in (ALG_EXC_C14N, ALG_C14N):
            raise XmlSignatureError(
                f"Phương pháp chuẩn hóa không được hỗ trợ: {c14n}",
                f"unsupported canonicalization {c14n}",
            )
        if method in _WEAK:
            raise XmlSignatureError(
                "Chữ ký dùng SHA-1, không còn được chấp nhận",
                f"weak signature algorithm {method}",
            )
        if method not in _SIGNATURES:
            raise XmlSignatureError(
                f"Thuật toán ký không được hỗ trợ: {method}",
                f"unsupported signature algorithm {method}",
            )
        references = signed_info.findall(_q("Reference"))
        if len(references) != 1 or references[0].get("URI") != "":
            raise XmlSignatureError(
                'Chữ ký phải tham chiếu toàn bộ gói tin (một Reference URI="")',
                'the signature must have exactly one Reference with URI=""',
            )
        reference = references[0]
        applies_filter, exclusive = _check_transforms(reference, excluded)
        digest_method_el = _only(reference, "DigestMethod")
        assert digest_method_el is not None
        digest_method = digest_method_el.get("Algorithm", "")
        if digest_method in _WEAK:
            raise XmlSignatureError(
                "Chữ ký dùng SHA-1, không còn được chấp nhận", f"weak digest {digest_method}"
            )
        if digest_method not in _DIGESTS:
            raise XmlSignatureError(
                f"Hàm băm không được hỗ trợ: {digest_method}", f"unsupported digest {digest_method}"
            )
        certs = _load_certificates(signature)
        signer = common_name(certs[0])
        try:
            expected = base64.b64decode(
                re.sub(r"\s+", "", _text(_only(reference, "DigestValue"))), validate=True
            )
            value = base64.b64decode(
                re.sub(r"\s+", "", _text(_only(signature, "SignatureValue"))), validate=True
            )
        except (ValueError, binascii.Error) as exc:
            raise XmlSignatureError(
                "Giá trị chữ ký không phải base64", "DigestValue or SignatureValue is not base64"
            ) from exc
        actual = _document_digest(
            root,
            signature,
            excluded if applies_filter else None,
            exclusive=exclusive,
            digest=_DIGESTS[digest_method],
        )
        if actual != expected:
            return SignatureCheck(
                present=True,
                valid=False,
                signer=signer,
                reason="Nội dung gói tin đã bị thay đổi sau khi ký",
                reason_en="the packet was changed after signing (digest mismatch)",
            )
        try:
            _verify_value(
                certs[0],
                method,
                _c14n_signed_info(signed_info, exclusive=c14n == ALG_EXC_C14N),
                value,
            )
        except InvalidSignature:
            return SignatureCheck(
                present=True,
                valid=False,
                signer=signer,
                reason="Giá trị chữ ký không khớp với chứng thư số",
                reason_en="the signature value does not verify with the certificate",
            )
    except XmlSignatureError as exc:
        return SignatureCheck(
            present=True, valid=False, signer=signer, reason=exc.reason, reason_en=exc.reason_en
        )
    trusted, why, why_en = check_trust(certs[0], certs[1:], roots, at)
    if not trusted:
        return SignatureCheck(
            present=True, valid=False, signer=signer, reason=why, reason_en=why_en, intact=True
        )
    return SignatureCheck(
        present=True,
        valid=True,
        signer=signer,
        reason="Chữ ký gói tin hợp lệ",
        reason_en="the packet signature is valid",
        intact=True,
        trusted=True,
    )


def load_pem_roots(trust_roots_pem: Sequence[bytes]) -> list[x509.Certificate]:
    """Load trust anchors; each item may hold one or several PEM certificates."""
    roots: list[x509.Certificate] = []
    for pem in trust_roots_pem:
        roots.extend(x509.load_pem_x509_certificates(pem))
    return roots
