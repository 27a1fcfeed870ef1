"""Faster drop-in replacements for two hot spots of pyHanko, installed on import.

1. ``pyhanko.pdf_utils.generic.read_hex_string_from_stream`` tokenises hex strings one
   byte at a time in Python; every signature's ``/Contents`` is a 10–40 KB hex string,
   read each time a signed PDF is opened for signing or validation. The replacement
   scans for ``>`` in blocks and decodes with ``binascii`` — same result, same errors
   (``PdfStreamError`` on a bad digit or a truncated stream).
2. The in-process time-stamp authority (:class:`CachedKeyTimeStamper`) keeps its parsed
   private key: pyHanko's ``DummyTimeStamper`` re-parses (and, for RSA, re-validates)
   it for every time-stamp, which costs tens of milliseconds.
"""

from __future__ import annotations

import binascii
import os
from datetime import datetime

from asn1crypto import cms, core
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PDF_WHITESPACE, PdfStreamError
from pyhanko.sign import general
from pyhanko.sign.general import simple_cms_attribute
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

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


class CachedKeyTimeStamper(DummyTimeStamper):
    """``DummyTimeStamper`` (an in-process TSA) that parses its RSA key only once."""

    def _sign_tst_info(
        self, tst_info_data: bytes, md_algorithm: str, dt: datetime
    ) -> tuple[bytes, cms.CMSAttributes]:
        key = getattr(self, "_cached_key", None)
        if key is None:
            key = serialization.load_der_private_key(self.tsa_key.dump(), password=None)
            if not isinstance(key, RSAPrivateKey):
                raise NotImplementedError("The in-process TSA is RSA-only.")
            self._cached_key = key
        hash_algo = get_pyca_cryptography_hash(md_algorithm)
        from cryptography.hazmat.primitives import hashes

        digest = hashes.Hash(hash_algo)
        digest.update(tst_info_data)
        signed_attrs = cms.CMSAttributes(
            [
                simple_cms_attribute("content_type", "tst_info"),
                simple_cms_attribute("signing_time", cms.Time({"utc_time": core.UTCTime(dt)})),
                simple_cms_attribute(
                    "signing_certificate", general.as_signing_certificate(self.tsa_cert)
                ),
                simple_cms_attribute("message_digest", digest.finalize()),
            ]
        )
        signature = key.sign(
            signed_attrs.dump(), PKCS1v15(), get_pyca_cryptography_hash(md_algorithm.upper())
        )
        return signature, signed_attrs


ORIGINAL_READ_HEX = generic.read_hex_string_from_stream


def install(enabled: bool = True) -> None:
    """Replace pyHanko's hex-string reader with the block-based one (or restore it)."""
    generic.read_hex_string_from_stream = (
        read_hex_string_from_stream if enabled else ORIGINAL_READ_HEX
    )


install()
