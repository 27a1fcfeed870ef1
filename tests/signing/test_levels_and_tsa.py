"""Every PAdES level with RSA and ECDSA; time-stamp authority failures."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import replace

import pytest
from signing_helpers import make_pdf

from signing.errors import TimestampError
from signing.pki import DevPKI
from signing.sign import PadesLevel, add_document_timestamp, sign_pdf
from signing.timestamps import HttpTsa, InProcessTsa
from signing.validate import ValidationSettings, validate_pdf


@pytest.mark.parametrize("level", list(PadesLevel))
@pytest.mark.parametrize("key_name", ["person_key", "ecdsa_key"])
def test_round_trip_every_level(level: PadesLevel, key_name: str, request, options,
                                pki: DevPKI) -> None:
    key = request.getfixturevalue(key_name)
    result = sign_pdf(make_pdf(), key, replace(options, field_name="Sig", level=level))
    assert result.level == level and not result.needs_upgrade
    report = validate_pdf(result.pdf, ValidationSettings(trust_roots=(pki.root_pem(),)))
    assert report.valid, report.to_dict()
    sig = report.signatures[0]
    assert sig.pades_level == level.value
    assert sig.kind == "signature"
    assert (sig.timestamp_at is not None) == (level != PadesLevel.B_B)
    if level.rank >= PadesLevel.B_LT.rank:
        assert sig.revocation == "good" and sig.revocation_source == "embedded"
    kinds = [s.kind for s in report.signatures]
    assert kinds.count("document_timestamp") == (1 if level == PadesLevel.B_LTA else 0)
    # one signature: said in the singular, not "all 1 signatures"
    assert report.verdict == "Chữ ký số hợp lệ, văn bản toàn vẹn"
    assert report.verdict_en == "The signature is valid and the document is intact"


def test_http_tsa_over_loopback(person_key, pki: DevPKI, options) -> None:
    tsa = HttpTsa(pki.tsa_url, timeout=5)
    result = sign_pdf(make_pdf(), person_key, replace(options, field_name="Sig", timestamps=tsa))
    report = validate_pdf(result.pdf, ValidationSettings(trust_roots=(pki.root_pem(),)))
    assert report.signatures[0].timestamp_at is not None
    assert report.valid


def _closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def test_tsa_down_fails_with_clear_error(person_key, options) -> None:
    tsa = HttpTsa(f"http://127.0.0.1:{_closed_port()}/tsa", timeout=1)
    with pytest.raises(TimestampError) as info:
        sign_pdf(make_pdf(), person_key, replace(options, field_name="Sig", timestamps=tsa))
    assert "dấu thời gian" in str(info.value)


def test_tsa_hanging_is_bounded(person_key, options) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                accepted.append(conn)  # never answer
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        tsa = HttpTsa(f"http://127.0.0.1:{server.getsockname()[1]}/tsa", timeout=1)
        started = time.monotonic()
        with pytest.raises(TimestampError):
            sign_pdf(make_pdf(), person_key, replace(options, field_name="Sig", timestamps=tsa))
        assert time.monotonic() - started < 6
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        server.close()


def test_tsa_down_downgrades_then_upgrades(person_key, options, pki: DevPKI) -> None:
    tsa = HttpTsa(f"http://127.0.0.1:{_closed_port()}/tsa", timeout=1)
    result = sign_pdf(
        make_pdf(), person_key,
        replace(options, field_name="Sig", timestamps=tsa, on_tsa_failure="downgrade"),
    )
    assert result.level == PadesLevel.B_B
    assert result.needs_upgrade is True
    settings = ValidationSettings(trust_roots=(pki.root_pem(),))
    assert validate_pdf(result.pdf, settings).signatures[0].pades_level == "B-B"
    upgraded = add_document_timestamp(
        result.pdf, timestamps=InProcessTsa(pki.timestamper()), revocation=options.revocation
    )
    report = validate_pdf(upgraded, settings)
    assert report.valid, report.to_dict()
    assert report.signatures[0].pades_level == "B-LTA"


def test_missing_tsa_for_b_t(person_key, options) -> None:
    with pytest.raises(TimestampError):
        sign_pdf(make_pdf(), person_key, replace(options, field_name="Sig", timestamps=None))
