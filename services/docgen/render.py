"""Drawing each document kind onto a white page, returning the image with its ground truth."""

import random
from dataclasses import dataclass, field
from decimal import Decimal

import cv2
import numpy as np
from PIL import Image, ImageDraw

from docgen import content as c
from docgen.fonts import font
from docgen.layouts import LAYOUTS
from docgen.variants import apply_variant


@dataclass
class GeneratedDocument:
    image: np.ndarray  # BGR uint8
    kind: str
    lang: str
    fields: dict[str, object]
    lines: list[str] = field(default_factory=list)


class _Page:
    """A white page with a text cursor; records every drawn line so tests know the expected text."""

    def __init__(self, width: int, height: int, margin: int) -> None:
        self.img = Image.new("L", (width, height), 255)
        self.draw = ImageDraw.Draw(self.img)
        self.margin = margin
        self.y = margin
        self.lines: list[str] = []

    @property
    def width(self) -> int:
        return self.img.width

    def text(self, s: str, size: int = 22, face: str = "sans", align: str = "left", gap: float = 0.45, x: int | None = None) -> None:
        f = font(face, size)
        w = self.draw.textlength(s, font=f)
        if x is None:
            x = {"left": self.margin, "center": int((self.width - w) / 2), "right": int(self.width - self.margin - w)}[align]
        self.draw.text((x, self.y), s, fill=0, font=f)
        self.lines.append(s)
        self.y += int(size * (1 + gap))

    def pair(self, left: str, right: str, size: int = 22, face: str = "sans") -> None:
        """A label on the left and a value flush right on the same baseline (receipt totals, item rows)."""
        f = font(face, size)
        self.draw.text((self.margin, self.y), left, fill=0, font=f)
        w = self.draw.textlength(right, font=f)
        self.draw.text((self.width - self.margin - w, self.y), right, fill=0, font=f)
        self.lines.append(f"{left} {right}")
        self.y += int(size * 1.45)

    def rule(self, dashed: bool = False) -> None:
        y = self.y + 4
        if dashed:
            for x in range(self.margin, self.width - self.margin, 14):
                self.draw.line((x, y, x + 7, y), fill=0, width=2)
        else:
            self.draw.line((self.margin, y, self.width - self.margin, y), fill=0, width=2)
        self.y += 16

    def skip(self, px: int) -> None:
        self.y += px

    def crop_to_content(self, bottom_margin: int) -> None:
        self.img = self.img.crop((0, 0, self.width, min(self.img.height, self.y + bottom_margin)))

    def to_bgr(self) -> np.ndarray:
        return cv2.cvtColor(np.asarray(self.img), cv2.COLOR_GRAY2BGR)


def _receipt(rng: random.Random, lang: str) -> tuple[_Page, dict[str, object]]:
    page = _Page(rng.choice([560, 600, 640]), 2400, 36)
    face = rng.choice(["mono", "sans", "condensed"])
    name, addr = c.merchant(rng, lang), c.address(rng, lang)
    day = c.random_date(rng)
    page.text(name, 30, face + "-bold" if face in ("mono", "sans") else face, "center")
    page.text(addr, 20, face, "center")
    page.text(("TEL " if lang == "en" else "TELF. ") + f"{rng.randint(600000000, 999999999)}", 20, face, "center")
    page.rule(dashed=True)
    page.text(("Date: " if lang == "en" else "Fecha: ") + c.format_date(day, lang, rng) + f"  {rng.randint(8, 21):02d}:{rng.randint(0, 59):02d}", 20, face)
    page.text(("Receipt #" if lang == "en" else "Ticket n. ") + str(rng.randint(1000, 99999)), 20, face)
    page.rule(dashed=True)
    items = c.line_items(rng, lang, rng.randint(2, 7))
    for item in items:
        page.pair(f"{item['quantity']} x {item['description']}", item["amount"], 20, face)
    page.rule(dashed=True)
    subtotal = sum(Decimal(i["amount"]) for i in items)
    rate = Decimal("0.21") if lang == "es" else Decimal("0.06")
    tax = (subtotal * rate).quantize(Decimal("0.01"))
    total = subtotal + tax
    sep = "," if lang == "es" and rng.random() < 0.6 else "."
    fmt = lambda v: c.money(v).replace(".", sep)  # noqa: E731 - local formatting rule of this receipt
    page.pair("SUBTOTAL" if lang == "en" else "BASE IMPONIBLE", fmt(subtotal), 20, face)
    page.pair(f"TAX {int(rate * 100)}%" if lang == "en" else f"IVA {int(rate * 100)}%", fmt(tax), 20, face)
    page.pair("TOTAL" if lang == "en" else rng.choice(["TOTAL", "TOTAL A PAGAR", "IMPORTE"]), fmt(total), 26, face + "-bold" if face in ("mono", "sans") else face)
    page.pair("CASH" if lang == "en" else "EFECTIVO", fmt(total + Decimal(rng.randint(0, 20))), 20, face)
    page.skip(20)
    page.text("THANK YOU!" if lang == "en" else "GRACIAS POR SU VISITA", 22, face, "center")
    page.crop_to_content(40)
    fields = {"merchant_name": name, "merchant_address": addr, "date": day.isoformat(), "total": c.money(total),
              "subtotal": c.money(subtotal), "tax": c.money(tax), "line_items": items}
    return page, fields


def _invoice(rng: random.Random, lang: str) -> tuple[_Page, dict[str, object]]:
    page = _Page(1240, 1754, 90)
    vendor, customer = c.company(rng), c.people(rng)[0]
    number = f"{rng.choice(['INV', 'F', 'FAC', 'A'])}-{rng.randint(2017, 2025)}-{rng.randint(100, 9999):04d}"
    day = c.random_date(rng)
    page.text(vendor, 40, "sans-bold")
    page.text(c.address(rng, lang), 22)
    page.text(("VAT " if lang == "en" else "CIF ") + f"B{rng.randint(10000000, 99999999)}", 22)
    page.skip(30)
    page.text("INVOICE" if lang == "en" else "FACTURA", 48, "sans-bold", "right")
    page.text(("Invoice No: " if lang == "en" else "N. Factura: ") + number, 24, align="right")
    page.text(("Date: " if lang == "en" else "Fecha: ") + c.format_date(day, lang, rng), 24, align="right")
    page.skip(20)
    page.text(("Bill to: " if lang == "en" else "Cliente: ") + customer, 24)
    page.text(c.address(rng, lang), 22)
    page.skip(30)
    page.pair("Description" if lang == "en" else "Concepto", "Amount" if lang == "en" else "Importe", 24, "sans-bold")
    page.rule()
    items = c.line_items(rng, lang, rng.randint(3, 9))
    for item in items:
        page.pair(f"{item['description']}  {item['quantity']} x {item['unit_price']}", item["amount"], 22)
    page.rule()
    subtotal = sum(Decimal(i["amount"]) for i in items)
    tax = (subtotal * Decimal("0.21")).quantize(Decimal("0.01"))
    page.pair("Subtotal" if lang == "en" else "Base imponible", c.money(subtotal), 24)
    page.pair("VAT 21%" if lang == "en" else "IVA 21%", c.money(tax), 24)
    page.pair("TOTAL DUE" if lang == "en" else "TOTAL FACTURA", c.money(subtotal + tax), 30, "sans-bold")
    page.skip(60)
    page.text(("Payment within 30 days. " if lang == "en" else "Pago a 30 dias. ") + c.words(rng, lang, 8), 20)
    fields = {"invoice_number": number, "date": day.isoformat(), "vendor_name": vendor, "customer_name": customer,
              "total": c.money(subtotal + tax), "subtotal": c.money(subtotal), "tax": c.money(tax), "line_items": items}
    return page, fields


def _form(rng: random.Random, lang: str) -> tuple[_Page, dict[str, object]]:
    page = _Page(1240, 1754, 100)
    title = rng.choice(["APPLICATION FORM", "REGISTRATION FORM", "CUSTOMER DETAILS"] if lang == "en"
                       else ["FORMULARIO DE SOLICITUD", "HOJA DE REGISTRO", "DATOS DEL CLIENTE"])
    page.text(title, 40, "sans-bold", "center")
    page.skip(30)
    pairs: dict[str, str] = {}
    for key in c.form_keys(rng, lang, rng.randint(5, 8)):
        value = c.form_value(rng, lang, key)
        f = font("sans", 24)
        page.draw.rectangle((page.margin - 10, page.y - 10, page.width - page.margin + 10, page.y + 46), outline=0, width=2)
        page.draw.text((page.margin, page.y), f"{key}:", fill=0, font=f)
        page.draw.text((page.margin + 380, page.y), value, fill=0, font=font("serif", 24))
        page.lines.append(f"{key}: {value}")
        pairs[key] = value
        page.y += 76
    page.skip(40)
    for _ in range(rng.randint(2, 4)):
        box_y = page.y
        page.draw.rectangle((page.margin, box_y, page.margin + 28, box_y + 28), outline=0, width=2)
        page.text(c.words(rng, lang, 5), 22, x=page.margin + 50)
    fields = {"title": title, "key_values": pairs}
    return page, fields


def _letter(rng: random.Random, lang: str) -> tuple[_Page, dict[str, object]]:
    page = _Page(1240, 1754, 120)
    sender, recipient = c.people(rng)
    day = c.random_date(rng)
    page.text(sender, 26, "serif")
    page.text(c.address(rng, lang), 22, "serif")
    page.skip(40)
    page.text(c.format_date(day, lang, rng), 22, "serif", "right")
    page.skip(20)
    page.text(recipient, 22, "serif")
    page.text(c.address(rng, lang), 22, "serif")
    page.skip(40)
    subject = ("Subject: " if lang == "en" else "Asunto: ") + c.words(rng, lang, 4)
    page.text(subject, 24, "serif")
    page.skip(10)
    page.text(("Dear " if lang == "en" else "Estimado/a ") + recipient + ",", 22, "serif")
    for _ in range(rng.randint(3, 5)):
        for _ in range(rng.randint(3, 6)):
            page.text(c.words(rng, lang, 11), 22, "serif", gap=0.5)
        page.skip(20)
    page.text("Sincerely," if lang == "en" else "Atentamente,", 22, "serif")
    page.skip(40)
    page.text(sender, 22, "serif")
    fields = {"sender": sender, "recipient": recipient, "date": day.isoformat(), "subject": subject.split(": ", 1)[1]}
    return page, fields


def _other(rng: random.Random, lang: str) -> tuple[_Page, dict[str, object]]:
    """Pages that are none of the above: reports with charts and tables, article-like columns, sparse notes."""
    page = _Page(1240, 1754, 100)
    style = rng.choice(["chart", "columns", "table", "notes"])
    page.text(c.words(rng, lang, 4).title(), 36, "sans-bold")
    page.skip(20)
    if style == "chart":
        x0, y0 = page.margin, page.y + 20
        for i in range(rng.randint(5, 10)):
            h = rng.randint(50, 500)
            page.draw.rectangle((x0 + i * 90, y0 + 520 - h, x0 + i * 90 + 60, y0 + 520), fill=rng.randint(40, 180))
        page.y = y0 + 560
    elif style == "columns":
        col_w = (page.width - 2 * page.margin) // 2
        top = page.y
        for col in range(2):
            page.y = top
            for _ in range(rng.randint(20, 30)):
                page.text(c.words(rng, lang, 6), 18, "serif", x=page.margin + col * (col_w + 20), gap=0.4)
    elif style == "table":
        for r in range(rng.randint(8, 16)):
            cells = [str(rng.randint(0, 9999)) for _ in range(5)]
            for j, cell in enumerate(cells):
                page.draw.text((page.margin + j * 200, page.y), cell, fill=0, font=font("mono", 22))
            page.draw.line((page.margin, page.y + 34, page.width - page.margin, page.y + 34), fill=0, width=1)
            page.lines.append(" ".join(cells))
            page.y += 44
    else:
        for _ in range(rng.randint(3, 8)):
            page.text("- " + c.words(rng, lang, rng.randint(3, 8)), 26, "sans")
            page.skip(rng.randint(10, 80))
    return page, {"style": style}


_RENDERERS = {"receipt": _receipt, "invoice": _invoice, "form": _form, "letter": _letter, "other": _other}


def layouts(kind: str) -> tuple[str, ...]:
    """The layouts `render` can draw for `kind`: "classic" plus the realistic ones of layouts.py."""
    return ("classic", *LAYOUTS.get(kind, {}))


def render(kind: str, *, seed: int, lang: str = "en", variant: str = "clean", layout: str = "classic") -> GeneratedDocument:
    """Render one document of `kind` from `seed`; `variant` adds scan/photo degradations (see variants.py).

    `layout` picks the page design (`layouts(kind)`); "classic" keeps the pages existing fixtures rely on.
    """
    if kind in _RENDERERS and layout not in layouts(kind):
        raise ValueError(f"unknown layout {layout!r} for {kind}; expected one of {layouts(kind)}")
    if kind not in _RENDERERS:
        raise ValueError(f"unknown document kind {kind!r}; expected one of {sorted(_RENDERERS)}")
    if lang not in ("en", "es"):
        raise ValueError(f"unknown language {lang!r}; expected 'en' or 'es'")
    rng = random.Random(f"{kind}-{lang}-{seed}")
    if layout == "classic":
        page, fields = _RENDERERS[kind](rng, lang)
    else:
        rng = random.Random(f"{kind}-{layout}-{lang}-{seed}")
        page, fields = LAYOUTS[kind][layout](_Page, rng, lang)
    image = apply_variant(page.to_bgr(), variant, random.Random(f"{kind}-{lang}-{seed}-{variant}"))
    return GeneratedDocument(image=image, kind=kind, lang=lang, fields=fields, lines=page.lines)
