"""PKCS#11 through python-pkcs11 against SoftHSM2, with a Vietnamese key label."""

from __future__ import annotations

import os
import shutil
import subprocess
import unicodedata
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from signing_helpers import LAYOUT, PIN, make_pdf

from signing.errors import KeyNotFoundError, WrongPinError
from signing.keys import Pkcs11TokenSpec, open_pkcs11
from signing.pki import DevPKI
from signing.sign import (
    LEADER_FIELD,
    PadesLevel,
    certify_draft,
    prepare_draft,
    sign_pdf,
)
from signing.validate import ValidationSettings, validate_pdf

LIB = "/usr/lib/softhsm/libsofthsm2.so"
TOKEN = "Token Lãnh đạo"
LABEL = "TRẦN NGỌC TÚ's Viettel-CA SHA2 Certificate"
EC_LABEL = "Chữ ký ECDSA của Lê Thị Hồng"

pytestmark = pytest.mark.skipif(
    not Path(LIB).exists() or shutil.which("softhsm2-util") is None, reason="needs softhsm2"
)


def _import(pki_p12: bytes, label: str, key_id: str, env: dict[str, str], tmp: Path) -> None:
    import pkcs11
    from pkcs11 import Attribute, CertificateType, ObjectClass

    key, cert, _ = pkcs12.load_key_and_certificates(pki_p12, PIN.encode())
    assert key is not None and cert is not None
    pem = tmp / f"{key_id}.pem"
    pem.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    subprocess.run(
        ["softhsm2-util", "--import", str(pem), "--token", TOKEN, "--label", label,
         "--id", key_id, "--pin", PIN],
        check=True, env=env, capture_output=True,
    )
    pem.unlink()
    token = pkcs11.lib(LIB).get_token(token_label=TOKEN)
    with token.open(rw=True, user_pin=PIN) as session:
        session.create_object({
            Attribute.CLASS: ObjectClass.CERTIFICATE,
            Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
            Attribute.TOKEN: True,
            Attribute.LABEL: label,
            Attribute.ID: bytes.fromhex(key_id),
            Attribute.SUBJECT: cert.subject.public_bytes(),
            Attribute.VALUE: cert.public_bytes(serialization.Encoding.DER),
        })


@pytest.fixture(scope="module")
def token(tmp_path_factory, pki: DevPKI):
    tmp = tmp_path_factory.mktemp("softhsm")
    (tmp / "tokens").mkdir()
    conf = tmp / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tmp / 'tokens'}\nobjectstore.backend = file\n"
                    "log.level = ERROR\n")
    previous = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    env = dict(os.environ)
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", TOKEN, "--pin", PIN,
         "--so-pin", "12345678"],
        check=True, env=env, capture_output=True,
    )
    _import(pki.issue_person("Trần Ngọc Tú", "001088009999", "tntu@kg.gov.vn", PIN), LABEL,
            "01", env, tmp)
    _import(pki.issue_person("Lê Thị Hồng", "001088008888", "lth@kg.gov.vn", PIN,
                             key_type="ecdsa"), EC_LABEL, "02", env, tmp)
    yield Pkcs11TokenSpec(library=LIB, token_label=TOKEN)
    if previous is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = previous


@pytest.mark.parametrize("label", [LABEL, EC_LABEL])
def test_pkcs11_round_trip(token: Pkcs11TokenSpec, label: str, options, pki: DevPKI,
                           signature_png) -> None:
    # the label is asked for in decomposed form (NFD), as some token tools store it
    spec = replace(token, key_label=unicodedata.normalize("NFD", label))
    with open_pkcs11(spec, PIN) as key:
        assert key.source == "pkcs11"
        certified = certify_draft(
            prepare_draft(make_pdf(), LAYOUT), key, signature_png=signature_png,
            options=replace(options, level=PadesLevel.B_LT),
        )
    report = validate_pdf(certified.pdf, ValidationSettings(trust_roots=(pki.root_pem(),)))
    assert report.valid, report.to_dict()
    assert report.signatures[0].field == LEADER_FIELD


def test_pkcs11_wrong_pin_and_missing_key(token: Pkcs11TokenSpec, options) -> None:
    with pytest.raises(WrongPinError):
        with open_pkcs11(replace(token, key_label=LABEL), "999999"):
            pass
    with pytest.raises(KeyNotFoundError):
        with open_pkcs11(replace(token, key_label="Không có khóa này"), PIN):
            pass
    with pytest.raises(KeyNotFoundError):
        with open_pkcs11(replace(token, token_label="Token khác"), PIN):
            pass
    # two keys on the token and no label: ambiguous
    with pytest.raises(KeyNotFoundError):
        with open_pkcs11(token, PIN) as key:
            sign_pdf(make_pdf(), key, replace(options, field_name="Sig"))
