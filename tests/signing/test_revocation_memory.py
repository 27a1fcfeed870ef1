"""The per-process memory of successful revocation checks (signing.revocation.CHECK_TTL)."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from signing_helpers import PIN, make_pdf

from signing import revocation
from signing.errors import CertificateRevokedError
from signing.keys import load_pkcs12
from signing.pki import DevPKI
from signing.revocation import InProcessFetching, forget_checks
from signing.sign import PadesLevel, sign_pdf
from signing.validate import ValidationSettings, validate_pdf


class CountingRoute:
    """Wraps the dev PKI's router and counts OCSP requests and CRL downloads."""

    def __init__(self, pki: DevPKI) -> None:
        self.pki = pki
        self.ocsp = 0
        self.crl = 0

    def __call__(self, url: str, body: bytes | None = None) -> bytes | None:
        if body is not None:
            self.ocsp += 1
        elif url.endswith(".crl"):
            self.crl += 1
        return self.pki.route(url, body)


@pytest.fixture
def counting(pki: DevPKI) -> CountingRoute:
    forget_checks()
    return CountingRoute(pki)


def test_second_signature_reuses_the_check(person_key, options, counting) -> None:
    opts = replace(options, field_name="Sig", revocation=InProcessFetching(counting))
    sign_pdf(make_pdf(), person_key, opts)
    first = counting.ocsp
    assert first >= 1
    sign_pdf(make_pdf(), person_key, opts)
    assert counting.ocsp == first  # remembered: no new OCSP request
    forget_checks()
    sign_pdf(make_pdf(), person_key, opts)
    assert counting.ocsp == 2 * first


def test_memory_is_per_revocation_source(person_key, options, pki, counting) -> None:
    sign_pdf(make_pdf(), person_key,
             replace(options, field_name="Sig", revocation=InProcessFetching(counting)))
    other = CountingRoute(pki)
    sign_pdf(make_pdf(), person_key,
             replace(options, field_name="Sig", revocation=InProcessFetching(other)))
    assert other.ocsp >= 1  # another source (route) is asked again


def test_expired_memory_checks_again(person_key, options, counting, monkeypatch) -> None:
    monkeypatch.setattr(revocation, "CHECK_TTL", 0.0)
    opts = replace(options, field_name="Sig", revocation=InProcessFetching(counting))
    sign_pdf(make_pdf(), person_key, opts)
    first = counting.ocsp
    sign_pdf(make_pdf(), person_key, opts)
    assert counting.ocsp == 2 * first


def test_revocation_in_another_process_takes_effect_within_the_ttl(
    pki: DevPKI, options, counting, monkeypatch
) -> None:
    monkeypatch.setattr(revocation, "CHECK_TTL", 1.0)
    key = load_pkcs12(pki.issue_person("Đỗ Văn Cường", "012345678904", "dvc@kg.gov.vn", PIN),
                      PIN)
    opts = replace(options, field_name="Sig", revocation=InProcessFetching(counting))
    sign_pdf(make_pdf(), key, opts)
    started = time.monotonic()
    assert pki.directory is not None
    subprocess.run(
        [sys.executable, "-c",
         "import sys; from signing.pki import DevPKI; "
         "DevPKI.load(sys.argv[1]).revoke(int(sys.argv[2]))",
         str(pki.directory), str(key.serial_number)],
        check=True, cwd=Path(__file__).resolve().parents[2],
    )
    time.sleep(max(0.0, 1.05 - (time.monotonic() - started)))
    with pytest.raises(CertificateRevokedError):
        sign_pdf(make_pdf(), key, opts)


def test_b_lt_from_remembered_answers_is_complete(person_key, body_key, options, pki,
                                                  counting) -> None:
    opts = replace(options, revocation=InProcessFetching(counting))
    certified = sign_pdf(make_pdf(), person_key,
                         replace(opts, field_name="Leader", certify=False)).pdf
    sealed_once = sign_pdf(certified, body_key,
                           replace(opts, field_name="Body", level=PadesLevel.B_LT)).pdf
    fetched = counting.ocsp
    sealed_again = sign_pdf(certified, body_key,
                            replace(opts, field_name="Body", level=PadesLevel.B_LT)).pdf
    assert counting.ocsp == fetched  # everything came from memory
    for pdf in (sealed_once, sealed_again):
        report = validate_pdf(pdf, ValidationSettings(trust_roots=(pki.root_pem(),)))
        assert report.valid, report.to_dict()
        assert [s.revocation_source for s in report.signatures] == ["embedded", "embedded"]
        assert report.signatures[1].pades_level == "B-LT"
