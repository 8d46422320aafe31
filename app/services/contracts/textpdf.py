"""Short signed documents (联保保证合同, 保证人同意书) as one-page text PDFs, built in-process in milliseconds.

The credit contract is a laid-out HTML page that WeasyPrint renders in a worker (document.py). A guarantee
contract or a guarantor's consent is a few lines of text signed at once at the PAD, so it is written directly
as PDF objects with pyHanko's writer: A4, the text set in the Adobe-GB1 CID font STSong-Light (one of the
PDF standard Chinese fonts: not embedded, so the file stays a few KB and the text stays searchable; readers
substitute their own Song face, poppler through poppler-data), and an empty signature field for each signer
laid out below the text, side by side. Signing then follows the same path as the credit contract
(pdfsign.sign_field, one incremental update per signer).
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.writer import PdfFileWriter

from app.services.contracts.pdfsign import FieldBox, add_signature_fields

PAGE_W, PAGE_H = 595.0, 842.0  # A4 in points
MARGIN = 56.0
TITLE_PT, BODY_PT, LEADING = 16.0, 11.0, 19.0
FIELD_W, FIELD_H, FIELD_GAP = 200.0, 100.0, 40.0
MAX_LINES = 30  # what fits above the signature fields


@dataclass(frozen=True, slots=True)
class TextDocument:
    title: str
    lines: tuple[str, ...]
    signers: tuple[tuple[str, str], ...]  # (field name, caption printed above the field), left to right


def _width(text: str, size: float) -> float:
    """Advance width: full-width (CJK) characters one em, the rest (STSong-Light's proportional Latin) half an em."""
    return sum(size if unicodedata.east_asian_width(ch) in ("W", "F") else size / 2 for ch in text)


def wrap(line: str, size: float = BODY_PT, width: float = PAGE_W - 2 * MARGIN) -> list[str]:
    out, current = [], ""
    for ch in line:
        if _width(current + ch, size) > width:
            out.append(current)
            current = ""
        current += ch
    out.append(current)
    return out


def _hex(text: str) -> str:
    """A string in the UniGB-UCS2-H encoding (UTF-16BE; characters outside the BMP are replaced)."""
    return "".join(f"{ord(ch):04X}" if ord(ch) <= 0xFFFF else "FFFD" for ch in text)


def _content(doc: TextDocument) -> tuple[bytes, list[FieldBox]]:
    ops = ["BT", f"/F1 {TITLE_PT:g} Tf", f"{(PAGE_W - _width(doc.title, TITLE_PT)) / 2:.2f} {PAGE_H - MARGIN - TITLE_PT:.2f} Td",
           f"<{_hex(doc.title)}> Tj", "ET"]
    body = [w for line in doc.lines for w in wrap(line)]
    if len(body) > MAX_LINES:
        raise ValueError(f"text of {len(body)} lines does not fit one page ({MAX_LINES})")
    y = PAGE_H - MARGIN - TITLE_PT - 2 * LEADING
    for line in body:
        ops += ["BT", f"/F1 {BODY_PT:g} Tf", f"{MARGIN:.2f} {y:.2f} Td", f"<{_hex(line)}> Tj", "ET"]
        y -= LEADING
    y -= LEADING
    boxes = []
    for i, (name, caption) in enumerate(doc.signers):
        x = MARGIN + i * (FIELD_W + FIELD_GAP)
        ops += ["BT", f"/F1 {BODY_PT:g} Tf", f"{x:.2f} {y:.2f} Td", f"<{_hex(caption)}> Tj", "ET"]
        boxes.append(FieldBox(name=name, page=0, box=(x, y - 8 - FIELD_H, x + FIELD_W, y - 8)))
    return "\n".join(ops).encode("ascii"), boxes


def text_pdf(doc: TextDocument) -> bytes:
    """The unsigned PDF with an empty signature field per signer (synchronous; milliseconds)."""
    content, boxes = _content(doc)
    writer = PdfFileWriter()
    cid_font = generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/Font"),
        generic.NameObject("/Subtype"): generic.NameObject("/CIDFontType0"),
        generic.NameObject("/BaseFont"): generic.NameObject("/STSong-Light"),
        generic.NameObject("/CIDSystemInfo"): generic.DictionaryObject({
            generic.NameObject("/Registry"): generic.TextStringObject("Adobe"),
            generic.NameObject("/Ordering"): generic.TextStringObject("GB1"),
            generic.NameObject("/Supplement"): generic.NumberObject(4),
        }),
        generic.NameObject("/FontDescriptor"): writer.add_object(generic.DictionaryObject({
            generic.NameObject("/Type"): generic.NameObject("/FontDescriptor"),
            generic.NameObject("/FontName"): generic.NameObject("/STSong-Light"),
            generic.NameObject("/Flags"): generic.NumberObject(6),
            generic.NameObject("/FontBBox"): generic.ArrayObject([generic.NumberObject(v) for v in (-25, -254, 1000, 880)]),
            generic.NameObject("/ItalicAngle"): generic.NumberObject(0),
            generic.NameObject("/Ascent"): generic.NumberObject(880),
            generic.NameObject("/Descent"): generic.NumberObject(-120),
            generic.NameObject("/CapHeight"): generic.NumberObject(880),
            generic.NameObject("/StemV"): generic.NumberObject(93),
        })),
        generic.NameObject("/DW"): generic.NumberObject(1000),
        generic.NameObject("/W"): generic.ArrayObject([generic.NumberObject(1), generic.NumberObject(95), generic.NumberObject(500)]),
    })
    font = generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/Font"),
        generic.NameObject("/Subtype"): generic.NameObject("/Type0"),
        generic.NameObject("/BaseFont"): generic.NameObject("/STSong-Light-UniGB-UCS2-H"),
        generic.NameObject("/Encoding"): generic.NameObject("/UniGB-UCS2-H"),
        generic.NameObject("/DescendantFonts"): generic.ArrayObject([writer.add_object(cid_font)]),
    })
    stream = generic.StreamObject(stream_data=content)
    page = generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/Page"),
        generic.NameObject("/MediaBox"): generic.ArrayObject([generic.NumberObject(0), generic.NumberObject(0),
                                                             generic.FloatObject(PAGE_W), generic.FloatObject(PAGE_H)]),
        generic.NameObject("/Resources"): generic.DictionaryObject({
            generic.NameObject("/Font"): generic.DictionaryObject({generic.NameObject("/F1"): writer.add_object(font)}),
        }),
        generic.NameObject("/Contents"): writer.add_object(stream),
    })
    writer.insert_page(page)
    writer.document_meta.title = doc.title
    out = io.BytesIO()
    writer.write(out)
    return add_signature_fields(out.getvalue(), boxes)
