"""Signing benchmark (run by hand, not in CI): ``python bench/sign_bench.py [--quick]``.

For 1, 10 and 100-page PDFs and a ~5 MB PDF it times, on the same machine in the same
run, our ``signing`` library and stock pyHanko used the way its guide shows
(``SimpleSigner.load_pkcs12`` + ``PdfSigner``/``sign_pdf``, a stamp style with the
image, the stock ``GlyphAccumulatorFactory`` on the Debian Liberation Serif, the
default size estimate), both against the same in-process TSA and OCSP, and prints the
median milliseconds and the ratio ours/stock:

* leader signature — certification, visible (signature image), B-T;
* body seal — approval signature in the prepared field, seal image, B-LT;
* full flow — prepare + certify (B-T) + fill number/date + seal (B-LTA);
* validation — a 2-signature document, every signature.

Peak memory of the full flow on the 5 MB file is measured in a child process that
imports only the ``signing`` library (as a worker would) and reads its inputs from files
(``VmHWM``). Long-lived workers call ``gc.freeze()`` after warm-up, so this does.

Repeated runs in one process are the long-lived-worker case: the library remembers a
successful revocation check (and CRLs) for ``signing.revocation.CHECK_TTL`` seconds, so
after the first run the signer's, the leader's and the TSA's answers are re-used. The
second table shows our times with that memory cleared before every run.
"""

from __future__ import annotations

import argparse
import gc
import io
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "signing"))

from fpdf import FPDF  # noqa: E402
from PIL import Image  # noqa: E402
from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory  # noqa: E402
from pyhanko.pdf_utils.form_tools import populate_static_text_field  # noqa: E402
from pyhanko.pdf_utils.images import PdfImage  # noqa: E402
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter  # noqa: E402
from pyhanko.pdf_utils.reader import PdfFileReader  # noqa: E402
from pyhanko.pdf_utils.text import TextBoxStyle  # noqa: E402
from pyhanko.sign import fields, signers  # noqa: E402
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp  # noqa: E402
from pyhanko.stamp import StaticStampStyle  # noqa: E402
from pyhanko_certvalidator import ValidationContext  # noqa: E402
from signing_helpers import LAYOUT, PIN, make_seal_png, make_signature_png  # noqa: E402

from signing import _speedups  # noqa: E402
from signing.appearance import FONT_PATH  # noqa: E402
from signing.keys import load_pkcs12  # noqa: E402
from signing.pki import DevPKI  # noqa: E402
from signing.revocation import InProcessFetching, forget_checks  # noqa: E402
from signing.sign import (  # noqa: E402
    BODY_FIELD,
    DATE_FIELD,
    LEADER_FIELD,
    NUMBER_FIELD,
    PadesLevel,
    SignOptions,
    certify_draft,
    fill_number,
    prepare_draft,
    seal_document,
)
from signing.timestamps import InProcessTsa  # noqa: E402
from signing.validate import ValidationSettings, load_trust_roots, validate_pdf  # noqa: E402

STOCK_FONT = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"


def make_doc(pages: int, big: bool = False) -> bytes:
    """A draft of ``pages`` pages; ``big`` adds a ~5 MB incompressible image."""
    pdf = FPDF(format="A4")
    pdf.add_font("Serif", fname=str(FONT_PATH))
    for index in range(pages):
        pdf.add_page()
        pdf.set_font("Serif", size=13)
        pdf.multi_cell(0, 7, ("Quyết định về việc ban hành quy chế làm việc. " * 12
                              + f"\nTrang {index + 1}"))
    if big:
        noise = Image.frombytes("RGB", (1320, 1320), os.urandom(1320 * 1320 * 3))
        buf = io.BytesIO()
        noise.save(buf, "PNG")
        pdf.add_page()
        pdf.image(io.BytesIO(buf.getvalue()), x=10, y=10, w=190)
    return bytes(pdf.output())


Timing = tuple[float, float]
"""Median wall time and median CPU time of this process, in milliseconds."""


def median_ms(fn: Callable[[], object], runs: int, *, stock: bool = False) -> Timing:
    """Median wall and CPU times; stock runs use pyHanko's and asn1crypto's own code
    (the ``signing._speedups`` replacements switched off)."""
    _speedups.install(enabled=not stock)
    try:
        return _median(fn, runs)
    finally:
        _speedups.install(enabled=True)


def _median(fn: Callable[[], object], runs: int) -> Timing:
    fn()  # warm-up
    walls, cpus = [], []
    for _ in range(runs):
        start, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append((time.perf_counter() - start) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return statistics.median(walls), statistics.median(cpus)


class Bench:
    """Shared fixtures: PKI, keys, images, prepared documents."""

    def __init__(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="signbench-"))
        self.pki = DevPKI.create(self.tmp / "pki", base_url="http://127.0.0.1:9/pki")
        self.person_p12 = self.pki.issue_person("Nguyễn Văn Ánh", "091088001234", "a@kg.vn", PIN)
        self.body_p12 = self.pki.issue_body("UBND tỉnh Kiên Giang", "Chính phủ", "Kiên Giang", PIN)
        (self.tmp / "person.p12").write_bytes(self.person_p12)
        (self.tmp / "body.p12").write_bytes(self.body_p12)
        self.sig_png = make_signature_png()
        self.seal_png = make_seal_png()
        self.options = SignOptions(
            timestamps=InProcessTsa(self.pki.timestamper()),
            revocation=InProcessFetching(self.pki.route),
            trust_roots=(self.pki.root_pem(),),
        )
        self.roots = load_trust_roots([self.pki.root_pem()])
        # stock pyHanko, loaded once as in its guide
        self.stock_person = signers.SimpleSigner.load_pkcs12(
            str(self.tmp / "person.p12"), passphrase=PIN.encode()
        )
        self.stock_body = signers.SimpleSigner.load_pkcs12(
            str(self.tmp / "body.p12"), passphrase=PIN.encode()
        )

    # --------------------------------------------------------------- ours
    def ours_leader(self, prepared: bytes) -> bytes:
        key = load_pkcs12(self.person_p12, PIN)
        return certify_draft(prepared, key, signature_png=self.sig_png,
                             options=self.options).pdf

    def ours_seal(self, filled: bytes, level: PadesLevel = PadesLevel.B_LT) -> bytes:
        key = load_pkcs12(self.body_p12, PIN)
        return seal_document(filled, key, seal_png=self.seal_png,
                             options=replace(self.options, level=level)).pdf

    def ours_flow(self, draft: bytes) -> bytes:
        # nested like stock_flow: no intermediate version outlives the next step
        return self.ours_seal(
            fill_number(self.ours_leader(prepare_draft(draft, LAYOUT)),
                        number="Số: 12/QĐ-UBND", date_line="ngày 05/01/2024"),
            PadesLevel.B_LTA,
        )

    def ours_validate(self, pdf: bytes) -> object:
        return validate_pdf(pdf, ValidationSettings(trust_roots=(self.pki.root_pem(),)))

    # --------------------------------------------------------------- stock
    def _vc(self) -> ValidationContext:
        return ValidationContext(
            trust_roots=self.roots, allow_fetching=True,
            fetcher_backend=InProcessFetching(self.pki.route).fetcher_backend(),
        )

    def stock_prepare(self, draft: bytes) -> bytes:
        writer = IncrementalPdfFileWriter(io.BytesIO(draft))
        fields.append_signature_field(writer, fields.SigFieldSpec(
            LEADER_FIELD, on_page=0, box=LAYOUT.leader_box.as_tuple(),
            field_mdp_spec=fields.FieldMDPSpec(fields.FieldMDPAction.EXCLUDE,
                                               [NUMBER_FIELD, DATE_FIELD, BODY_FIELD])))
        fields.append_signature_field(writer, fields.SigFieldSpec(
            BODY_FIELD, on_page=0, box=LAYOUT.body_box().as_tuple(),
            field_mdp_spec=fields.FieldMDPSpec(fields.FieldMDPAction.ALL)))
        out = io.BytesIO()
        writer.write(out)
        # the text fields are added with the library helper (pyHanko has no API for them)
        return prepare_text_fields(out.getvalue())

    def stock_leader(self, prepared: bytes) -> bytes:
        style = StaticStampStyle(background=PdfImage(Image.open(io.BytesIO(self.sig_png))),
                                 background_opacity=1.0, border_width=0)
        meta = signers.PdfSignatureMetadata(
            field_name=LEADER_FIELD, certify=True, subfilter=fields.SigSeedSubFilter.PADES,
            docmdp_permissions=fields.MDPPerm.FILL_FORMS, md_algorithm="sha256",
        )
        pdf_signer = signers.PdfSigner(meta, signer=self.stock_person,
                                       timestamper=self.pki.timestamper(), stamp_style=style)
        out = pdf_signer.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(prepared)))
        return out.getvalue()

    def stock_fill(self, pdf: bytes) -> bytes:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        style = TextBoxStyle(font=GlyphAccumulatorFactory(STOCK_FONT, font_size=13),
                             font_size=13)
        populate_static_text_field(writer, NUMBER_FIELD, style, "Số: 12/QĐ-UBND")
        populate_static_text_field(writer, DATE_FIELD, style, "ngày 05/01/2024")
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()

    def stock_seal(self, filled: bytes, lta: bool = False) -> bytes:
        style = StaticStampStyle(background=PdfImage(Image.open(io.BytesIO(self.seal_png))),
                                 background_opacity=1.0, border_width=0)
        meta = signers.PdfSignatureMetadata(
            field_name=BODY_FIELD, subfilter=fields.SigSeedSubFilter.PADES,
            md_algorithm="sha256", embed_validation_info=True, use_pades_lta=lta,
            validation_context=self._vc(),
        )
        pdf_signer = signers.PdfSigner(meta, signer=self.stock_body,
                                       timestamper=self.pki.timestamper(), stamp_style=style)
        return pdf_signer.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(filled))).getvalue()

    def stock_flow(self, draft: bytes) -> bytes:
        prepared = self.stock_prepare(draft)
        return self.stock_seal(self.stock_fill(self.stock_leader(prepared)), lta=True)

    def stock_validate(self, pdf: bytes) -> object:
        reader = PdfFileReader(io.BytesIO(pdf))
        results = []
        for emb in reader.embedded_signatures:
            vc = ValidationContext(trust_roots=self.roots)
            if emb.sig_object_type == "/DocTimeStamp":
                results.append(validate_pdf_timestamp(emb, validation_context=vc))
            else:
                results.append(validate_pdf_signature(emb, vc))
        return results


def prepare_text_fields(pdf: bytes) -> bytes:
    """Add the two text fields to a PDF that already has both signature fields."""
    from signing.sign import _add_text_field

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    _add_text_field(writer, NUMBER_FIELD, 0, LAYOUT.number_box)
    _add_text_field(writer, DATE_FIELD, 0, LAYOUT.date_box)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def peak_rss_kib() -> int:
    """This process's peak RSS (VmHWM; unlike ru_maxrss it is not inherited over fork)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


_MEMORY_CHILD = """
import sys
from dataclasses import replace
from pathlib import Path

from signing import (DevPKI, InProcessFetching, InProcessTsa, PadesLevel, SignOptions,
                     certify_draft, fill_number, load_pkcs12, prepare_draft, seal_document)
from signing.sign import Box, DraftLayout


def hwm():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])


work = Path(sys.argv[1])
pki = DevPKI.load(work / "pki")
person = load_pkcs12((work / "person.p12").read_bytes(), sys.argv[2])
body = load_pkcs12((work / "body.p12").read_bytes(), sys.argv[2])
options = SignOptions(timestamps=InProcessTsa(pki.timestamper()),
                      revocation=InProcessFetching(pki.route), trust_roots=(pki.root_pem(),))
layout = DraftLayout(page=int(sys.argv[3]), number_box=Box(*map(float, sys.argv[4:8])),
                     date_box=Box(*map(float, sys.argv[8:12])),
                     leader_box=Box(*map(float, sys.argv[12:16])))
signature_png = (work / "signature.png").read_bytes()
seal_png = (work / "seal.png").read_bytes()


def flow(data):
    return seal_document(
        fill_number(
            certify_draft(prepare_draft(data, layout), person, signature_png=signature_png,
                          options=options).pdf,
            number="Số: 12/QĐ-UBND", date_line="ngày 05/01/2024"),
        body, seal_png=seal_png, options=replace(options, level=PadesLevel.B_LTA)).pdf


print(hwm())
if sys.argv[-1] == "warm":
    flow((work / "small.pdf").read_bytes())
    print(hwm())
if sys.argv[-1] == "traced":
    import tracemalloc

    flow((work / "small.pdf").read_bytes())
    data = (work / "big.pdf").read_bytes()
    tracemalloc.start()
    flow(data)
    print(tracemalloc.get_traced_memory()[1] // 1024)
    print(len(data) // 1024)
else:
    flow((work / "big.pdf").read_bytes())
    print(hwm())
"""


def peak_memory_child(bench: Bench, data: bytes, mode: str) -> tuple[float, float]:
    """Our full flow on ``data`` in a child process that imports only ``signing``:
    (peak RSS before the flow, peak RSS after it) in MiB. ``mode`` "warm": a 1-page flow
    first, as in a long-lived worker (lazy imports, font and image caches); "traced":
    after such a warm-up, the peak of Python allocations during the flow (tracemalloc,
    which sees no interpreter, module or allocator overhead) and the input's size."""
    (bench.tmp / "big.pdf").write_bytes(data)
    (bench.tmp / "small.pdf").write_bytes(make_doc(1))
    (bench.tmp / "signature.png").write_bytes(bench.sig_png)
    (bench.tmp / "seal.png").write_bytes(bench.seal_png)
    boxes = [LAYOUT.number_box, LAYOUT.date_box, LAYOUT.leader_box]
    args = [str(bench.tmp), PIN, str(LAYOUT.page)]
    args += [str(v) for box in boxes for v in box.as_tuple()]
    args.append(mode)
    result = subprocess.run([sys.executable, "-c", _MEMORY_CHILD, *args],
                            capture_output=True, text=True, check=True, cwd=ROOT)
    before, after = result.stdout.strip().splitlines()[-2:]
    return int(before) / 1024, int(after) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer runs")
    args = parser.parse_args()
    load_start = os.getloadavg()
    bench = Bench()
    docs = {
        "1 page": make_doc(1),
        "10 pages": make_doc(10),
        "100 pages": make_doc(100),
        "5 MB": make_doc(2, big=True),
    }
    gc.collect()
    gc.freeze()
    rows: list[tuple[str, str, Timing, Timing]] = []
    for name, draft in docs.items():
        runs = 3 if args.quick else (15 if len(draft) < 1_000_000 else 7)
        prepared = prepare_draft(draft, LAYOUT)
        stock_prepared = bench.stock_prepare(draft)
        certified = bench.ours_leader(prepared)
        filled = fill_number(certified, number="Số: 12/QĐ-UBND", date_line="ngày 05/01/2024")
        stock_filled = bench.stock_fill(bench.stock_leader(stock_prepared))
        rows.append((name, "leader signature (visible, B-T)",
                     median_ms(lambda p=prepared: bench.ours_leader(p), runs),
                     median_ms(lambda p=stock_prepared: bench.stock_leader(p), runs, stock=True)))
        rows.append((name, "body seal (B-LT)",
                     median_ms(lambda f=filled: bench.ours_seal(f), runs),
                     median_ms(lambda f=stock_filled: bench.stock_seal(f), runs, stock=True)))
        rows.append((name, "full flow (prepare→B-T→fill→B-LTA)",
                     median_ms(lambda d=draft: bench.ours_flow(d), runs),
                     median_ms(lambda d=draft: bench.stock_flow(d), runs, stock=True)))
        two = bench.ours_seal(filled, PadesLevel.B_T)
        rows.append((name, "validation (2 signatures)",
                     median_ms(lambda t=two: bench.ours_validate(t), runs),
                     median_ms(lambda t=two: bench.stock_validate(t), runs, stock=True)))
    cold: list[tuple[str, str, Timing]] = []
    for name in ("1 page", "10 pages"):
        runs = 3 if args.quick else 15
        prepared = prepare_draft(docs[name], LAYOUT)
        filled = fill_number(bench.ours_leader(prepared), number="Số: 12/QĐ-UBND",
                             date_line="ngày 05/01/2024")

        def forgetting(fn: Callable[[], object]) -> Callable[[], object]:
            def run() -> object:
                forget_checks()
                return fn()
            return run

        cold.append((name, "leader signature (visible, B-T)",
                     median_ms(forgetting(lambda p=prepared: bench.ours_leader(p)), runs)))
        cold.append((name, "body seal (B-LT)",
                     median_ms(forgetting(lambda f=filled: bench.ours_seal(f)), runs)))
    before, peak = peak_memory_child(bench, docs["5 MB"], "cold")
    warm_before, warm_peak = peak_memory_child(bench, docs["5 MB"], "warm")
    traced_peak, input_size = peak_memory_child(bench, docs["5 MB"], "traced")
    print(f"# Signing benchmark — {datetime.now():%Y-%m-%d %H:%M}")
    print(f"machine: {platform.node()} · {platform.machine()} · {os.cpu_count()} CPU · "
          f"Python {platform.python_version()} · {platform.platform()}")
    print(f"5 MB document: {len(docs['5 MB']) / 1e6:.1f} MB")
    print()
    print("Wall-clock medians (CPU-time medians of the process in brackets), ms:")
    print()
    print("| document | operation | ours | stock pyHanko | ours/stock (wall) |")
    print("| --- | --- | ---: | ---: | ---: |")
    for doc, op, ours, stock in rows:
        print(f"| {doc} | {op} | {ours[0]:.1f} ({ours[1]:.1f}) | {stock[0]:.1f} "
              f"({stock[1]:.1f}) | {ours[0] / stock[0]:.2f} |")
    print()
    print("ours with the revocation-check memory cleared before every run:")
    print()
    print("| document | operation | ours, nothing remembered (ms) |")
    print("| --- | --- | ---: |")
    for doc, op, ours in cold:
        print(f"| {doc} | {op} | {ours[0]:.1f} ({ours[1]:.1f}) |")
    print()
    print(f"peak memory, full flow on the 5 MB file (child process importing only signing, "
          f"VmHWM): first document of the process {peak:.0f} MiB ({before:.0f} MiB after "
          f"imports and set-up, +{peak - before:.0f} MiB); after a 1-page warm-up flow "
          f"{warm_peak:.0f} MiB (+{warm_peak - warm_before:.0f} MiB over the warm-up's peak); "
          f"Python allocations during the flow (tracemalloc peak, after a warm-up): "
          f"{traced_peak:.1f} MiB for a {input_size:.1f} MiB input")
    load_end = os.getloadavg()
    print(f"load average (1/5/15 min): at start {load_start[0]:.1f}/{load_start[1]:.1f}/"
          f"{load_start[2]:.1f}, at end {load_end[0]:.1f}/{load_end[1]:.1f}/{load_end[2]:.1f} "
          f"on {os.cpu_count()} CPUs")
    maxrss = peak_rss_kib() / 1024
    print(f"(this benchmark process, everything loaded: {maxrss:.0f} MiB)")
    shutil.rmtree(bench.tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
