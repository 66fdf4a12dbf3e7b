"""Multi-page invoices with their ground truth: what a document of several pages looks like when printed.

Page 1 carries the header (issuer, invoice number, date, customer); the article table runs over the three
pages with its header row repeated at the top of each, a 'carried forward' running sum at the foot of pages 1-2
and a 'brought forward' one at the head of pages 2-3; the subtotal, tax and total are printed on page 3 only.
The invoice number is repeated in every page's running head ('Invoice INV-... page 2 of 3'), so a reader must
take it from the first page. English and Spanish. Tests check which page each field is read from.

    doc = render_multipage_invoice(seed=3, lang="es")
    doc.pdf_bytes(), doc.tiff_bytes()        # the same three pages as a PDF and as a multi-page TIFF
    doc.fields["total"], doc.field_pages["total"] == 2, [i["page"] for i in doc.fields["line_items"]]
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
from PIL import Image

from docgen import content as c
from docgen.render import _Page

PAGE_SIZE = (1240, 1754)  # A4 at 150 dpi
PDF_DPI = 150
ITEMS_PER_PAGE = (4, 4, 3)

_WORDS = {
    "en": {"invoice": "INVOICE", "number": "Invoice No: ", "date": "Date: ", "bill_to": "Bill to: ", "vat": "VAT ",
           "head": ("Description", "Qty x Price", "Amount"), "carried": "Subtotal carried forward", "brought": "Subtotal brought forward",
           "subtotal": "Subtotal", "tax": "VAT 21%", "total": "TOTAL DUE", "page": "Invoice {number} - page {n} of {of}",
           "terms": "Payment within 30 days. "},
    "es": {"invoice": "FACTURA", "number": "N. Factura: ", "date": "Fecha: ", "bill_to": "Cliente: ", "vat": "CIF ",
           "head": ("Concepto", "Cant. x Precio", "Importe"), "carried": "Suma y sigue", "brought": "Suma anterior",
           "subtotal": "Base imponible", "tax": "IVA 21%", "total": "TOTAL FACTURA", "page": "Factura {number} - pagina {n} de {of}",
           "terms": "Pago a 30 dias. "},
}


@dataclass
class MultipageDocument:
    pages: list[np.ndarray]  # grey uint8, one per page
    lang: str
    fields: dict[str, object]  # invoice_number, date, vendor_name, customer_name, subtotal, tax, total, line_items (+ page)
    field_pages: dict[str, int]  # 0-based page each header / total field is printed on first (number) or only (totals)
    table_header: tuple[str, ...] = ()
    lines: list[list[str]] = field(default_factory=list)  # every page's drawn text, in order

    def _images(self) -> list[Image.Image]:
        return [Image.fromarray(page) for page in self.pages]

    def pdf_bytes(self) -> bytes:
        out = io.BytesIO()
        first, *rest = self._images()
        first.save(out, format="PDF", save_all=True, append_images=rest, resolution=PDF_DPI)
        return out.getvalue()

    def tiff_bytes(self) -> bytes:
        out = io.BytesIO()
        first, *rest = self._images()
        first.save(out, format="TIFF", save_all=True, append_images=rest, compression="tiff_deflate", dpi=(PDF_DPI, PDF_DPI))
        return out.getvalue()


def _table_header(page: _Page, words: dict) -> None:
    description, qty, amount = words["head"]
    page.pair(f"{description}  {qty}", amount, 24, "sans-bold")
    page.rule()


def render_multipage_invoice(*, seed: int, lang: str = "en") -> MultipageDocument:
    """A three-page invoice (see the module docstring); the same seed gives the same pages."""
    rng = random.Random(seed * 7919 + (0 if lang == "en" else 1))
    words = _WORDS[lang]
    vendor, customer = c.company(rng), c.people(rng)[0]
    number = f"{rng.choice(['INV', 'F', 'FAC', 'A'])}-{rng.randint(2017, 2025)}-{rng.randint(100, 9999):04d}"
    day = c.random_date(rng)
    items = c.line_items(rng, lang, sum(ITEMS_PER_PAGE))
    pages: list[_Page] = []
    running = Decimal(0)
    start = 0
    for n, count in enumerate(ITEMS_PER_PAGE):
        page = _Page(*PAGE_SIZE, 90)
        page.text(words["page"].format(number=number, n=n + 1, of=len(ITEMS_PER_PAGE)), 20, align="right")
        page.skip(20)
        if n == 0:
            page.text(vendor, 40, "sans-bold")
            page.text(c.address(rng, lang), 22)
            page.text(words["vat"] + f"B{rng.randint(10000000, 99999999)}", 22)
            page.skip(30)
            page.text(words["invoice"], 48, "sans-bold", "right")
            page.text(words["number"] + number, 24, align="right")
            page.text(words["date"] + c.format_date(day, lang, rng), 24, align="right")
            page.skip(20)
            page.text(words["bill_to"] + customer, 24)
            page.text(c.address(rng, lang), 22)
            page.skip(30)
        _table_header(page, words)
        if n > 0:
            page.pair(words["brought"], c.money(running), 22)
        for item in items[start : start + count]:
            item["page"] = n
            page.pair(f"{item['description']}  {item['quantity']} x {item['unit_price']}", item["amount"], 22)
            running += Decimal(item["amount"])
        start += count
        page.rule()
        if n < len(ITEMS_PER_PAGE) - 1:
            page.pair(words["carried"], c.money(running), 22)
        else:
            tax = (running * Decimal("0.21")).quantize(Decimal("0.01"))
            page.pair(words["subtotal"], c.money(running), 24)
            page.pair(words["tax"], c.money(tax), 24)
            page.pair(words["total"], c.money(running + tax), 30, "sans-bold")
            page.skip(60)
            page.text(words["terms"] + c.words(rng, lang, 8), 20)
        pages.append(page)
    last = len(pages) - 1
    fields: dict[str, object] = {
        "invoice_number": number, "date": day.isoformat(), "vendor_name": vendor, "customer_name": customer,
        "subtotal": c.money(running), "tax": c.money(tax), "total": c.money(running + tax), "line_items": items,
    }
    field_pages = {"invoice_number": 0, "date": 0, "vendor_name": 0, "customer_name": 0, "subtotal": last, "tax": last, "total": last}
    return MultipageDocument(pages=[np.asarray(p.img) for p in pages], lang=lang, fields=fields, field_pages=field_pages,
                             table_header=words["head"], lines=[p.lines for p in pages])
