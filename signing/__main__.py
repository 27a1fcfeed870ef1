"""Command line: ``python -m signing pki|sign|verify|external ...`` (DESIGN.md §6).

Errors print one line, Vietnamese then English, never a traceback, and exit 2; an
output file is written (atomically) only when the whole operation succeeded.
``verify`` exits 0 only when every signature is valid.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from .appearance import person_appearance, seal_appearance
from .errors import SigningLibraryError
from .keys import Pkcs11TokenSpec, SignerKey, load_pkcs12, open_pkcs11
from .pki import DEFAULT_BASE_URL, DevPKI, init_demo_directory
from .revocation import EmbeddedOnly, HttpFetching, InProcessFetching, RevocationSource
from .sign import (
    ATTACHMENT_FIELD,
    BODY_FIELD,
    LEADER_FIELD,
    Box,
    ExternalSigningRequest,
    PadesLevel,
    SignOptions,
    sign_attachment,
    sign_external_request,
    sign_pdf,
)
from .timestamps import HttpTsa, InProcessTsa, TimestampSource
from .validate import ValidationSettings, validate_pdf


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent or Path("."), prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise SigningLibraryError(
            f"Không đọc được tệp {path}: {exc.strerror}", f"Cannot read {path}: {exc.strerror}"
        ) from exc


def _services(args: argparse.Namespace) -> tuple[TimestampSource | None, RevocationSource]:
    pki_dir = getattr(args, "pki", None)
    if pki_dir:
        pki = DevPKI.load(pki_dir)
        tsa: TimestampSource | None = InProcessTsa(pki.timestamper())
        if getattr(args, "tsa", None):
            tsa = HttpTsa(args.tsa, timeout=args.timeout)
        return tsa, InProcessFetching(pki.route)
    tsa = HttpTsa(args.tsa, timeout=args.timeout) if getattr(args, "tsa", None) else None
    return tsa, HttpFetching(timeout=args.timeout)


def _box(text: str | None) -> Box | None:
    if not text:
        return None
    try:
        x0, y0, x1, y1 = (float(v) for v in text.split(","))
    except ValueError as exc:
        raise SigningLibraryError(
            "Khung chữ ký phải có dạng x0,y0,x1,y1", "The box must look like x0,y0,x1,y1"
        ) from exc
    return Box(x0, y0, x1, y1)


def _cmd_pki_init(args: argparse.Namespace) -> int:
    directory = Path(args.dir)
    pki = init_demo_directory(directory, base_url=args.base_url)
    print(f"Đã tạo PKI thử nghiệm tại {directory} (PIN 123456) / dev PKI created")
    print(f"root: {directory / 'root.pem'}  TSA: {pki.tsa_url}")
    return 0


def _load_key(args: argparse.Namespace) -> SignerKey:
    return load_pkcs12(_read(args.p12), args.pin)


def _cmd_sign(args: argparse.Namespace) -> int:
    pdf = _read(args.input)
    key = _load_key(args)
    tsa, revocation = _services(args)
    level = PadesLevel(args.level) if args.level else (PadesLevel.B_T if tsa else PadesLevel.B_B)
    image = _read(args.image) if args.image else None
    options = SignOptions(
        level=level,
        timestamps=tsa,
        revocation=revocation if level.rank >= PadesLevel.B_LT.rank else EmbeddedOnly(),
        certify=args.certify,
        on_tsa_failure="downgrade" if args.downgrade else "fail",
        new_field_box=_box(args.box),
        new_field_page=args.page,
        reason=args.reason,
    )
    if args.appearance == "attachment":
        result = sign_attachment(
            pdf, key, main_number=args.number or "", body_name=args.body or key.subject_name,
            options=replace(options, field_name=args.field or ATTACHMENT_FIELD),
        )
    else:
        appearance = None
        default_field = LEADER_FIELD
        if args.appearance == "person" and image:
            appearance = person_appearance(image)
        elif args.appearance == "body":
            default_field = BODY_FIELD
            appearance = seal_appearance(image) if image else None
        opts = replace(options, appearance=appearance, field_name=args.field or default_field)
        result = sign_pdf(pdf, key, opts)
    _write_atomic(Path(args.output), result.pdf)
    note = " (cần nâng cấp / needs upgrade)" if result.needs_upgrade else ""
    print(f"Đã ký {args.output} mức {result.level.value}{note} / signed")
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    pdf = _read(args.file)
    roots = tuple(_read(path) for path in args.trust)
    revocation: RevocationSource = HttpFetching(timeout=args.timeout) if args.fetch else (
        EmbeddedOnly()
    )
    report = validate_pdf(pdf, ValidationSettings(trust_roots=roots, revocation=revocation))
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(report.verdict)
        print(report.verdict_en)
        for item in report.signatures:
            mark = "✓" if item.valid else "✗"
            who = item.signer.name or "?"
            print(f" {mark} [{item.kind}] {item.field}: {who} — {item.reason}"
                  f" ({item.pades_level or '-'}, {item.modification_level})")
    return 0 if report.valid else 1


def _cmd_external_sign(args: argparse.Namespace) -> int:
    request = ExternalSigningRequest.from_json(_read(args.request).decode("utf-8"))
    if args.pkcs11_lib:
        spec = Pkcs11TokenSpec(
            library=args.pkcs11_lib, token_label=args.token_label, key_label=args.key_label
        )
        with open_pkcs11(spec, args.pin) as key:
            signature = sign_external_request(request, key)
    else:
        signature = sign_external_request(request, _load_key(args))
    _write_atomic(Path(args.output), signature)
    print(f"Đã ký dữ liệu, chữ ký ghi vào {args.output} / signature written")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m signing``."""
    parser = argparse.ArgumentParser(prog="python -m signing", description="Ký số PAdES")
    sub = parser.add_subparsers(dest="command", required=True)

    pki = sub.add_parser("pki", help="PKI thử nghiệm / development PKI")
    pki_sub = pki.add_subparsers(dest="pki_command", required=True)
    init = pki_sub.add_parser("init", help="tạo PKI, root.pem, person.p12, body.p12")
    init.add_argument("dir")
    init.add_argument("--base-url", default=DEFAULT_BASE_URL)
    init.set_defaults(func=_cmd_pki_init)

    sign = sub.add_parser("sign", help="ký một tệp PDF / sign a PDF")
    sign.add_argument("input")
    sign.add_argument("output")
    sign.add_argument("--p12", required=True)
    sign.add_argument("--pin", required=True)
    sign.add_argument("--certify", action="store_true")
    sign.add_argument("--appearance", choices=["person", "body", "attachment"])
    sign.add_argument("--image")
    sign.add_argument("--level", choices=[level.value for level in PadesLevel])
    sign.add_argument("--tsa")
    sign.add_argument("--pki", help="thư mục PKI thử nghiệm: TSA và OCSP trong tiến trình")
    sign.add_argument("--field")
    sign.add_argument("--box", help="x0,y0,x1,y1 for a new field")
    sign.add_argument("--page", type=int, default=0)
    sign.add_argument("--number", help="attachment: main document number/notation")
    sign.add_argument("--body", help="attachment: body name")
    sign.add_argument("--reason")
    sign.add_argument("--downgrade", action="store_true",
                      help="TSA down: sign at B-B and mark for upgrade")
    sign.add_argument("--timeout", type=float, default=5.0)
    sign.set_defaults(func=_cmd_sign)

    verify = sub.add_parser("verify", help="kiểm tra chữ ký / verify signatures")
    verify.add_argument("file")
    verify.add_argument("--trust", action="append", required=True, help="root PEM (repeatable)")
    verify.add_argument("--json", action="store_true")
    verify.add_argument("--fetch", action="store_true", help="fetch CRL/OCSP over HTTP")
    verify.add_argument("--timeout", type=float, default=10.0)
    verify.set_defaults(func=_cmd_verify)

    external = sub.add_parser("external", help="ký hai bước / two-step external signing")
    ext_sub = external.add_subparsers(dest="external_command", required=True)
    client = ext_sub.add_parser("sign-request", help="ký dữ liệu của máy chủ bằng khóa cục bộ")
    client.add_argument("request", help="JSON from the server (digest, signed_attributes)")
    client.add_argument("output", help="where to write the raw signature")
    client.add_argument("--pin", required=True)
    client.add_argument("--p12")
    client.add_argument("--pkcs11-lib")
    client.add_argument("--token-label")
    client.add_argument("--key-label")
    client.set_defaults(func=_cmd_external_sign)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = build_parser().parse_args(argv)
    # pyHanko logs layout and soft-fail notes at WARNING; the CLI reports its own errors
    logging.getLogger("pyhanko").setLevel(logging.ERROR)
    logging.getLogger("pyhanko_certvalidator").setLevel(logging.ERROR)
    try:
        return int(args.func(args))
    except SigningLibraryError as exc:
        print(exc.one_line(), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
