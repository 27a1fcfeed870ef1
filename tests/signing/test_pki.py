"""The development PKI: persistence, certificate contents, CRL, OCSP, TSA, routing."""

from __future__ import annotations

from asn1crypto import tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509 import ocsp
from cryptography.x509.oid import NameOID
from signing_helpers import PIN

from signing.pki import DevPKI, init_demo_directory


def _cert(p12: bytes) -> x509.Certificate:
    _, cert, _ = pkcs12.load_key_and_certificates(p12, PIN.encode())
    assert cert is not None
    return cert


def test_person_and_body_subjects(person_p12: bytes, body_p12: bytes) -> None:
    person = _cert(person_p12)
    assert person.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Nguyễn Văn Ánh"
    assert person.subject.get_attributes_for_oid(NameOID.USER_ID)[0].value == "CCCD:091088001234"
    usage = person.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and usage.value.content_commitment
    body = _cert(body_p12)
    assert body.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "Chính phủ"
    assert body.subject.get_attributes_for_oid(NameOID.LOCALITY_NAME)[0].value == "Kiên Giang"


def test_state_persists_and_reloads(tmp_path) -> None:
    pki = DevPKI.create(tmp_path / "p", base_url="http://127.0.0.1:5000/pki")
    cert = _cert(pki.issue_person("Trần Thị Lan", "012345678999", "ttlan@kg.gov.vn", PIN))
    pki.revoke(cert.serial_number, reason="superseded")
    again = DevPKI.load(tmp_path / "p")
    record = again.get_issued(cert.serial_number)
    assert record.revoked_at is not None and record.revocation_reason == "superseded"
    assert again.root_pem() == pki.root_pem()
    crl = x509.load_der_x509_crl(again.crl_der())
    assert crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None
    assert crl.is_signature_valid(again.ca_cert.public_key())


def test_ocsp_good_revoked_unknown(pki: DevPKI, person_p12: bytes) -> None:
    cert = _cert(person_p12)
    request = ocsp.OCSPRequestBuilder().add_certificate(cert, pki.ca_cert, hashes.SHA1()).build()
    response = ocsp.load_der_ocsp_response(
        pki.ocsp_respond(request.public_bytes(serialization.Encoding.DER))
    )
    assert response.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    assert response.certificate_status == ocsp.OCSPCertStatus.GOOD
    other = DevPKI.create(None)
    stranger = _cert(other.issue_person("Người Lạ", "000000000001", "x@y.vn", PIN))
    request = ocsp.OCSPRequestBuilder().add_certificate(
        stranger, other.ca_cert, hashes.SHA1()
    ).build()
    response = ocsp.load_der_ocsp_response(
        pki.ocsp_respond(request.public_bytes(serialization.Encoding.DER))
    )
    assert response.response_status == ocsp.OCSPResponseStatus.UNAUTHORIZED
    garbage = ocsp.load_der_ocsp_response(pki.ocsp_respond(b"\x30\x03garbage"))
    assert garbage.response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST


def test_tsa_respond(pki: DevPKI) -> None:
    request = tsp.TimeStampReq(
        {
            "version": 1,
            "message_imprint": {
                "hash_algorithm": {"algorithm": "sha256"},
                "hashed_message": b"\x01" * 32,
            },
            "cert_req": True,
        }
    )
    response = tsp.TimeStampResp.load(pki.tsa_respond(request.dump()))
    assert response["status"]["status"].native == "granted"
    from asn1crypto import core

    bad = core.Sequence.load(pki.tsa_respond(b"nonsense"))
    assert tsp.PKIStatusInfo.load(bad[0].dump())["status"].native == "rejection"


def test_handle_and_route(pki: DevPKI) -> None:
    assert pki.handle("/root.pem").body == pki.root_pem()
    assert pki.handle("/ca.crl").content_type == "application/pkix-crl"
    assert pki.handle("/nothing").status == 404
    assert pki.route("http://elsewhere/pki/ca.crl") is None
    assert pki.route(f"{pki.base_url}/ca.crt") == pki.ca_der()


def test_init_demo_directory(tmp_path) -> None:
    pki = init_demo_directory(tmp_path / "demo")
    for name in ("root.pem", "person.p12", "body.p12"):
        assert (tmp_path / "demo" / name).exists()
    assert _cert((tmp_path / "demo" / "person.p12").read_bytes()).issuer == pki.ca_cert.subject


def _whole(directory) -> DevPKI:
    """Load a PKI directory and check that each key belongs to its certificate."""
    pki = DevPKI.load(directory)
    pairs = [(pki._root_key, pki.root_cert), (pki._ca_key, pki.ca_cert),
             (pki._tsa_key, pki.tsa_cert), (pki._ocsp_key, pki.ocsp_cert)]
    for key, cert in pairs:
        assert key.public_key().public_numbers() == cert.public_key().public_numbers()
    assert pki.ca_cert.issuer == pki.root_cert.subject
    pki.ca_cert.verify_directly_issued_by(pki.root_cert)
    pki.ocsp_cert.verify_directly_issued_by(pki.ca_cert)
    return pki


def test_a_creation_killed_half_way_leaves_no_pki_and_the_next_one_starts_over(
        tmp_path, monkeypatch) -> None:
    # A worker killed while creating its PKI had left state.json beside missing key
    # files: every later start failed to load it ("Không đọc được thư mục PKI").
    import signing.pki as pki_module

    real_write = pki_module._atomic_write
    writes: list[str] = []

    def dies_on_the_fourth_file(path, data, mode=0o644):
        writes.append(path.name)
        if len(writes) == 4:
            raise KeyboardInterrupt  # the process dies here
        real_write(path, data, mode)

    monkeypatch.setattr(pki_module, "_atomic_write", dies_on_the_fourth_file)
    directory = tmp_path / "pki"
    try:
        DevPKI.load_or_create(directory)
    except KeyboardInterrupt:
        pass
    assert len(writes) == 4 and not (directory / "state.json").exists()
    monkeypatch.setattr(pki_module, "_atomic_write", real_write)
    created = DevPKI.load_or_create(directory)
    assert _whole(directory).root_pem() == created.root_pem()


def _load_or_create_root(directory: str) -> bytes:
    return DevPKI.load_or_create(directory).root_pem()


def test_processes_starting_at_once_share_one_whole_pki(tmp_path) -> None:
    import multiprocessing

    directory = str(tmp_path / "pki")
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        roots = pool.map(_load_or_create_root, [directory] * 8)
    assert len(set(roots)) == 1  # one PKI created, the others loaded it
    assert _whole(directory).root_pem() == roots[0]
