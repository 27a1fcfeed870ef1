"""Dangerous XML is refused safely: entities, DTDs, external resources, huge inputs."""

import time

import pytest

from eoffice.interop.edxml import NS, EdxmlError, append_trace, parse_packet

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"><Subject>&lol9;</Subject></edXML>
"""


def status_with(subject_xml: str, prolog: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<edXML xmlns="{NS}">'
        f'<edXML:edXMLEnvelope xmlns:edXML="{NS}"><edXML:edXMLHeader><edXML:MessageHeader>'
        f"<edXML:From><edXML:OrganId>000.00.30.H33</edXML:OrganId></edXML:From>"
        f"<edXML:ResponseFor><edXML:OrganId>000.00.00.H33</edXML:OrganId>"
        f"<edXML:DocumentId>x</edXML:DocumentId></edXML:ResponseFor>"
        f"<edXML:StatusCode>01</edXML:StatusCode><edXML:Description>{subject_xml}"
        f"</edXML:Description></edXML:MessageHeader></edXML:edXMLHeader>"
        f"</edXML:edXMLEnvelope></edXML>"
    ).encode()


def refused(data: bytes, **kwargs) -> EdxmlError:
    with pytest.raises(EdxmlError) as info:
        parse_packet(data, **kwargs)
    return info.value


def test_the_helper_packet_is_valid():
    assert parse_packet(status_with("ok")).description == "ok"


def test_billion_laughs_is_refused_fast():
    started = time.perf_counter()
    error = refused(BILLION_LAUGHS)
    assert time.perf_counter() - started < 1
    assert error.code == "22"
    assert "DOCTYPE" in error.reason


def test_external_entity_is_refused_and_nothing_is_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    data = status_with("&xxe;", f'<!DOCTYPE edXML [<!ENTITY xxe SYSTEM "file://{secret}">]>')
    error = refused(data)
    assert error.code == "22"
    assert "TOP-SECRET" not in str(error)


def test_external_dtd_is_refused():
    data = status_with("x", '<!DOCTYPE edXML SYSTEM "http://127.0.0.1:9/evil.dtd">')
    assert "DOCTYPE" in refused(data).reason


def test_doctype_hidden_in_utf16_is_still_refused():
    text = status_with("&x;", '<!DOCTYPE edXML [<!ENTITY x "boom">]>').decode()
    data = text.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    error = refused(data)
    assert error.code == "22"
    assert "DOCTYPE" in error.reason


def test_oversized_packet_is_refused_before_parsing():
    data = status_with("x" * 5000)
    error = refused(data, max_bytes=1000)
    assert error.code == "10"
    assert "1000" in error.reason
    with pytest.raises(EdxmlError):
        append_trace(data, "000.00.00.H33", __import__("datetime").datetime.now(), max_bytes=1000)


def test_huge_text_node_is_refused_with_a_clear_error():
    error = refused(status_with("A" * 10_000_001))
    assert error.code == "10"
    assert "quá lớn" in error.reason


def test_deep_nesting_is_refused_not_crashing():
    depth = 100_000
    data = status_with("<x>" * depth + "</x>" * depth)
    error = refused(data)
    assert error.code == "22"


def test_processing_instructions_and_cdata_are_harmless():
    data = status_with("<![CDATA[<b>Đã nhận</b>]]><?php echo 1; ?>")
    assert parse_packet(data).description == "<b>Đã nhận</b>"


def test_a_utf16_packet_without_doctype_is_read():
    text = status_with("Đã nhận").decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    assert parse_packet(text.encode("utf-16")).description == "Đã nhận"


def test_billion_laughs_in_an_attribute_of_a_utf16_packet_is_refused_fast():
    # UTF-16 hides the DOCTYPE from the byte scan; the parser's own limits and the check
    # after parsing still refuse it without expanding anything.
    text = BILLION_LAUGHS.decode().replace('version="1.0"?>', 'version="1.0" encoding="UTF-16"?>')
    text = text.replace("<Subject>&lol9;</Subject>", '<Subject a="&lol9;"/>')
    started = time.perf_counter()
    error = refused(text.encode("utf-16"))
    assert time.perf_counter() - started < 2
    assert error.code == "22"
