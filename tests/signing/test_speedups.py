"""The fast hex-string reader behaves exactly like pyHanko's own."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyhanko.pdf_utils.misc import PdfStreamError

from signing._speedups import ORIGINAL_READ_HEX, read_hex_string_from_stream

HEXISH = st.text(alphabet="0123456789abcdefABCDEF \n\r\t", max_size=300)


@given(body=HEXISH, tail=st.binary(max_size=20))
def test_same_result_and_position(body: str, tail: bytes) -> None:
    data = b"<" + body.encode() + b">" + tail
    ours, theirs = io.BytesIO(data), io.BytesIO(data)
    assert read_hex_string_from_stream(ours) == ORIGINAL_READ_HEX(theirs)
    assert ours.tell() == theirs.tell()


@pytest.mark.parametrize("data", [b"<12zz>", b"<1234", b"<"])
def test_same_errors(data: bytes) -> None:
    with pytest.raises(PdfStreamError):
        ORIGINAL_READ_HEX(io.BytesIO(data))
    with pytest.raises(PdfStreamError):
        read_hex_string_from_stream(io.BytesIO(data))
