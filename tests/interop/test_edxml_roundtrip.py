"""Property: build → parse gives the model back and build → parse → build the same bytes."""

from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eoffice.interop.edxml import (
    STATUS_CODES,
    Attachment,
    EdocPacket,
    Organization,
    ReplacementInfo,
    ResponseFor,
    StatusPacket,
    TraceHeader,
    build_edoc,
    build_status,
    parse_packet,
)

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Any text XML 1.0 can carry in element content; the reader trims surrounding whitespace.
text = st.text(alphabet=st.characters(exclude_categories=("Cs", "Cc", "Cn")), max_size=24).map(
    str.strip
)
word = text.filter(bool)
small_int = st.integers(min_value=0, max_value=10_000)
dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))
timestamps = st.builds(
    lambda moment, tz: moment.replace(tzinfo=tz),
    st.datetimes(min_value=datetime(1950, 1, 1), max_value=datetime(2200, 1, 1)).map(
        lambda d: d.replace(microsecond=0)
    ),
    st.sampled_from([timezone(timedelta(hours=7)), UTC, timezone(timedelta(hours=-5))]),
)
organizations = st.builds(
    Organization,
    organ_id=word,
    organ_name=text,
    organization_in_charge=text,
    organ_add=text,
    email=text,
    telephone=text,
    fax=text,
    website=text,
)
responses = st.builds(
    ResponseFor,
    organ_id=word,
    code=text,
    promulgation_date=st.none() | dates,
    document_id=word,
)
hops = st.builds(TraceHeader, organ_id=word, timestamp=timestamps)
attachments = st.lists(
    st.builds(
        Attachment,
        content_id=word,
        name=text,
        content_type=st.sampled_from(["application/pdf", "application/zip", ""]),
        description=text,
        data=st.binary(max_size=64),
    ),
    max_size=3,
    unique_by=lambda a: a.content_id,
).map(tuple)
words = st.lists(word, max_size=3).map(tuple)


@st.composite
def edoc_packets(draw) -> EdocPacket:
    replacements = tuple(
        draw(
            st.lists(
                st.builds(ReplacementInfo, document_id=word, organ_ids=words),
                max_size=2,
                unique_by=lambda r: r.document_id,
            )
        )
    )
    return EdocPacket(
        document_id=draw(word),
        sender=draw(organizations),
        recipients=tuple(draw(st.lists(organizations, min_size=1, max_size=3))),
        code_number=draw(text),
        code_notation=draw(word),
        subject=draw(word),
        place=draw(text),
        promulgation_date=draw(st.none() | dates),
        doc_type=draw(small_int),
        doc_type_detail=draw(small_int),
        type_name=draw(text),
        content=draw(text),
        signer_competence=draw(text),
        signer_position=draw(text),
        signer_full_name=draw(text),
        due_date=draw(st.none() | dates),
        to_places=draw(words),
        priority=draw(st.integers(0, 4)),
        steering_type=draw(small_int),
        response_for=tuple(draw(st.lists(responses, max_size=2))),
        business_doc_type=draw(st.integers(0, 3)),
        business_doc_reason=draw(text),
        business_document_id=draw(text),
        receivers_added=draw(words),
        receivers_removed=draw(words),
        replaces=tuple(r.document_id for r in replacements),
        replacement_info=replacements,
        trace=tuple(draw(st.lists(hops, max_size=3))),
        attachments=draw(attachments),
        sphere_of_promulgation=draw(text),
        typer_notation=draw(text),
        promulgation_amount=draw(small_int),
        page_amount=draw(small_int),
        direction=draw(st.booleans()),
        appendixes=draw(words),
        paper=draw(st.integers(0, 1)),
        staff_department=draw(text),
        staff_name=draw(text),
        staff_email=draw(text),
        staff_mobile=draw(text),
        business_document_info=draw(st.integers(0, 1)),
        business_document_receiver=draw(st.integers(0, 1)),
    )


status_packets = st.builds(
    StatusPacket,
    sender=organizations,
    response_for=responses,
    status_code=st.sampled_from(sorted(STATUS_CODES)),
    description=text,
    timestamp=st.none() | timestamps,
    staff_department=text,
    staff_name=text,
    staff_email=text,
    staff_mobile=text,
    trace=st.lists(hops, max_size=3).map(tuple),
)


@SETTINGS
@given(edoc_packets())
def test_edoc_round_trip(packet):
    data = build_edoc(packet)
    parsed = parse_packet(data)
    assert parsed == packet
    assert build_edoc(parsed) == data


@SETTINGS
@given(status_packets)
def test_status_round_trip(packet):
    data = build_status(packet)
    parsed = parse_packet(data)
    assert parsed == packet
    assert build_status(parsed) == data
