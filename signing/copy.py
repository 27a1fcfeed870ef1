"""The base of an electronic copy (bản sao điện tử, Decree 30 Part II §I): a new PDF that
shows the original's pages and carries the original file itself.

Why not sign the received PDF in an incremental update: a Decree 30 document arrives
with the leader's *certification* signature (DocMDP level 2: form filling and signing of
existing fields only). The copy's signature is a NEW visible field at the top right of
page 1, and a new visible field after a certification is a change that level 2 does not
permit — pyHanko then reports the leader's signature as modified ("other"), although
``pdfsig`` (which checks byte ranges only) still calls it valid. A copy must not make
the original's signatures look broken, so the copy is a new document instead:

* each page of the original is drawn as a form XObject, with the appearance streams of
  its annotations (the leader's signature image, the red seal, the filled number and
  date fields) flattened on top at their rectangles, so the copy looks like the original;
* the original PDF is embedded byte for byte as an associated file (``/AF`` with
  ``/AFRelationship /Source`` and in the ``/EmbeddedFiles`` name tree), so every
  signature of the issuer stays verifiable — ``pdfdetach -save 1`` then ``pdfsig``, or
  :func:`original_of` then :func:`signing.validate.validate_pdf`;
* the copying body then signs this new document (:func:`signing.sign.sign_copy`), whose
  signature covers the embedded original as well: the copy certifies exactly that file.
"""

from __future__ import annotations

import io

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.embed import EmbeddedFileObject, EmbeddedFileParams, FileSpec, embed_file
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter

from .errors import PdfReadError
from .pdfio import open_reader

_HIDDEN = 1 << 1
_NO_VIEW = 1 << 5

__all__ = ["ORIGINAL_NAME", "make_copy_base", "original_of"]

ORIGINAL_NAME = "ban-goc.pdf"


def _numbers(value: generic.PdfObject) -> list[float]:
    return [float(v) for v in value.get_object()]  # type: ignore[union-attr]


def _appearance(annot: generic.DictionaryObject) -> generic.PdfObject | None:
    """The normal appearance stream (as stored, usually an indirect reference)."""
    ap = annot.get("/AP")
    if not isinstance(ap, generic.DictionaryObject) or "/N" not in ap:
        return None
    normal = ap.raw_get("/N")
    resolved = normal.get_object()
    if isinstance(resolved, generic.StreamObject):
        return normal
    if isinstance(resolved, generic.DictionaryObject):  # on/off states (check boxes)
        state = annot.get("/AS")
        if state is not None and state in resolved:
            return resolved.raw_get(state)
    return None


def _placement(stream: generic.StreamObject, rect: list[float]) -> list[float] | None:
    """The ``cm`` that maps the appearance's transformed BBox onto the annotation's Rect
    (ISO 32000-1 §12.5.5); the form's own /Matrix is applied by ``Do``."""
    x0, y0, x1, y1 = _numbers(stream["/BBox"])
    a, b, c, d, e, f = _numbers(stream["/Matrix"]) if "/Matrix" in stream else [1, 0, 0, 1, 0, 0]
    corners = [(a * x + c * y + e, b * x + d * y + f) for x in (x0, x1) for y in (y0, y1)]
    tx0, tx1 = min(p[0] for p in corners), max(p[0] for p in corners)
    ty0, ty1 = min(p[1] for p in corners), max(p[1] for p in corners)
    rx0, ry0, rx1, ry1 = min(rect[0], rect[2]), min(rect[1], rect[3]), \
        max(rect[0], rect[2]), max(rect[1], rect[3])
    if tx1 - tx0 <= 0 or ty1 - ty0 <= 0 or rx1 - rx0 <= 0 or ry1 - ry0 <= 0:
        return None
    sx, sy = (rx1 - rx0) / (tx1 - tx0), (ry1 - ry0) / (ty1 - ty0)
    return [sx, 0, 0, sy, rx0 - sx * tx0, ry0 - sy * ty0]


def make_copy_base(pdf: bytes, *, description: str = "Bản gốc văn bản điện tử") -> bytes:
    """A new PDF showing ``pdf``'s pages (annotations flattened) with ``pdf`` embedded."""
    reader = open_reader(pdf)
    writer = PdfFileWriter()
    count = int(reader.root["/Pages"]["/Count"])
    if count < 1:
        raise PdfReadError("Tệp PDF không có trang nào", "The PDF has no pages")
    for index in range(count):
        page_ref, _resources = reader.find_page_for_modification(index)
        page = page_ref.get_object()
        box = _inherited(page, "/MediaBox")
        if box is None:
            raise PdfReadError("Trang PDF không có kích thước (MediaBox)",
                               "A page has no MediaBox")
        media_box = _numbers(box)
        xobjects = generic.DictionaryObject({
            pdf_name("/Pg"): writer.import_page_as_xobject(reader, page_ix=index)})
        ops = [b"q /Pg Do Q"]
        for n, annot_ref in enumerate(page.get("/Annots") or []):
            annot = annot_ref.get_object()
            if int(annot.get("/F", 0)) & (_HIDDEN | _NO_VIEW):
                continue
            normal = _appearance(annot)
            if normal is None or "/Rect" not in annot:
                continue
            cm = _placement(normal.get_object(), _numbers(annot["/Rect"]))
            if cm is None:
                continue
            imported = writer.import_object(normal)
            if not isinstance(imported, generic.IndirectObject):
                imported = writer.add_object(imported)
            name = f"/A{n}"
            xobjects[pdf_name(name)] = imported
            ops.append(("q " + " ".join(f"{v:.6f}" for v in cm) + f" cm {name} Do Q").encode())
        contents = writer.add_object(generic.StreamObject(stream_data=b"\n".join(ops)))
        new_page = PageObject(contents=contents, media_box=media_box,
                              resources=generic.DictionaryObject({pdf_name("/XObject"): xobjects}))
        rotate = _inherited(page, "/Rotate")
        if rotate:
            new_page[pdf_name("/Rotate")] = generic.NumberObject(int(rotate))
        writer.insert_page(new_page)
    data = EmbeddedFileObject.from_file_data(
        writer, pdf, mime_type="application/pdf",
        params=EmbeddedFileParams(embed_size=True, embed_checksum=True))
    embed_file(writer, FileSpec(file_spec_string=ORIGINAL_NAME, file_name=ORIGINAL_NAME,
                                embedded_data=data, description=description,
                                af_relationship=pdf_name("/Source")))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _inherited(page: generic.DictionaryObject, key: str) -> generic.PdfObject | None:
    node: generic.PdfObject | None = page
    while isinstance(node, generic.DictionaryObject):
        if key in node:
            return node[key]
        parent = node.get("/Parent")
        node = parent.get_object() if parent is not None else None
    return None


def original_of(copy_pdf: bytes) -> bytes | None:
    """The original PDF a copy made by :func:`make_copy_base` carries (``None`` if none)."""
    reader = open_reader(copy_pdf)
    names = reader.root.get("/Names")
    names = names.get_object() if names is not None else None
    tree = names.get("/EmbeddedFiles") if isinstance(names, generic.DictionaryObject) else None
    tree = tree.get_object() if tree is not None else None
    if not isinstance(tree, generic.DictionaryObject) or "/Names" not in tree:
        return None
    entries = list(tree["/Names"])
    for key, spec in zip(entries[::2], entries[1::2], strict=False):
        if str(key) != ORIGINAL_NAME:
            continue
        stream = spec.get_object()["/EF"]["/F"].get_object()
        return bytes(stream.data)
    return None
