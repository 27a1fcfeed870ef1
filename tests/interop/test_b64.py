"""Packet base64 (eoffice.interop.b64): the same bytes as the standard library, as strict."""

from __future__ import annotations

import base64
import binascii
import os

import pytest

from eoffice.interop import b64


@pytest.mark.parametrize("size", [0, 1, 2, 3, 57, 1000, 300_001])
def test_round_trip_matches_the_standard_library(size: int) -> None:
    data = os.urandom(size)
    text = b64.encode(data)
    assert text == base64.b64encode(data).decode("ascii")
    assert b64.decode(text) == data == b64.decode(text.encode("ascii"))


@pytest.mark.parametrize("text", ["QQ==QQ==", "QQ=", "Q", "=QQ=", "QUJ\n", "QU JD", "QUJD!",
                                  "é", "QUJD="])
def test_anything_but_strict_base64_is_refused(text: str) -> None:
    with pytest.raises(binascii.Error):
        b64.decode(text)
