"""Parsing a packet once: the parsed tree serves the signature check and the hub's hop.

Also the base64 fast path: an unbroken payload decodes at once, a wrapped one (line
breaks, indentation, as the published samples have) decodes after whitespace is dropped,
and any other stray character is still refused.
"""

import base64
import re
from datetime import UTC, datetime

import pytest
from test_edxml_signature import PDF, edoc, pki  # noqa: F401  (fixture)

from eoffice.interop.edxml import (
    EdxmlError,
    append_trace,
    build_edoc,
    parse_packet,
    parse_packet_tree,
    verify_packet_signature,
)

HOP = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def _payload(data: bytes) -> bytes:
    return re.search(rb"<ContentTransferEncoded>([^<]*)<", data).group(1)


def test_tree_reuse_gives_the_same_results(pki):  # noqa: F811
    data = build_edoc(edoc(), signer=pki.rsa_signer)
    packet, tree = parse_packet_tree(data)
    assert packet == parse_packet(data)
    check = verify_packet_signature(data, [pki.root_pem], root=tree)
    assert check.valid and check == verify_packet_signature(data, [pki.root_pem])
    # the check left the tree as it was: adding the hop to it equals parsing again
    assert append_trace(data, "000.00.00.G22", HOP, root=tree) == append_trace(
        data, "000.00.00.G22", HOP)


def test_hop_added_to_the_parsed_tree_keeps_the_signature_and_tampering_shows(pki):  # noqa: F811
    data = build_edoc(edoc(), signer=pki.rsa_signer)
    _packet, tree = parse_packet_tree(data)
    relayed = append_trace(data, "000.00.00.G22", HOP, root=tree)
    assert b"000.00.00.G22" in relayed
    assert verify_packet_signature(relayed, [pki.root_pem]).valid
    forged = relayed.replace(_payload(relayed),
                             base64.b64encode(PDF.replace(b"obj", b"OBJ")), 1)
    _packet, forged_tree = parse_packet_tree(forged)
    check = verify_packet_signature(forged, [pki.root_pem], root=forged_tree)
    assert check.present and not check.valid and not check.intact


def test_wrapped_base64_decodes_and_stray_characters_are_refused():
    data = build_edoc(edoc())
    payload = _payload(data)
    wrapped = b"\n          ".join(payload[i:i + 16] for i in range(0, len(payload), 16))
    assert len(payload) > 16  # really wrapped
    packet = parse_packet(data.replace(payload, b"\n  " + wrapped + b"\n  ", 1))
    assert packet.attachments[0].data == PDF
    for stray in (b"*", b"\xc3\xa9", b"="):
        with pytest.raises(EdxmlError) as caught:
            parse_packet(data.replace(payload, payload[:8] + stray + payload[8:], 1))
        assert caught.value.code == "22" and "base64" in caught.value.reason


def _inserted(before: bytes, after: bytes) -> bytes:
    """What ``after`` holds more than ``before``: bytes written just before the trace
    list's closing tag, everything else byte for byte the same."""
    at = re.search(rb"</[\w:]*TraceHeaderList\s*>", before).start()
    width = len(after) - len(before)
    assert after[:at] + after[at + width:] == before
    return after[at:at + width]


def test_the_hop_is_written_into_the_packet_s_own_bytes(pki):  # noqa: F811
    # a 2 MB packet is not serialised again to add 150 bytes: its bytes stay as sent
    data = build_edoc(edoc(), signer=pki.rsa_signer)
    once = append_trace(data, "000.00.00.G22", HOP)
    hop = _inserted(data, once)
    assert re.fullmatch(rb"<([\w]+:)?TraceHeader[ >].*</([\w]+:)?TraceHeader>", hop, re.S)
    assert b"000.00.00.G22" in hop
    twice = append_trace(once, "000.00.00.H33", HOP)
    assert b"000.00.00.H33" in _inserted(once, twice)
    assert [h.organ_id for h in parse_packet(twice).trace] == [
        *[h.organ_id for h in parse_packet(data).trace], "000.00.00.G22", "000.00.00.H33"]
    assert verify_packet_signature(twice, [pki.root_pem]).valid


@pytest.mark.parametrize("empty_list", [False, True])
@pytest.mark.parametrize("hiding", [b"<!-- {end} -->", b"<![CDATA[{end}]]>", b"<?note {end}?>"])
def test_a_closing_tag_that_may_be_hidden_is_not_guessed(pki, hiding, empty_list):  # noqa: F811
    # a comment, CDATA section or processing instruction that spells the list's closing
    # tag (the only one in the bytes when the real list is empty, written
    # <TraceHeaderList/>): the tree is serialised instead of writing the hop where the
    # text says
    data = build_edoc(edoc(), signer=pki.rsa_signer)
    whole = re.search(rb"<([\w:]*)TraceHeaderList>.*</[\w:]*TraceHeaderList\s*>", data, re.S)
    end = re.search(rb"</[\w:]*TraceHeaderList\s*>", data).group(0)
    if empty_list:
        data = data.replace(whole.group(0), b"<" + whole.group(1) + b"TraceHeaderList/>")
    subject = re.search(rb"<([\w:]*)Subject>", data).group(0)
    tricky = data.replace(subject, subject + hiding.replace(b"{end}", end), 1)
    relayed = append_trace(tricky, "000.00.00.G22", HOP)
    assert [h.organ_id for h in parse_packet(relayed).trace][-1] == "000.00.00.G22"
    assert len(parse_packet(relayed).trace) == len(parse_packet(data).trace) + 1
