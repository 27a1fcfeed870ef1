"""A PDF signed by another implementation (poppler's ``pdfsig -add-signature``)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from signing_helpers import PIN, make_pdf

from signing.pki import DevPKI
from signing.validate import ValidationSettings, validate_pdf

pytestmark = pytest.mark.skipif(
    shutil.which("pdfsig") is None or shutil.which("pk12util") is None,
    reason="needs poppler-utils and libnss3-tools",
)


def test_poppler_signed_pdf_is_intact_but_untrusted(tmp_path, pki: DevPKI) -> None:
    other = DevPKI.create(None, base_url="http://127.0.0.1:9/pki")
    p12 = tmp_path / "other.p12"
    p12.write_bytes(other.issue_person("Poppler Signer", "012345678000", "p@x.vn", PIN))
    db = tmp_path / "nss"
    db.mkdir()
    subprocess.run(["certutil", "-N", "-d", f"sql:{db}", "--empty-password"], check=True)
    subprocess.run(["pk12util", "-i", str(p12), "-d", f"sql:{db}", "-W", PIN, "-K", ""],
                   check=True, capture_output=True)
    source = tmp_path / "in.pdf"
    source.write_bytes(make_pdf())
    target = tmp_path / "out.pdf"
    subprocess.run(
        ["pdfsig", "-nssdir", f"sql:{db}", "-add-signature", "-nick", "Poppler Signer",
         "-kpw", "", str(source), str(target)],
        check=True, capture_output=True,
    )
    report = validate_pdf(target.read_bytes(), ValidationSettings(trust_roots=(pki.root_pem(),)))
    assert len(report.signatures) == 1
    sig = report.signatures[0]
    assert sig.intact is True
    assert sig.crypto_valid is True
    assert sig.trusted is False
    assert sig.valid is False
    assert sig.signer.name == "Poppler Signer"
    assert sig.pades_level is None  # adbe.pkcs7.detached is not PAdES
    trusted = validate_pdf(
        target.read_bytes(), ValidationSettings(trust_roots=(other.root_pem(),))
    )
    assert trusted.signatures[0].trusted is True
