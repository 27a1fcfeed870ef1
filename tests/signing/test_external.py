"""Two-step external signing: prepare → sign elsewhere → complete."""

from __future__ import annotations

from dataclasses import replace

import pytest
from signing_helpers import LAYOUT, make_pdf

from signing.appearance import person_appearance
from signing.errors import ExternalSigningError
from signing.pki import DevPKI
from signing.sign import (
    LEADER_FIELD,
    ExternalSigningRequest,
    PadesLevel,
    complete_external,
    prepare_draft,
    prepare_external,
    sign_external_request,
)
from signing.validate import ValidationSettings, validate_pdf


@pytest.mark.parametrize("key_name", ["person_key", "ecdsa_key"])
@pytest.mark.parametrize("level", [PadesLevel.B_T, PadesLevel.B_LTA])
def test_external_round_trip(key_name, level, request, options, pki: DevPKI,
                             signature_png) -> None:
    key = request.getfixturevalue(key_name)
    draft = prepare_draft(make_pdf(), LAYOUT)
    prepared = prepare_external(
        draft, key.certificate.dump(), chain=[c.dump() for c in key.chain],
        options=replace(options, field_name=LEADER_FIELD, certify=True, level=level,
                        appearance=person_appearance(signature_png)),
    )
    assert len(prepared.digest) == 32
    # the client only sees the JSON (no handle)
    client_side = ExternalSigningRequest.from_json(prepared.to_json())
    raw = sign_external_request(client_side, key)
    result = complete_external(
        prepared.handle, raw, timestamps=options.timestamps, revocation=options.revocation,
    )
    report = validate_pdf(result.pdf, ValidationSettings(trust_roots=(pki.root_pem(),)))
    assert report.valid, report.to_dict()
    assert report.signatures[0].docmdp == 2
    assert report.signatures[0].pades_level == level.value


def test_external_wrong_signature_rejected(person_key, ecdsa_key, options) -> None:
    prepared = prepare_external(
        make_pdf(), person_key.certificate.dump(), options=replace(options, field_name="Sig")
    )
    other = sign_external_request(ExternalSigningRequest.from_json(prepared.to_json()),
                                  ecdsa_key)
    with pytest.raises(ExternalSigningError):
        complete_external(prepared.handle, other, timestamps=options.timestamps)
    with pytest.raises(ExternalSigningError):
        complete_external(b"garbage", b"\x00" * 256, timestamps=options.timestamps)
