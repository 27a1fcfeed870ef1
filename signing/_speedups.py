"""Faster drop-in replacements for hot spots of pyHanko and asn1crypto, installed on import.

1. ``pyhanko.pdf_utils.generic.read_hex_string_from_stream`` tokenises hex strings one
   byte at a time in Python; every signature's ``/Contents`` is a 10–40 KB hex string,
   read each time a signed PDF is opened for signing or validation. The replacement
   scans for ``>`` in blocks and decodes with ``binascii`` — same result, same errors
   (``PdfStreamError`` on a bad digit or a truncated stream).
2. The in-process time-stamp authority (:class:`CachedKeyTimeStamper`) keeps its parsed
   private key: pyHanko's ``DummyTimeStamper`` re-parses (and, for RSA, re-validates)
   it for every time-stamp, which costs tens of milliseconds.
3. The ESS ``signing-certificate(-v2)`` attributes (RFC 2634 / RFC 5035) that every CMS
   signature and every time-stamp token carries are built once per certificate and
   re-used from their DER (:func:`signing_certificate_v2`, :func:`signing_certificate`):
   a freshly built one embeds the issuer ``Name`` through explicitly tagged copies, and
   asn1crypto re-serialises that chain at every copy (``SignerInfo`` construction, the
   signed-attributes dump) — ~15 ms of CPU per signature here, against ~1 ms when the
   value is loaded from bytes (whose serialisation asn1crypto keeps).
4. asn1crypto's RFC 4518 string preparation of name attributes (every certificate
   ``Name`` comparison and issuer lookup in path building, DSS and validation) is
   memoised per string: it is a pure function, and with Vietnamese names each call
   walks several Unicode tables. Certificates are re-parsed for every document, so the
   per-object cache asn1crypto has does not help.
5. pyHanko's PDF tokenizer reads names, numbers and keywords one byte at a time
   (``misc._read_until_class``) and decodes every name byte by byte
   (``generic._decode_name``); validation reads every object of the signed revision for
   its difference analysis. The replacements scan a block with a compiled character
   class, and decode each distinct name once (a new ``NameObject`` per call: pyHanko
   sets attributes on them). Same results, stream positions and errors (property-tested).
6. ``pyhanko.sign.general.match_issuer_serial`` (finding the signer among a CMS's
   certificates, checking ESS certificate IDs) compares the issuer ``Name`` first —
   an RFC 5280 comparison of Vietnamese names for every certificate of the CMS — and
   the serial number last. :func:`match_issuer_serial` compares the serial first and
   the names only when it matches: the same conjunction, evaluated in a cheaper order.
7. The reverse cross-reference map of difference analysis skips leaf values
   (:mod:`signing._reverse_xref`).
8. ``HistoricalResolver._subsume_object`` (every object difference analysis reads is
   copied into the historical revision's view) built a container ``Reference`` for every
   value, numbers and names included, before finding out that a primitive is returned
   unchanged; :func:`subsume_object` builds it only for the containers that keep it.
   Same objects, same container references, same error for an object without one.
9. Certificates are parsed once per process: ``extract_certificate_info`` (the signer's
   and the other certificates of every CMS signature and time-stamp token, at signing,
   validation and DSS building) returns certificates from a bounded cache keyed by their
   DER (:func:`parsed_certificate`), as do the trust roots and DSS certificates of
   :mod:`signing.validate`. A freshly parsed ``asn1crypto`` certificate re-parses its
   names, extensions and key and re-hashes them at every path-building step; a cached
   one has done so once. Nothing is decided from the cache: every signature, path and
   revocation check still runs; two certificates with the same DER are the same
   certificate. Validation of a 2-signature document: −25 % CPU.
"""

from __future__ import annotations

import binascii
import os
import re
from datetime import datetime
from functools import lru_cache

from asn1crypto import cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from pyhanko.pdf_utils import generic, misc
from pyhanko.pdf_utils.misc import PDF_WHITESPACE, PdfStreamError
from pyhanko.pdf_utils.reader import HistoricalResolver
from pyhanko.sign import general
from pyhanko.sign.attributes import SigningCertificateV2Provider
from pyhanko.sign.general import simple_cms_attribute
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko.sign.validation import ades, generic_cms
from pyhanko.sign.validation import dss as pyhanko_dss
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from ._reverse_xref import ORIGINAL_LOAD_REVERSE_XREF_CACHE, load_reverse_xref_cache

_BLOCK = 16384
_HEX_DIGITS = b"0123456789abcdefABCDEF"


def read_hex_string_from_stream(stream):  # type: ignore[no-untyped-def]
    """Read ``<...>`` from ``stream`` (positioned at ``<``) into a PDF string object."""
    stream.read(1)
    chunks: list[bytes] = []
    while True:
        block = stream.read(_BLOCK)
        if not block:
            raise PdfStreamError("Stream has ended unexpectedly")
        end = block.find(b">")
        if end >= 0:
            chunks.append(block[:end])
            stream.seek(end + 1 - len(block), os.SEEK_CUR)
            break
        chunks.append(block)
    data = b"".join(chunks).translate(None, PDF_WHITESPACE)
    if data.translate(None, _HEX_DIGITS):
        raise PdfStreamError("Unexpected token in hex string")
    if len(data) % 2:
        data += b"0"
    return generic.pdf_string(binascii.unhexlify(data))


@lru_cache(maxsize=256)
def _signing_certificate_v2_der(cert_der: bytes, hash_algo: str) -> bytes:
    cert = asn1_x509.Certificate.load(cert_der)
    return bytes(general.as_signing_certificate_v2(cert, hash_algo).dump())


@lru_cache(maxsize=64)
def _signing_certificate_der(cert_der: bytes) -> bytes:
    cert = asn1_x509.Certificate.load(cert_der)
    return bytes(general.as_signing_certificate(cert).dump())


def signing_certificate_v2(
    cert: asn1_x509.Certificate, hash_algo: str = "sha256"
) -> tsp.SigningCertificateV2:
    """``as_signing_certificate_v2(cert)``, built once per certificate and loaded from DER."""
    return tsp.SigningCertificateV2.load(_signing_certificate_v2_der(cert.dump(), hash_algo))


def signing_certificate(cert: asn1_x509.Certificate) -> tsp.SigningCertificate:
    """``as_signing_certificate(cert)`` (ESS v1, time-stamp tokens), cached the same way."""
    return tsp.SigningCertificate.load(_signing_certificate_der(cert.dump()))


class CachedSigningCertificateV2Provider(SigningCertificateV2Provider):
    """pyHanko's signing-certificate-v2 attribute provider over the cached value."""

    async def build_attr_value(self, dry_run: bool = False) -> tsp.SigningCertificateV2:
        """The cached ``SigningCertificateV2`` of the signer's certificate."""
        return signing_certificate_v2(self.signing_cert)


def cached_attr_providers(providers):  # type: ignore[no-untyped-def]
    """Swap pyHanko's signing-certificate-v2 provider for the cached one (same value)."""
    for provider in providers:
        if type(provider) is SigningCertificateV2Provider:
            yield CachedSigningCertificateV2Provider(provider.signing_cert)
        else:
            yield provider


class CachedKeyTimeStamper(DummyTimeStamper):
    """``DummyTimeStamper`` (an in-process TSA) that parses its RSA key only once."""

    def _sign_tst_info(
        self, tst_info_data: bytes, md_algorithm: str, dt: datetime
    ) -> tuple[bytes, cms.CMSAttributes]:
        key = getattr(self, "_cached_key", None)
        if key is None:
            key = serialization.load_der_private_key(self.tsa_key.dump(), password=None)
            if not isinstance(key, RSAPrivateKey):
                raise TypeError("the in-process TSA signs with an RSA key only")
            self._cached_key = key
        hash_algo = get_pyca_cryptography_hash(md_algorithm)
        from cryptography.hazmat.primitives import hashes

        digest = hashes.Hash(hash_algo)
        digest.update(tst_info_data)
        signed_attrs = cms.CMSAttributes(
            [
                simple_cms_attribute("content_type", "tst_info"),
                simple_cms_attribute("signing_time", cms.Time({"utc_time": core.UTCTime(dt)})),
                simple_cms_attribute("signing_certificate", signing_certificate(self.tsa_cert)),
                simple_cms_attribute("message_digest", digest.finalize()),
            ]
        )
        signature = key.sign(
            signed_attrs.dump(), PKCS1v15(), get_pyca_cryptography_hash(md_algorithm.upper())
        )
        return signature, signed_attrs


ORIGINAL_READ_HEX = generic.read_hex_string_from_stream
ORIGINAL_STRING_PREP = asn1_x509.NameTypeAndValue._ldap_string_prep
ORIGINAL_READ_UNTIL_CLASS = misc._read_until_class
ORIGINAL_DECODE_NAME = generic._decode_name
_TOKEN_BLOCK = 64


@lru_cache(maxsize=16)
def _class_pattern(class_chars: bytes) -> re.Pattern[bytes]:
    return re.compile(b"[" + re.escape(class_chars) + b"]")


def read_until_class(class_chars: bytes, stream, maxchars=None):  # type: ignore[no-untyped-def]
    """Read up to (and consume) the first byte of ``class_chars``: ``(data, at_eof)``."""
    pattern = _class_pattern(bytes(class_chars))
    chunks: list[bytes] = []
    left = maxchars if maxchars else None
    while left is None or left > 0:
        want = _TOKEN_BLOCK if left is None else min(_TOKEN_BLOCK, left)
        block = stream.read(want)
        if not block:
            return b"".join(chunks), True
        found = pattern.search(block)
        if found is not None:
            end = found.start()
            chunks.append(block[:end])
            stream.seek(end + 1 - len(block), os.SEEK_CUR)
            return b"".join(chunks), False
        chunks.append(block)
        if left is not None:
            left -= len(block)
    return b"".join(chunks), False


ORIGINAL_SUBSUME_OBJECT = HistoricalResolver._subsume_object
_CONTAINERS = (generic.StreamObject, generic.DictionaryObject, generic.ArrayObject)
_SUBSUMED = (generic.DecryptedObjectProxy, generic.IndirectObject, *_CONTAINERS)


def subsume_object(self, obj):  # type: ignore[no-untyped-def]
    """``HistoricalResolver._subsume_object`` without a ``Reference`` per primitive."""
    container_ref = obj.get_container_ref()  # raises, as pyHanko does, when there is none
    if not isinstance(obj, _SUBSUMED):
        return obj  # primitives are shared with the reader, container_ref untouched
    if isinstance(obj, generic.IndirectObject):
        return generic.IndirectObject(idnum=obj.idnum, generation=obj.generation, pdf=self)
    if isinstance(obj, generic.DecryptedObjectProxy):
        return ORIGINAL_SUBSUME_OBJECT(self, obj)  # encrypted objects: pyHanko's own path
    container_ref = generic.Reference(
        idnum=container_ref.idnum, generation=container_ref.generation, pdf=self
    )
    subsume = self._subsume_object
    if isinstance(obj, generic.StreamObject):
        result = generic.StreamObject(
            {k: subsume(v) for k, v in obj.items()}, encoded_data=obj.encoded_data
        )
    elif isinstance(obj, generic.DictionaryObject):
        result = generic.DictionaryObject({k: subsume(v) for k, v in obj.items()})
    else:
        result = generic.ArrayObject(subsume(v) for v in obj)
    result.container_ref = container_ref
    return result


ORIGINAL_MATCH_ISSUER_SERIAL = general.match_issuer_serial


def match_issuer_serial(expected_issuer_serial, cert):  # type: ignore[no-untyped-def]
    """pyHanko's ``match_issuer_serial`` with the serial number compared before the names."""
    expected_issuer = expected_issuer_serial["issuer"]
    if isinstance(expected_issuer, asn1_x509.GeneralNames) and (
        len(expected_issuer) != 1 or expected_issuer[0].name != "directory_name"
    ):
        return False
    if expected_issuer_serial["serial_number"] != cert["tbs_certificate"]["serial_number"]:
        return False
    return ORIGINAL_MATCH_ISSUER_SERIAL(expected_issuer_serial, cert)


@lru_cache(maxsize=4096)
def _decoded_name(name_bytes: bytes) -> str:
    return str.__str__(ORIGINAL_DECODE_NAME(name_bytes))


def decode_name(name_bytes: bytes) -> generic.NameObject:
    """``generic._decode_name`` with the decoding memoised per distinct name."""
    return generic.NameObject(_decoded_name(bytes(name_bytes)))


@lru_cache(maxsize=4096)
def _string_prep(string: str) -> str:
    return ORIGINAL_STRING_PREP(None, string)  # type: ignore[arg-type]


def _cached_string_prep(self: asn1_x509.NameTypeAndValue, string: str) -> str:
    if not isinstance(string, str):
        return ORIGINAL_STRING_PREP(self, string)
    return _string_prep(string)


_CERT_CACHE_SIZE = 256


@lru_cache(maxsize=_CERT_CACHE_SIZE)
def _parsed_certificate(der: bytes) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(der)


def parsed_certificate(der: bytes) -> asn1_x509.Certificate:
    """The certificate with DER ``der``, parsed once per process (bounded LRU cache)."""
    return _parsed_certificate(bytes(der))


ORIGINAL_EXTRACT_CERTIFICATE_INFO = general.extract_certificate_info


def extract_certificate_info(signed_data: cms.SignedData) -> general.SignedDataCerts:
    """pyHanko's ``extract_certificate_info`` over once-parsed certificates."""
    certs = []
    attr_certs = []
    for choice in signed_data["certificates"]:
        cert = choice.chosen.untag()
        if choice.name == "certificate":
            certs.append(parsed_certificate(cert.dump()))
        elif choice.name == "v2_attr_cert":
            attr_certs.append(cert)
    signer_info = general.extract_signer_info(signed_data)
    signer_cert, other_certs = general._partition_certs(certs, signer_info)
    return general.SignedDataCerts(
        signer_cert=signer_cert, other_certs=other_certs, attribute_certs=attr_certs
    )


def install(enabled: bool = True) -> None:
    """Install the block-based hex-string reader and the memoised name preparation
    (or restore pyHanko's and asn1crypto's originals)."""
    generic.read_hex_string_from_stream = (
        read_hex_string_from_stream if enabled else ORIGINAL_READ_HEX
    )
    asn1_x509.NameTypeAndValue._ldap_string_prep = (  # type: ignore[method-assign]
        _cached_string_prep if enabled else ORIGINAL_STRING_PREP
    )
    misc._read_until_class = read_until_class if enabled else ORIGINAL_READ_UNTIL_CLASS
    generic._decode_name = decode_name if enabled else ORIGINAL_DECODE_NAME
    general.match_issuer_serial = (
        match_issuer_serial if enabled else ORIGINAL_MATCH_ISSUER_SERIAL
    )
    HistoricalResolver._load_reverse_xref_cache = (  # type: ignore[method-assign]
        load_reverse_xref_cache if enabled else ORIGINAL_LOAD_REVERSE_XREF_CACHE
    )
    HistoricalResolver._subsume_object = (  # type: ignore[method-assign]
        subsume_object if enabled else ORIGINAL_SUBSUME_OBJECT
    )
    extract = extract_certificate_info if enabled else ORIGINAL_EXTRACT_CERTIFICATE_INFO
    for module in (general, generic_cms, pyhanko_dss, ades):
        module.extract_certificate_info = extract  # type: ignore[attr-defined]


install()
