"""Printable 4x6 inch shipping labels: ZPL II for thermal printers and PDF for everything else.

One label (one ZPL ^XA..^XZ block, one PDF page) per parcel, all carrying the shipment's
waybill as a Code 128 barcode, with sender, recipient, service, weight, dimensions, piece
count and reference. Output is deterministic: the PDF is written in reportlab's invariant mode
and the only time shown is the request's own `created_at`.

Latin text uses Helvetica; lines with other scripts (a Shenzhen sender, a Chinese recipient)
switch to reportlab's built-in STSong-Light CID font so they print instead of turning into boxes.
ZPL is sent as UTF-8 (^CI28); field data is hex-escaped (^FH) so ^ and ~ in an address cannot
break the format.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import inch
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from adapters.transport.carriers.port import LabelRequest, Parcel
from adapters.transport.carriers.waybills import CARRIER_NAMES

PAGE = (4 * inch, 6 * inch)  # 288 x 432 pt
ZPL_DPI = 203
ZPL_WIDTH, ZPL_HEIGHT = 4 * ZPL_DPI, 6 * ZPL_DPI  # 812 x 1218 dots
CJK_FONT = "STSong-Light"


@dataclass(frozen=True)
class LabelContent:
    """What one parcel's label says, shared by both renderers."""

    carrier: str
    service: str
    waybill: str
    sender: tuple[str, ...]
    recipient: tuple[str, ...]
    weight: str
    dims: str
    piece: str
    reference: str
    shipment_id: str
    created: str
    banner: str | None


def address_lines(address: Mapping[str, str], *, with_phone: bool = False) -> list[str]:
    get = address.get
    locality = " ".join(p for p in (get("city", ""), get("region", ""), get("postcode", "")) if p)
    lines = [get("name", ""), get("company", ""), get("line1", ""), get("line2", ""), locality]
    lines.append(get("country", "").upper())
    if with_phone and get("phone"):
        lines.append(f"Tel {get('phone')}")
    return [" ".join(line.split()) for line in lines if line and line.strip()]


def service_name(service: str) -> str:
    """Rate-card service codes read as words on the label: express_worldwide -> Express Worldwide."""
    return " ".join(w if w.isupper() else w.capitalize() for w in service.replace("_", " ").split())


def _kg(grams: int) -> str:
    return f"{grams / 1000:.2f} kg"


def contents(
    request: LabelRequest, waybill: str, *, banner: str | None = None
) -> list[LabelContent]:
    carrier = CARRIER_NAMES.get(request.carrier, request.carrier)
    created = request.created_at.strftime("%Y-%m-%d %H:%M UTC")
    n = len(request.parcels)

    def one(i: int, parcel: Parcel) -> LabelContent:
        return LabelContent(
            carrier=carrier,
            service=service_name(request.service),
            waybill=waybill,
            sender=tuple(address_lines(request.sender)),
            recipient=tuple(address_lines(request.recipient, with_phone=True)),
            weight=f"{_kg(parcel.weight_g)} (shipment {_kg(request.total_weight_g)})"
            if n > 1
            else _kg(parcel.weight_g),
            dims="x".join(str(d) for d in parcel.dims_mm) + " mm",
            piece=f"{i}/{n}",
            reference=request.reference,
            shipment_id=request.shipment_id,
            created=created,
            banner=banner,
        )

    return [one(i, p) for i, p in enumerate(request.parcels, start=1)]


# --- ZPL ----------------------------------------------------------------------------------------


def _zpl_field(text: str, limit: int = 44) -> str:
    """Field data for ^FH: control characters dropped, _ ^ ~ hex-escaped, length capped."""
    clean = "".join(ch for ch in text if ch.isprintable())[:limit]
    return clean.replace("_", "_5F").replace("^", "_5E").replace("~", "_7E")


def _zpl_text(x: int, y: int, size: int, text: str, limit: int = 44) -> str:
    return f"^FO{x},{y}^A0N,{size},{size}^FH^FD{_zpl_field(text, limit)}^FS"


def _zpl_one(c: LabelContent) -> str:
    out = ["^XA", "^CI28", f"^PW{ZPL_WIDTH}", f"^LL{ZPL_HEIGHT}", "^LH0,0"]
    out.append(_zpl_text(30, 30, 50, c.carrier, 24))
    out.append(_zpl_text(30, 90, 30, c.service, 34))
    out.append(_zpl_text(640, 40, 40, c.piece, 8))
    out.append("^FO30,135^GB752,3,3^FS")
    out.append(_zpl_text(30, 150, 22, "FROM"))
    y = 178
    for line in c.sender[:6]:
        out.append(_zpl_text(30, y, 24, line, 56))
        y += 28
    out.append("^FO30,355^GB752,3,3^FS")
    out.append(_zpl_text(30, 370, 24, "TO"))
    y = 400
    for i, line in enumerate(c.recipient[:7]):
        out.append(_zpl_text(30, y, 42 if i == 0 else 36, line, 36))
        y += 46
    out.append("^FO30,730^GB752,3,3^FS")
    out.append(_zpl_text(30, 745, 28, f"Weight {c.weight}", 52))
    out.append(_zpl_text(30, 780, 28, f"Dims {c.dims}", 52))
    if c.reference:
        out.append(_zpl_text(30, 815, 28, f"Ref {c.reference}", 52))
    out.append(_zpl_text(30, 850, 22, f"Shipment {c.shipment_id}", 60))
    out.append("^FO30,880^GB752,3,3^FS")
    # Module width so the symbol fits the label: ~11 modules a character plus start/stop.
    module = max(2, min(4, (ZPL_WIDTH - 80) // (11 * len(c.waybill) + 35)))
    out.append(f"^BY{module},3,200")
    out.append(f"^FO40,900^BCN,200,Y,N,N,A^FD{c.waybill}^FS")
    out.append(_zpl_text(30, 1150, 22, f"Created {c.created}", 60))
    if c.banner:
        out.append(_zpl_text(30, 1180, 28, c.banner, 52))
    out.append("^XZ")
    return "\n".join(out)


def render_zpl(request: LabelRequest, waybill: str, *, banner: str | None = None) -> bytes:
    """ZPL II, one ^XA..^XZ label per parcel, UTF-8 encoded."""
    return (
        "\n".join(_zpl_one(c) for c in contents(request, waybill, banner=banner)) + "\n"
    ).encode()


# --- PDF ----------------------------------------------------------------------------------------


@cache
def _register_cjk_font() -> str:
    pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    return CJK_FONT


def _font(text: str, bold: bool = False) -> str:
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return _register_cjk_font()
    return "Helvetica-Bold" if bold else "Helvetica"


def _draw(
    c: canvas.Canvas,
    x: float,
    y: float,
    text: str,
    size: float,
    *,
    bold: bool = False,
    width: float = PAGE[0] - 24,
    align: str = "left",
) -> None:
    font = _font(text, bold)
    while text and pdfmetrics.stringWidth(text, font, size) > width:
        text = text[:-2] + "…" if len(text) > 2 else ""
    c.setFont(font, size)
    if align == "center":
        c.drawCentredString(x, y, text)
    elif align == "right":
        c.drawRightString(x, y, text)
    else:
        c.drawString(x, y, text)


def _pdf_page(c: canvas.Canvas, lc: LabelContent) -> None:
    w, h = PAGE
    m = 12
    _draw(c, m, h - 26, lc.carrier, 16, bold=True, width=w - 80)
    _draw(c, m, h - 40, lc.service, 10, width=w - 80)
    _draw(c, w - m, h - 26, lc.piece, 14, bold=True, align="right", width=60)
    c.line(m, h - 48, w - m, h - 48)
    _draw(c, m, h - 58, "FROM", 6.5, bold=True)
    y = h - 68
    for line in lc.sender[:6]:
        _draw(c, m, y, line, 8)
        y -= 9.5
    c.line(m, h - 126, w - m, h - 126)
    _draw(c, m, h - 136, "TO", 7, bold=True)
    y = h - 150
    for i, line in enumerate(lc.recipient[:7]):
        _draw(c, m, y, line, 12 if i == 0 else 11, bold=i == 0)
        y -= 13
    c.line(m, 204, w - m, 204)
    _draw(c, m, 192, f"Weight {lc.weight}", 9)
    _draw(c, m, 180, f"Dims {lc.dims}", 9)
    if lc.reference:
        _draw(c, m, 168, f"Ref {lc.reference}", 9)
    _draw(c, m, 156, f"Shipment {lc.shipment_id}", 7)
    c.line(m, 150, w - m, 150)
    probe = Code128(lc.waybill, barWidth=1, barHeight=64, humanReadable=False)
    bar_width = min(1.5, (w - 2 * m) / probe.width)
    barcode = Code128(lc.waybill, barWidth=bar_width, barHeight=64, humanReadable=False)
    barcode.drawOn(c, (w - barcode.width) / 2, 78)
    _draw(c, w / 2, 62, lc.waybill, 13, bold=True, align="center")
    _draw(c, m, 40, f"Created {lc.created}", 7)
    if lc.banner:
        _draw(c, w / 2, 24, lc.banner, 9, bold=True, align="center")


def render_pdf(request: LabelRequest, waybill: str, *, banner: str | None = None) -> bytes:
    """A 4x6 inch PDF, one page per parcel, Code 128 barcode of the waybill on each."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=PAGE, invariant=1, pageCompression=1)
    name = CARRIER_NAMES.get(request.carrier, request.carrier)
    c.setTitle(f"{name} label {waybill}")
    c.setAuthor("Crossdock")
    c.setSubject(f"shipment {request.shipment_id}")
    for lc in contents(request, waybill, banner=banner):
        _pdf_page(c, lc)
        c.showPage()
    c.save()
    return buf.getvalue()


def render(request: LabelRequest, waybill: str, *, banner: str | None = None) -> bytes:
    """The label in the request's own format (PDF or ZPL)."""
    if request.label_format == "ZPL":
        return render_zpl(request, waybill, banner=banner)
    return render_pdf(request, waybill, banner=banner)
