"""Customs documents as A4 PDFs: the commercial invoice and the packing list of a declaration.

Both are rendered from the same declaration dict (the shape the customs module serialises as the
declaration's structured JSON), so the figures on paper are the declaration's own:

- Money is printed exactly as the declaration holds it (strings such as ``"37.50"``), never passed
  through a float. The one figure the declaration does not carry, the invoice total, is the exact
  ``Decimal`` sum of goods, freight and insurance (or ``totals["invoice_total"]`` when present).
- Weights are the declaration's whole grams, printed as grams (``950 g``); totals also show the
  same figure in kilograms by integer arithmetic (``1000 g (1.000 kg)``).
- Line values are in the declaration's ``currency``; duty and VAT in its ``destination_currency``.

Output is deterministic: reportlab's invariant mode (fixed creation date and document id) and no
clock anywhere; the dates shown are the declaration's ``invoice_date``. Long documents flow onto
more pages: the item tables repeat their header row, later pages carry a "(continued)" header and
every page a footer with the declaration id, the tariff, VAT and prohibited-goods data versions and
"Page n of m" (the document is laid out twice, the second time with the page count known).

Text is Helvetica; runs of characters outside cp1252 (a Chinese consignee, a Cyrillic street)
switch to reportlab's built-in STSong-Light CID font, as the shipping labels do. Characters that
font lacks print as blanks rather than failing the render.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from functools import cache, partial
from itertools import groupby
from typing import Any
from xml.sax.saxutils import escape

import pycountry
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from adapters.transport.carriers.labels import service_name
from adapters.transport.carriers.waybills import CARRIER_NAMES

__all__ = ["render_commercial_invoice", "render_packing_list"]

PAGE = A4  # 595 x 842 pt
MARGIN = 15 * mm
CONTENT_WIDTH = PAGE[0] - 2 * MARGIN  # ~510 pt
CJK_FONT = "STSong-Light"
DASH = "\u2014"

INCOTERMS = {"DDP": "Delivered Duty Paid", "DAP": "Delivered At Place"}

DECLARATION_STATEMENT = (
    "I declare that the information on this invoice is true and correct, that the goods listed "
    "are those in this shipment and that their origin is as stated."
)

GRID = colors.HexColor("#9a9a9a")
SHADE = colors.HexColor("#ececec")

# --- text ---------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    """A value as one printable line: None is empty, control characters become spaces."""
    if value is None:
        return ""
    return "".join(ch if ch.isprintable() else " " for ch in str(value))


def _money(value: Any) -> str:
    """Money exactly as the declaration holds it (a string, or a Decimal's own str)."""
    text = _text(value).strip()
    return text or DASH


def _grams(value: Any) -> str:
    text = _text(value).strip()
    return f"{text} g" if text else DASH


def _kg(grams: Any) -> str:
    """Whole grams as kilograms, by integer arithmetic: 1000 -> 1.000 kg."""
    if isinstance(grams, bool) or not isinstance(grams, int):
        return ""
    sign = "-" if grams < 0 else ""
    whole, rest = divmod(abs(grams), 1000)
    return f"{sign}{whole}.{rest:03d} kg"


def _weight_total(grams: Any) -> str:
    kg = _kg(grams)
    return f"{_grams(grams)} ({kg})" if kg else _grams(grams)


def _invoice_total(totals: Mapping[str, Any]) -> str:
    if totals.get("invoice_total") is not None:
        return _money(totals["invoice_total"])
    try:
        parts = [
            Decimal(str(totals.get(k) or "0")) for k in ("goods_value", "freight", "insurance")
        ]
    except (InvalidOperation, ValueError):
        return DASH
    return str(sum(parts, Decimal(0)))


def _country(code: Any) -> str:
    text = _text(code).strip()
    if len(text) == 2 and text.isascii() and text.isalpha():
        country = pycountry.countries.get(alpha_2=text.upper())
        if country is not None:
            return f"{country.name} ({text.upper()})"
    return text


@cache
def _cjk_font() -> str:
    pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    return CJK_FONT


@cache
def _latin(ch: str) -> bool:
    try:
        ch.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def _markup(text: str) -> str:
    """Paragraph markup: escaped text, non-cp1252 runs wrapped in the CJK font."""
    out = []
    for latin, run in groupby(text, key=_latin):
        chunk = escape("".join(run))
        out.append(chunk if latin else f'<font name="{_cjk_font()}">{chunk}</font>')
    return "".join(out)


def _style(name: str, **kw: Any) -> ParagraphStyle:
    base = {"fontName": "Helvetica", "fontSize": 8, "leading": 10}
    return ParagraphStyle(name, **{**base, **kw})


BODY = _style("body", fontSize=8.5, leading=11)
SMALL = _style("small", fontSize=7, leading=8.5, textColor=colors.HexColor("#444444"))
LABEL = _style("label", fontName="Helvetica-Bold", fontSize=7, leading=9)
STRONG = _style("strong", fontName="Helvetica-Bold", fontSize=8.5, leading=11)
TITLE = _style("title", fontName="Helvetica-Bold", fontSize=16, leading=20)
CELL = _style("cell")
CELL_R = _style("cell_r", alignment=TA_RIGHT)
HEAD = _style("head", fontName="Helvetica-Bold", fontSize=7.5, leading=9)
HEAD_R = _style("head_r", fontName="Helvetica-Bold", fontSize=7.5, leading=9, alignment=TA_RIGHT)
STRONG_R = _style(
    "strong_r", fontName="Helvetica-Bold", fontSize=8.5, leading=11, alignment=TA_RIGHT
)
BODY_R = _style("body_r", fontSize=8.5, leading=11, alignment=TA_RIGHT)
SMALL_R = ParagraphStyle("small_r", parent=SMALL, alignment=TA_RIGHT)


@cache
def _cjk_variant(style: ParagraphStyle) -> ParagraphStyle:
    # Chinese has no spaces to break on: wrap between characters instead.
    return ParagraphStyle(f"{style.name}-cjk", parent=style, wordWrap="CJK")


def _p(value: Any, style: ParagraphStyle = CELL) -> Paragraph:
    text = _text(value)
    if not all(_latin(ch) for ch in text):
        style = _cjk_variant(style)
    return Paragraph(_markup(text), style)


def _lines(values: Iterable[Any], style: ParagraphStyle = CELL) -> Paragraph:
    """Several lines in one paragraph (blank ones dropped)."""
    texts = [" ".join(_text(v).split()) for v in values]
    texts = [t for t in texts if t]
    style = style if all(_latin(ch) for t in texts for ch in t) else _cjk_variant(style)
    return Paragraph("<br/>".join(_markup(t) for t in texts) or "&nbsp;", style)


# --- building blocks ----------------------------------------------------------------------------


def _address(party: Mapping[str, Any] | None) -> list[str]:
    party = party or {}
    get = party.get
    locality = " ".join(_text(get(k)) for k in ("postcode", "city") if get(k))
    locality = ", ".join(t for t in (locality, _text(get("region"))) if t)
    lines = [get("name"), get("company"), get("line1"), get("line2"), locality]
    lines.append(_country(get("country")))
    if get("phone"):
        lines.append(f"Tel {_text(get('phone'))}")
    if get("email"):
        lines.append(f"Email {_text(get('email'))}")
    return [_text(line) for line in lines if line]


def _parties(declaration: Mapping[str, Any], left: str, right: str) -> Table:
    exporter = _address(declaration.get("exporter"))
    importer = _address(declaration.get("importer"))
    cells = [
        [_p(left, LABEL), _p(right, LABEL)],
        [
            _lines(exporter[:1], STRONG),
            _lines(importer[:1], STRONG),
        ],
        [_lines(exporter[1:], BODY), _lines(importer[1:], BODY)],
    ]
    table = Table(cells, colWidths=[CONTENT_WIDTH / 2] * 2)
    table.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (0, -1), 0.6, GRID),
                ("BOX", (1, 0), (1, -1), 0.6, GRID),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 1), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 1), (-1, -1), 1),
                ("BOTTOMPADDING", (0, -1), (-1, -1), 5),
            ]
        )
    )
    return table


def _facts(pairs: Sequence[tuple[str, Any]], columns: int = 2) -> Table:
    """Label/value pairs laid out in `columns` label+value column pairs."""
    pairs = [(k, v) for k, v in pairs if v not in (None, "")]
    rows_n = -(-len(pairs) // columns)
    rows: list[list[Flowable | str]] = []
    for r in range(rows_n):
        row: list[Flowable | str] = []
        for c in range(columns):
            i = c * rows_n + r
            if i < len(pairs):
                row += [_p(pairs[i][0], LABEL), _p(pairs[i][1], BODY)]
            else:
                row += ["", ""]
        rows.append(row)
    label_w = 30 * mm
    value_w = CONTENT_WIDTH / columns - label_w
    table = Table(rows, colWidths=[label_w, value_w] * columns)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _grid_style(extra: Sequence[tuple] = ()) -> TableStyle:
    return TableStyle(
        [
            ("BACKGROUND", (0, 0), (-1, 0), SHADE),
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
            ("BOX", (0, 0), (-1, -1), 0.6, GRID),
            ("INNERGRID", (0, 1), (-1, -1), 0.25, GRID),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            *extra,
        ]
    )


def _summary(rows: Sequence[tuple[str, str, bool]], width: float = 92 * mm) -> Table:
    """A right-hand block of label / figure rows; bold rows are totals."""
    cells = [
        [_p(label, STRONG if bold else BODY), _p(value, STRONG_R if bold else BODY_R)]
        for label, value, bold in rows
    ]
    table = Table(cells, colWidths=[width * 0.6, width * 0.4], hAlign="RIGHT")
    style = [
        ("TOPPADDING", (0, 0), (-1, -1), 1),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ]
    style += [("LINEABOVE", (0, i), (-1, i), 0.6, GRID) for i, r in enumerate(rows) if r[2]]
    table.setStyle(TableStyle(style))
    return table


def _section(title: str) -> list[Flowable]:
    return [Spacer(1, 4 * mm), _p(title, STRONG), Spacer(1, 1 * mm)]


def _carrier(declaration: Mapping[str, Any]) -> tuple[str, str]:
    carrier = declaration.get("carrier") or {}
    code, service = _text(carrier.get("carrier")), _text(carrier.get("service"))
    name = " ".join(t for t in (CARRIER_NAMES.get(code, code), service_name(service)) if t)
    return name, _text(carrier.get("waybill"))


def _incoterm(declaration: Mapping[str, Any]) -> str:
    code = _text(declaration.get("incoterm")).strip().upper()
    name = INCOTERMS.get(code)
    return f"{code} ({name})" if name else code


# --- page furniture and the two-pass build ------------------------------------------------------


def _footer_text(declaration: Mapping[str, Any]) -> str:
    parts = [
        f"Declaration {_text(declaration.get('declaration_id'))}",
        f"Tariff data {_text(declaration.get('tariff_version'))}",
        f"VAT data {_text(declaration.get('vat_version'))}",
        f"Prohibited goods list v{_text(declaration.get('prohibited_list_version'))}",
    ]
    return " \u00b7 ".join(parts)


def _decorate(
    canvas: Canvas,
    doc: BaseDocTemplate,
    *,
    continued: str,
    footer: str,
    total_pages: int,
) -> None:
    page = canvas.getPageNumber()
    canvas.saveState()
    if page > 1:
        head = _p(continued, SMALL)
        head.wrapOn(canvas, CONTENT_WIDTH, 20)
        head.drawOn(canvas, MARGIN, PAGE[1] - MARGIN + 3 * mm)
    canvas.setStrokeColor(GRID)
    canvas.setLineWidth(0.5)
    canvas.line(MARGIN, MARGIN - 2 * mm, PAGE[0] - MARGIN, MARGIN - 2 * mm)
    number = f"Page {page} of {total_pages}" if total_pages else f"Page {page}"
    foot = Table(
        [[_p(footer, SMALL), _p(number, SMALL_R)]],
        colWidths=[CONTENT_WIDTH - 30 * mm, 30 * mm],
    )
    foot.setStyle(
        TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0)])
    )
    _, h = foot.wrapOn(canvas, CONTENT_WIDTH, 30)
    foot.drawOn(canvas, MARGIN, MARGIN - 4 * mm - h)
    canvas.restoreState()


def _frame() -> Frame:
    """The text area: inside the margins, no padding, so tables line up with headings."""
    bottom = MARGIN + 4 * mm  # room for the footer
    return Frame(
        MARGIN,
        bottom,
        CONTENT_WIDTH,
        PAGE[1] - MARGIN - bottom,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id="body",
    )


def _build(
    story: Callable[[], list[Flowable]],
    declaration: Mapping[str, Any],
    *,
    title: str,
    continued: str,
) -> bytes:
    """Lay the story out twice: the first pass counts pages for "Page n of m"."""
    total_pages = 0
    data = b""
    for _ in range(2):
        buf = io.BytesIO()
        doc = BaseDocTemplate(
            buf,
            pagesize=PAGE,
            title=title,
            author="Crossdock",
            creator="Crossdock",
            subject=f"shipment {_text(declaration.get('shipment_id'))}",
            invariant=1,
            pageCompression=1,
        )
        furniture = partial(
            _decorate,
            continued=continued,
            footer=_footer_text(declaration),
            total_pages=total_pages,
        )
        doc.addPageTemplates([PageTemplate("page", frames=[_frame()], onPage=furniture)])
        doc.build(story())
        data = buf.getvalue()
        total_pages = doc.page
    return data


# --- commercial invoice -------------------------------------------------------------------------

INVOICE_COLUMNS = (
    # (heading, width in mm, right-aligned)
    ("#", 7, False),
    ("Description", 55, False),
    ("HS code", 21, False),
    ("Origin", 12, False),
    ("Quantity", 17, True),
    ("Unit value", 18, True),
    ("Total value", 20, True),
    ("Currency", 14, False),
    ("Net weight", 16, True),
)


def _invoice_lines(declaration: Mapping[str, Any]) -> Table:
    currency = _text(declaration.get("currency"))
    head = [_p(h, HEAD_R if right else HEAD) for h, _, right in INVOICE_COLUMNS]
    rows: list[list[Flowable]] = [head]
    for line in declaration.get("lines") or []:
        qty = " ".join(t for t in (_text(line.get("quantity")), _text(line.get("unit"))) if t)
        description = [line.get("description")]
        if line.get("sku"):
            description.append(f"SKU {_text(line.get('sku'))}")
        hs = [line.get("hs_code")]
        if line.get("national_code"):
            hs.append(line.get("national_code"))
        rows.append(
            [
                _p(line.get("line_no")),
                _lines(description),
                _lines(hs),
                _p(line.get("origin_country")),
                _p(qty, CELL_R),
                _p(_money(line.get("unit_value")), CELL_R),
                _p(_money(line.get("total_value")), CELL_R),
                _p(line.get("currency") or currency),
                _p(_grams(line.get("net_weight_g")), CELL_R),
            ]
        )
    widths = [w * mm for _, w, _ in INVOICE_COLUMNS]
    widths[1] += CONTENT_WIDTH - sum(widths)  # description takes what is left
    table = Table(rows, colWidths=widths, repeatRows=1, splitInRow=1)
    table.setStyle(_grid_style())
    return table


def _invoice_story(declaration: Mapping[str, Any]) -> list[Flowable]:
    d = declaration
    totals: Mapping[str, Any] = d.get("totals") or {}
    currency = _text(d.get("currency"))
    dest = _text(d.get("destination_currency")) or currency
    carrier, waybill = _carrier(d)
    order = _text(d.get("order_id"))
    if d.get("external_id"):
        order = f"{order} (channel {_text(d.get('external_id'))})"
    incoterm = _text(d.get("incoterm")).strip().upper()

    story: list[Flowable] = [
        _p("COMMERCIAL INVOICE", TITLE),
        Spacer(1, 3 * mm),
        _facts(
            [
                ("Invoice no.", d.get("invoice_number")),
                ("Invoice date", d.get("invoice_date")),
                ("Incoterm", _incoterm(d)),
                ("Currency", currency),
                ("IOSS number", d.get("ioss_number")),
                ("Importer id", d.get("importer_id")),
                ("Shipment", d.get("shipment_id")),
                ("Order", order),
                ("Carrier", carrier),
                ("Waybill", waybill or DASH),
                ("Declaration", d.get("declaration_id")),
            ]
        ),
        Spacer(1, 3 * mm),
        _parties(d, "EXPORTER / SHIPPER", "IMPORTER / CONSIGNEE"),
        *_section("Goods"),
        _invoice_lines(d),
        Spacer(1, 3 * mm),
        KeepTogether(
            [
                _summary(
                    [
                        (f"Goods value ({currency})", _money(totals.get("goods_value")), False),
                        (f"Freight ({currency})", _money(totals.get("freight")), False),
                        (f"Insurance ({currency})", _money(totals.get("insurance")), False),
                        (f"Invoice total ({currency})", _invoice_total(totals), True),
                    ]
                ),
            ]
        ),
        KeepTogether(
            [
                *_section(f"Duties and taxes (estimate, {dest})"),
                _summary(
                    [
                        (f"Import duty ({dest})", _money(totals.get("duty")), False),
                        (f"VAT ({dest})", _money(totals.get("vat")), False),
                        (
                            f"Total duties and taxes ({dest})",
                            _money(totals.get("total_taxes")),
                            True,
                        ),
                    ]
                ),
                _p(
                    "Paid by the exporter (DDP)."
                    if incoterm == "DDP"
                    else "Payable by the importer on delivery (DAP)."
                    if incoterm == "DAP"
                    else "",
                    SMALL,
                ),
            ]
        ),
        KeepTogether(
            [
                *_section("Weights and packages"),
                _summary(
                    [
                        ("Net weight", _weight_total(totals.get("net_weight_g")), False),
                        ("Gross weight", _weight_total(totals.get("gross_weight_g")), False),
                        ("Packages", _text(totals.get("packages")) or DASH, False),
                    ]
                ),
            ]
        ),
        KeepTogether(
            [
                Spacer(1, 6 * mm),
                _p(DECLARATION_STATEMENT, BODY),
                Spacer(1, 10 * mm),
                _signature(d),
            ]
        ),
    ]
    return story


def _signature(declaration: Mapping[str, Any]) -> Table:
    exporter = (declaration.get("exporter") or {}).get("name")
    cells = [
        ["", "", ""],
        [
            _p("Signature", SMALL),
            _p(f"Name, for {_text(exporter)}" if exporter else "Name", SMALL),
            _p(f"Date {_text(declaration.get('invoice_date'))}", SMALL),
        ],
    ]
    table = Table(cells, colWidths=[CONTENT_WIDTH * 0.4, CONTENT_WIDTH * 0.4, CONTENT_WIDTH * 0.2])
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (0, 0), 0.6, colors.black),
                ("LINEBELOW", (1, 0), (1, 0), 0.6, colors.black),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 12),
            ]
        )
    )
    return table


def render_commercial_invoice(declaration: Mapping[str, Any]) -> bytes:
    """The declaration's commercial invoice as an A4 PDF (deterministic bytes)."""
    number = _text(declaration.get("invoice_number"))
    return _build(
        partial(_invoice_story, declaration),
        declaration,
        title=f"Commercial invoice {number}",
        continued=f"Commercial invoice {number} (continued)",
    )


# --- packing list -------------------------------------------------------------------------------

PACKING_COLUMNS = (
    ("Parcel", 13, False),
    ("Dimensions (mm)", 27, False),
    ("Gross weight", 19, True),
    ("SKU", 28, False),
    ("Description", 50, False),
    ("HS code", 18, False),
    ("Quantity", 15, True),
    ("Net weight", 17, True),
)


def _by_sku(lines: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per SKU: the first line's description and HS code, summed quantity and net weight."""
    out: dict[str, dict[str, Any]] = {}
    for line in lines:
        sku = _text(line.get("sku"))
        entry = out.setdefault(
            sku,
            {
                "description": line.get("description"),
                "hs_code": line.get("hs_code"),
                "qty": 0,
                "net": 0,
            },
        )
        qty, net = line.get("quantity"), line.get("net_weight_g")
        if isinstance(qty, int) and isinstance(net, int) and entry["net"] is not None:
            entry["qty"] += qty
            entry["net"] += net
        else:
            entry["net"] = None
    return out


def _item_net(entry: Mapping[str, Any] | None, quantity: Any) -> str:
    """An item's share of its SKU's declared net weight, in whole grams (half up)."""
    if not entry or entry["net"] is None or not entry["qty"] or not isinstance(quantity, int):
        return DASH
    if quantity == entry["qty"]:
        return _grams(entry["net"])
    return _grams((2 * entry["net"] * quantity + entry["qty"]) // (2 * entry["qty"]))


def _packing_rows(declaration: Mapping[str, Any]) -> Table:
    skus = _by_sku(declaration.get("lines") or [])
    head = [_p(h, HEAD_R if right else HEAD) for h, _, right in PACKING_COLUMNS]
    rows: list[list[Flowable | str]] = [head]
    group_starts: list[int] = []
    for parcel in declaration.get("parcels") or []:
        group_starts.append(len(rows))
        dims = parcel.get("dimensions_mm") or []
        parcel_cells: list[Flowable | str] = [
            _p(parcel.get("parcel_no")),
            _p(" x ".join(_text(x) for x in dims) if dims else DASH),
            _p(_grams(parcel.get("weight_g")), CELL_R),
        ]
        items = parcel.get("items") or []
        if not items:
            rows.append([*parcel_cells, _p(DASH), "", "", "", ""])
        for i, item in enumerate(items):
            entry = skus.get(_text(item.get("sku")))
            rows.append(
                [
                    *(parcel_cells if i == 0 else ["", "", ""]),
                    _p(item.get("sku")),
                    _p(entry["description"] if entry else DASH),
                    _p(entry["hs_code"] if entry else DASH),
                    _p(item.get("quantity"), CELL_R),
                    _p(_item_net(entry, item.get("quantity")), CELL_R),
                ]
            )
    widths = [w * mm for _, w, _ in PACKING_COLUMNS]
    widths[4] += CONTENT_WIDTH - sum(widths)
    extra = [("LINEABOVE", (0, r), (-1, r), 0.8, colors.black) for r in group_starts[1:]]
    table = Table(rows, colWidths=widths, repeatRows=1, splitInRow=1)
    table.setStyle(_grid_style(extra))
    return table


def _packing_story(declaration: Mapping[str, Any]) -> list[Flowable]:
    d = declaration
    totals: Mapping[str, Any] = d.get("totals") or {}
    carrier, waybill = _carrier(d)
    parcels = d.get("parcels") or []
    quantity = sum(
        item.get("quantity", 0)
        for parcel in parcels
        for item in parcel.get("items") or []
        if isinstance(item.get("quantity"), int)
    )
    packages = totals.get("packages", len(parcels))
    return [
        _p("PACKING LIST", TITLE),
        Spacer(1, 3 * mm),
        _facts(
            [
                ("Shipment", d.get("shipment_id")),
                ("Order", d.get("order_id")),
                ("Invoice no.", d.get("invoice_number")),
                ("Date", d.get("invoice_date")),
                ("Carrier", carrier),
                ("Waybill", waybill or DASH),
                ("Incoterm", _incoterm(d)),
                ("Packages", _text(packages)),
            ]
        ),
        Spacer(1, 3 * mm),
        _parties(d, "SHIPPER", "CONSIGNEE"),
        *_section("Parcels"),
        _packing_rows(d),
        Spacer(1, 3 * mm),
        KeepTogether(
            [
                _summary(
                    [
                        ("Packages", _text(packages) or DASH, False),
                        ("Items", _text(quantity), False),
                        ("Net weight", _weight_total(totals.get("net_weight_g")), False),
                        ("Gross weight", _weight_total(totals.get("gross_weight_g")), True),
                    ]
                )
            ]
        ),
    ]


def render_packing_list(declaration: Mapping[str, Any]) -> bytes:
    """The declaration's packing list as an A4 PDF, parcel by parcel (deterministic bytes)."""
    shipment = _text(declaration.get("shipment_id"))
    return _build(
        partial(_packing_story, declaration),
        declaration,
        title=f"Packing list {shipment}",
        continued=f"Packing list, shipment {shipment} (continued)",
    )
