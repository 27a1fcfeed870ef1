"""Refusals: every authentication failure and every bad packet, and nothing stored after any."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from hub_helpers import (
    BASE_URL,
    PROVINCE,
    RACHGIA,
    UNKNOWN,
    VPCP,
    Creds,
    client_for,
    edoc_bytes,
    make_edoc,
)

from eoffice.hub import service
from eoffice.interop.edxml import Attachment, build_edoc
from eoffice.interop.hub_client import HubError

SAMPLES = Path("/work/shared/edxml-samples")
if not SAMPLES.exists():
    SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "edxml-samples"


def sign(
    creds: Creds,
    method: str,
    path: str,
    body: bytes,
    *,
    when: datetime | None = None,
    secret: str | None = None,
    hash_file: str | None = None,
) -> dict[str, str]:
    """Authentication headers built by hand (so that each part can be broken)."""
    timestamp = (when or datetime.now(UTC)).isoformat().replace("+00:00", "Z")
    digest = hash_file if hash_file is not None else hashlib.sha256(body).hexdigest()
    message = "\n".join((method, path, creds.systemid, timestamp, digest))
    signature = hmac.new(
        (secret or creds.secret).encode(), message.encode(), hashlib.sha256
    ).hexdigest()
    return {
        "systemid": creds.systemid,
        "timestamp": timestamp,
        "hash-file": digest,
        "signature": signature,
    }


@pytest.fixture
def raw(hub_app):
    with httpx.Client(base_url=BASE_URL, transport=httpx.WSGITransport(app=hub_app)) as client:
        yield client


def send_raw(raw, headers: dict[str, str], body: bytes, from_code: str = PROVINCE):
    return raw.post(
        "/sendEdoc",
        content=body,
        headers={**headers, "from": from_code, "servicetype": "eDoc", "messagetype": "edoc"},
    )


def assert_fail(response: httpx.Response, http_status: int, code: str) -> str:
    assert response.status_code == http_status, response.text
    body = response.json()
    assert body["status"] == "FAIL"
    assert body["ErrorCode"] == code
    assert body["ErrorDesc"]
    return body["ErrorDesc"]


@pytest.mark.parametrize(
    "breakage",
    ["unsigned", "forged", "skewed_past", "skewed_future", "wrong_hash", "unknown_system"],
)
def test_authentication_failures(hub, raw, pdf_bytes, breakage):
    body = edoc_bytes(pdf_bytes)
    creds = hub.kiengiang
    now = datetime.now(UTC)
    if breakage == "unsigned":
        headers: dict[str, str] = {}
    elif breakage == "forged":
        headers = sign(creds, "POST", "/sendEdoc", body, secret="guessed-secret")
    elif breakage == "skewed_past":
        headers = sign(creds, "POST", "/sendEdoc", body, when=now - timedelta(seconds=301))
    elif breakage == "skewed_future":
        headers = sign(creds, "POST", "/sendEdoc", body, when=now + timedelta(seconds=301))
    elif breakage == "wrong_hash":
        headers = sign(creds, "POST", "/sendEdoc", body, hash_file=hashlib.sha256(b"x").hexdigest())
    else:
        headers = sign(Creds("nobody", creds.secret), "POST", "/sendEdoc", body)
    assert_fail(send_raw(raw, headers, body), 401, "15")
    assert hub.counts() == (0, 0)


def test_signature_inside_window_accepted(hub, raw, pdf_bytes):
    body = edoc_bytes(pdf_bytes)
    old = datetime.now(UTC) - timedelta(seconds=250)
    response = send_raw(raw, sign(hub.kiengiang, "POST", "/sendEdoc", body, when=old), body)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "OK"


def test_replayed_request_refused(hub, raw, pdf_bytes):
    body = edoc_bytes(pdf_bytes)
    headers = sign(hub.kiengiang, "POST", "/sendEdoc", body)
    first = send_raw(raw, headers, body)
    assert first.status_code == 200
    desc = assert_fail(send_raw(raw, headers, body), 401, "15")
    assert "phát lại" in desc
    assert hub.counts() == (1, 1)


def test_tampered_body_or_path_refused(hub, raw, pdf_bytes):
    body = edoc_bytes(pdf_bytes)
    headers = sign(hub.kiengiang, "POST", "/sendEdoc", body)
    assert_fail(send_raw(raw, headers, body + b"\n"), 401, "15")
    # A signature made for another endpoint does not open this one.
    headers = sign(hub.kiengiang, "POST", "/getEdoc", body)
    assert_fail(send_raw(raw, headers, body), 401, "15")
    assert hub.counts() == (0, 0)


def test_from_not_owned(hub, raw, vpcp, pdf_bytes):
    # VPCP's system sends as the province: 19.
    body = edoc_bytes(pdf_bytes, sender=PROVINCE, recipients=(RACHGIA,))
    with pytest.raises(HubError) as err:
        vpcp.send_edoc(body, PROVINCE)
    assert (err.value.code, err.value.http_status) == ("19", 403)
    # Header 'from' owned, but the packet claims another sender: 19 as well.
    with pytest.raises(HubError) as err:
        vpcp.send_edoc(body, VPCP)
    assert (err.value.code, err.value.http_status) == ("19", 403)
    headers = sign(hub.kiengiang, "POST", "/sendEdoc", body)
    assert_fail(send_raw(raw, headers, body, from_code=""), 403, "19")
    assert hub.counts() == (0, 0)


def test_unknown_recipient(hub, province, pdf_bytes):
    with pytest.raises(HubError) as err:
        province.send_edoc(edoc_bytes(pdf_bytes, recipients=(VPCP, UNKNOWN)), PROVINCE)
    assert (err.value.code, err.value.http_status) == ("18", 404)
    assert UNKNOWN in err.value.desc
    # Nothing stored, not even the delivery to the known recipient.
    assert hub.counts() == (0, 0)


def test_inactive_recipient(hub, province, pdf_bytes):
    from eoffice.hub.models import Agency

    with hub.session() as session, session.begin():
        session.query(Agency).filter_by(code=VPCP).update({"active": False})
    with pytest.raises(HubError) as err:
        province.send_edoc(edoc_bytes(pdf_bytes), PROVINCE)
    assert err.value.code == "18"
    assert hub.counts() == (0, 0)


@pytest.mark.parametrize(
    "body",
    [
        b"this is not xml",
        b"<edXML xmlns='urn:other'><x/></edXML>",
        b"",
        b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>",
    ],
)
def test_malformed_edxml(hub, province, body):
    with pytest.raises(HubError) as err:
        province.send_edoc(body, PROVINCE)
    assert (err.value.code, err.value.http_status) == ("22", 422)
    assert err.value.desc
    assert hub.counts() == (0, 0)


def test_stray_bytes_sample_is_refused_with_reason(hub, hub_app):
    sample = (SAMPLES / "vpcp_edoc_new.edxml").read_bytes()
    with hub_app.extensions["hub"].sessions.begin() as session:
        creds = Creds(*service.register_system(session, "Đà Nẵng", ["002.00.20.H13"]))
    # The sample's first bytes "1212" make it not well-formed: 22 with the reason.
    with client_for(hub_app, creds) as client, pytest.raises(HubError) as err:
        client.send_edoc(sample, "002.00.20.H13")
    assert (err.value.code, err.value.http_status) == ("22", 422)
    assert "1212" in err.value.desc
    assert hub.counts() == (0, 0)


def test_messagetype_mismatch(hub, province, pdf_bytes):
    with pytest.raises(HubError) as err:
        province.send_edoc(edoc_bytes(pdf_bytes), PROVINCE, messagetype="status")
    assert err.value.code == "22"
    with pytest.raises(HubError) as err:
        province.send_edoc(edoc_bytes(pdf_bytes), PROVINCE, messagetype="letter")
    assert err.value.code == "10"
    assert hub.counts() == (0, 0)


def test_attachment_not_pdf(hub, province, pdf_bytes):
    fake = Attachment("cid:1", "virus.pdf", "application/pdf", "", b"MZ\x90\x00 not a pdf")
    docx = Attachment("cid:2", "a.docx", "application/msword", "", b"PK\x03\x04...")
    for attachment in (fake, docx):
        with pytest.raises(HubError) as err:
            province.send_edoc(edoc_bytes(pdf_bytes, attachments=(attachment,)), PROVINCE)
        assert (err.value.code, err.value.http_status) == ("10", 400)
    assert hub.counts() == (0, 0)


def test_attachment_over_limit(hub, pdf_bytes):
    hub_app = hub.make_app(HUB_MAX_ATTACHMENT_BYTES=len(pdf_bytes) - 1)
    with client_for(hub_app, hub.kiengiang) as province, pytest.raises(HubError) as err:
        province.send_edoc(edoc_bytes(pdf_bytes), PROVINCE)
    assert (err.value.code, err.value.http_status) == ("10", 400)
    assert "giới hạn" in err.value.desc
    assert hub.counts() == (0, 0)
    hub_app = hub.make_app(HUB_MAX_ATTACHMENT_BYTES=len(pdf_bytes))
    with client_for(hub_app, hub.kiengiang) as province:
        assert province.send_edoc(edoc_bytes(pdf_bytes), PROVINCE)


def test_request_over_packet_limit(hub, pdf_bytes):
    body = edoc_bytes(pdf_bytes)
    hub_app = hub.make_app(HUB_MAX_PACKET_BYTES=len(body) - 1)
    with client_for(hub_app, hub.kiengiang) as province, pytest.raises(HubError) as err:
        province.send_edoc(body, PROVINCE)
    assert (err.value.code, err.value.http_status) == ("10", 413)
    assert hub.counts() == (0, 0)


def zip_edoc(pdf_bytes: bytes) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("congvan.pdf", pdf_bytes)
    attachment = Attachment("cid:1", "vanban.zip", "application/zip", "", buffer.getvalue())
    return build_edoc(make_edoc(pdf_bytes, attachments=(attachment,)))


def test_zip_refused_by_default(hub, province, pdf_bytes):
    with pytest.raises(HubError) as err:
        province.send_edoc(zip_edoc(pdf_bytes), PROVINCE)
    assert err.value.code == "10"
    assert hub.counts() == (0, 0)


def test_zip_accepted_when_allowed(hub, pdf_bytes):
    hub_app = hub.make_app(HUB_ALLOW_ZIP=True)
    with client_for(hub_app, hub.kiengiang) as province:
        assert province.send_edoc(zip_edoc(pdf_bytes), PROVINCE)
        fake_zip = Attachment("cid:1", "a.zip", "application/zip", "", b"not a zip")
        with pytest.raises(HubError) as err:
            province.send_edoc(edoc_bytes(pdf_bytes, attachments=(fake_zip,)), PROVINCE)
        assert err.value.code == "10"
    assert hub.counts() == (1, 1)


def test_real_status_sample_is_routed(hub, hub_app):
    """The VPCP SDK's status 01 sample (from Nghệ An to VPCP) is accepted and routed."""
    sample = (SAMPLES / "vpcp_status_inbox__01.edxml").read_bytes()
    sessions = hub_app.extensions["hub"].sessions
    with sessions.begin() as session:
        service.register_agency(session, "000.00.00.H41", "UBND tỉnh Nghệ An")
        nghean = Creds(*service.register_system(session, "Nghệ An", ["000.00.00.H41"]))
    with client_for(hub_app, nghean) as client:
        doc_id = client.send_edoc(sample, "000.00.00.H41", messagetype="status")
    with client_for(hub_app, hub.vpcp) as vpcp:
        [item] = vpcp.get_received_list("status")
        assert (item["docId"], item["from"], item["to"]) == (doc_id, "000.00.00.H41", VPCP)
        assert item["statusCode"] == "01"


def test_unknown_status_target(hub, vpcp, pdf_bytes):
    from hub_helpers import status_bytes

    edoc = make_edoc(pdf_bytes, sender=UNKNOWN)
    with pytest.raises(HubError) as err:
        vpcp.send_edoc(status_bytes(edoc, "01"), VPCP, messagetype="status")
    assert err.value.code == "18"
    assert hub.counts() == (0, 0)


def test_bad_servicetype_and_unknown_route(hub, raw):
    headers = sign(hub.kiengiang, "POST", "/getReceivedEdocList", b"")
    response = raw.post("/getReceivedEdocList", headers={**headers, "servicetype": "fax"})
    assert_fail(response, 400, "10")
    assert_fail(raw.get("/nothing-here"), 404, "10")
    assert_fail(raw.get("/sendEdoc"), 405, "10")


def test_replay_of_a_refused_request_is_still_refused(hub, raw):
    body = b"<not-edxml/>"
    headers = sign(hub.kiengiang, "POST", "/sendEdoc", body)
    assert_fail(send_raw(raw, headers, body), 422, "22")
    desc = assert_fail(send_raw(raw, headers, body), 401, "15")
    assert "phát lại" in desc
