"""``python -m signing``: pki init, sign, verify (exit codes), errors on one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from signing_helpers import make_pdf, make_signature_png


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "signing", *args], capture_output=True, text=True, timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("cli")
    result = run("pki", "init", str(directory / "pki"))
    assert result.returncode == 0, result.stderr
    (directory / "in.pdf").write_bytes(make_pdf())
    (directory / "sig.png").write_bytes(make_signature_png())
    return directory


def test_sign_and_verify(demo: Path) -> None:
    pki = demo / "pki"
    out = demo / "out.pdf"
    result = run(
        "sign", str(demo / "in.pdf"), str(out), "--p12", str(pki / "person.p12"), "--pin",
        "123456", "--certify", "--appearance", "person", "--image", str(demo / "sig.png"),
        "--box", "340,470,520,560", "--level", "B-LTA", "--pki", str(pki),
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    verify = run("verify", str(out), "--trust", str(pki / "root.pem"), "--json")
    assert verify.returncode == 0, verify.stdout
    report = json.loads(verify.stdout)
    assert report["valid"] is True
    assert report["signatures"][0]["pades_level"] == "B-LTA"
    assert report["signatures"][0]["docmdp"] == 2
    other = run("pki", "init", str(demo / "other"))
    assert other.returncode == 0
    untrusted = run("verify", str(out), "--trust", str(demo / "other" / "root.pem"))
    assert untrusted.returncode == 1
    assert "không hợp lệ" in untrusted.stdout


def test_wrong_pin_one_line_no_output(demo: Path) -> None:
    out = demo / "never.pdf"
    result = run("sign", str(demo / "in.pdf"), str(out), "--p12",
                 str(demo / "pki" / "person.p12"), "--pin", "000000")
    assert result.returncode == 2
    assert result.stderr.strip() == "Mã PIN không đúng / Wrong PIN"
    assert not out.exists()


def test_not_a_pdf(demo: Path) -> None:
    result = run("verify", str(demo / "sig.png"), "--trust", str(demo / "pki" / "root.pem"))
    assert result.returncode == 2
    assert "Tệp không phải là PDF" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_key_file(demo: Path) -> None:
    result = run("sign", str(demo / "in.pdf"), str(demo / "x.pdf"), "--p12",
                 str(demo / "nope.p12"), "--pin", "1")
    assert result.returncode == 2
    assert "Không đọc được tệp" in result.stderr


def test_external_client(demo: Path, person_key, options) -> None:
    from signing.sign import ExternalSigningRequest, complete_external, prepare_external

    prepared = prepare_external(
        make_pdf(), person_key.certificate.dump(), chain=[c.dump() for c in person_key.chain],
    )
    request_file = demo / "req.json"
    request_file.write_text(prepared.to_json())
    p12 = demo / "me.p12"
    from signing_helpers import PIN  # the session person key's PIN

    from signing.keys import load_pkcs12  # noqa: F401 — the CLI uses the same loader

    p12.write_bytes(options_p12(person_key, demo))
    result = run("external", "sign-request", str(request_file), str(demo / "sig.bin"),
                 "--p12", str(p12), "--pin", PIN)
    assert result.returncode == 0, result.stderr
    signed = complete_external(prepared.handle, (demo / "sig.bin").read_bytes(),
                               timestamps=options.timestamps)
    assert signed.pdf.startswith(b"%PDF")
    assert ExternalSigningRequest.from_json(request_file.read_text()).digest == prepared.digest


def options_p12(person_key, demo: Path) -> bytes:
    """The session person key as a PKCS#12 file (re-serialised)."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

    cert = x509.load_der_x509_certificate(person_key.certificate.dump())
    key = person_key.signer._private_key
    return pkcs12.serialize_key_and_certificates(
        b"me", key, cert, None, BestAvailableEncryption(b"123456")
    )
