"""Alternative page layouts that look like real office documents (opt-in through `render(..., layout=)`).

The classic layouts in render.py are airy and tidy; real pages are not. These add what real scans show:
- receipt "long": a tall thermal-printer slip with many items, a barcode and small print;
- invoice "table": a dense grid of line items under boxed header blocks (like broadcast ad-buy invoices);
- form "boxed": a government-style grid of numbered cells, each with a small caption and a typed value;
- form "questionnaire": numbered questions, answer lines and check boxes (like registration statements);
- form "underline": label ________ fields in one or two columns with a stamp-like box (like office memos/forms).
Each returns (page, fields) like the classic renderers, with every drawn text line recorded.
"""

import random
from decimal import Decimal

from PIL import ImageDraw

from docgen import content as c
from docgen.fonts import font

Page = "docgen.render._Page"  # forward reference for type hints only


def _t(page, x: int, y: int, s: str, size: int, face: str = "sans") -> None:
    """Text at an absolute position, recorded as a line."""
    page.draw.text((x, y), s, fill=0, font=font(face, size))
    page.lines.append(s)


def _barcode(draw: ImageDraw.ImageDraw, rng: random.Random, x: int, y: int, width: int, height: int) -> None:
    while x < width:
        bar = rng.choice([2, 2, 3, 4, 6])
        draw.rectangle((x, y, x + bar - 1, y + height), fill=0)
        x += bar + rng.choice([2, 3, 4])


def receipt_long(page_cls, rng: random.Random, lang: str):
    page = page_cls(rng.choice([420, 480, 520]), 4200, 24)
    face = rng.choice(["mono", "condensed", "mono"])
    size = rng.choice([16, 18, 20])
    name, addr = c.merchant(rng, lang), c.address(rng, lang)
    day = c.random_date(rng)
    page.text(name, size + 10, "mono-bold" if face == "mono" else "sans-bold", "center")
    for s in (addr, ("TEL " if lang == "en" else "TELF. ") + str(rng.randint(600000000, 999999999)),
              ("GST REG " if lang == "en" else "NIF ") + f"{rng.randint(10**8, 10**9)}"):
        page.text(s, size, face, "center")
    page.text(("TAX INVOICE" if lang == "en" else "FACTURA SIMPLIFICADA") if rng.random() < 0.5 else ("RECEIPT" if lang == "en" else "TICKET"),
              size + 2, face, "center")
    page.text(c.format_date(day, lang, rng) + f" {rng.randint(8, 21):02d}:{rng.randint(0, 59):02d}  #{rng.randint(1, 40)}", size, face)
    page.rule(dashed=True)
    items = c.line_items(rng, lang, rng.randint(6, 14))
    for item in items:
        page.text(item["description"].upper(), size, face, gap=0.2)
        page.pair(f"  {item['quantity']} @ {item['unit_price']}", item["amount"], size, face)
    page.rule(dashed=True)
    subtotal = sum(Decimal(i["amount"]) for i in items)
    tax = (subtotal * Decimal("0.06")).quantize(Decimal("0.01"))
    for label, value in (("SUBTOTAL" if lang == "en" else "SUBTOTAL", subtotal), ("GST 6%" if lang == "en" else "IVA", tax),
                         ("ROUNDING" if lang == "en" else "REDONDEO", Decimal("0.00"))):
        page.pair(label, c.money(value), size, face)
    page.pair("TOTAL", c.money(subtotal + tax), size + 6, "mono-bold" if face == "mono" else "sans-bold")
    page.pair("CASH" if lang == "en" else "EFECTIVO", c.money(subtotal + tax + rng.randint(0, 50)), size, face)
    page.pair("CHANGE" if lang == "en" else "CAMBIO", "0.00", size, face)
    page.rule(dashed=True)
    for _ in range(rng.randint(2, 5)):
        page.text(c.words(rng, lang, 5).upper(), size - 2, face, "center", gap=0.2)
    page.skip(10)
    _barcode(page.draw, rng, page.margin + 20, page.y, page.width - page.margin - 20, 60)
    page.skip(80)
    page.crop_to_content(30)
    return page, {"merchant_name": name, "merchant_address": addr, "date": day.isoformat(), "total": c.money(subtotal + tax),
                  "subtotal": c.money(subtotal), "tax": c.money(tax), "line_items": items}


def invoice_table(page_cls, rng: random.Random, lang: str):
    page = page_cls(1275, 1650, 50)
    d = page.draw
    vendor, customer = c.company(rng), c.company(rng)
    number = f"{rng.randint(100000, 9999999)}"
    day = c.random_date(rng)
    w = page.width
    # logo block + vendor address, title box on the right
    if rng.random() < 0.6:
        d.rectangle((50, 40, 210, 130), fill=rng.randint(0, 120))
    _t(page, 230, 45, vendor, 22, "sans-bold")
    _t(page, 230, 75, c.address(rng, lang), 16)
    _t(page, 230, 98, f"Tel {rng.randint(200, 999)}-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}", 16)
    d.rectangle((w - 420, 40, w - 50, 140), outline=0, width=2)
    _t(page, w - 400, 50, "INVOICE" if lang == "en" else "FACTURA", 34, "sans-bold")
    _t(page, w - 400, 100, ("Invoice # " if lang == "en" else "Factura n. ") + number + "   " + c.format_date(day, lang, rng), 16)
    # header blocks: bill to / advertiser / terms
    y = 170
    labels = (["Bill To", "Advertiser", "Terms"] if lang == "en" else ["Facturar a", "Anunciante", "Condiciones"])
    bw = (w - 100) // 3
    for i, label in enumerate(labels):
        x = 50 + i * bw
        d.rectangle((x, y, x + bw - 10, y + 130), outline=0, width=1)
        d.rectangle((x, y, x + bw - 10, y + 24), fill=rng.choice([0, 200, 230]))
        _t(page, x + 6, y + 3, label, 16, "sans-bold")
        for j in range(3):
            _t(page, x + 8, y + 32 + j * 30, c.words(rng, lang, 3).title() if j else customer, 15)
    # line item grid
    y = 330
    heads = (["Date", "Time", "Description", "Len", "Qty", "Rate", "Amount"] if lang == "en"
             else ["Fecha", "Hora", "Concepto", "Dur", "Cant", "Precio", "Importe"])
    xs = [50, 170, 280, 700, 790, 880, 1040, w - 50]
    d.rectangle((50, y, w - 50, y + 28), fill=rng.choice([0, 180, 220]))
    for x, h in zip(xs, heads):
        d.text((x + 5, y + 4), h, fill=255 if d.im.getpixel((x + 2, y + 2)) < 128 else 0, font=font("sans-bold", 16))
    page.lines.append(" ".join(heads))
    y += 28
    n_rows = rng.randint(18, 34)
    total = Decimal(0)
    row_h = rng.choice([22, 24, 26])
    grid = rng.random() < 0.6
    for r in range(n_rows):
        rate = Decimal(rng.randint(50, 3000))
        qty = rng.randint(1, 4)
        total += rate * qty
        cells = [c.random_date(rng).strftime("%m/%d/%y"), f"{rng.randint(5, 23):02d}:{rng.choice(['00', '15', '30', '45'])}",
                 c.words(rng, lang, rng.randint(2, 4)).upper(), f":{rng.choice([15, 30, 60])}", str(qty), c.money(rate), c.money(rate * qty)]
        for x, cell in zip(xs, cells):
            d.text((x + 5, y + 3), cell, fill=0, font=font(rng.choice(["mono", "sans"]) if r == 0 else "mono", 14))
        page.lines.append(" ".join(cells))
        if grid:
            d.line((50, y + row_h, w - 50, y + row_h), fill=0, width=1)
        y += row_h
    if grid:
        for x in xs:
            d.line((x, 330, x, y), fill=0, width=1)
    d.rectangle((50, 330, w - 50, y), outline=0, width=2)
    y += 20
    for label, value in ((("Gross Amount" if lang == "en" else "Importe bruto"), total),
                         (("Agency Commission" if lang == "en" else "Comision"), (total * Decimal("0.15")).quantize(Decimal("0.01"))),
                         (("Net Amount Due" if lang == "en" else "Total a pagar"), (total * Decimal("0.85")).quantize(Decimal("0.01")))):
        _t(page, w - 480, y, label, 18, "sans-bold")
        _t(page, w - 200, y, c.money(value), 18, "mono")
        y += 30
    page.y = y + 20
    page.text(c.words(rng, lang, 14), 13)
    return page, {"invoice_number": number, "date": day.isoformat(), "vendor_name": vendor, "customer_name": customer,
                  "total": c.money((total * Decimal("0.85")).quantize(Decimal("0.01")))}


def _form_title(page, rng: random.Random, lang: str) -> str:
    agency = rng.choice(["U.S. Department of Justice", "Department of Revenue", "State Licensing Board", "Human Resources"] if lang == "en"
                        else ["Ministerio de Hacienda", "Ayuntamiento de " + rng.choice(["Madrid", "Sevilla"]), "Agencia Tributaria"])
    title = rng.choice(["Registration Statement", "Supplemental Statement", "Application for Permit", "Request for Authorization",
                        "Change of Address", "Claim Form"] if lang == "en"
                       else ["Solicitud de Licencia", "Declaracion Responsable", "Instancia General", "Modelo de Alta"])
    _t(page, page.margin, 40, agency, 18, "sans")
    _t(page, page.width - page.margin - 300, 40, f"{'FORM' if lang == 'en' else 'MODELO'} {rng.choice('ABCDNS')}-{rng.randint(10, 999)}", 18, "sans-bold")
    _t(page, page.width - page.margin - 300, 64, f"OMB No. {rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}", 14)
    _t(page, page.margin, 80, title.upper(), rng.choice([26, 30, 34]), "sans-bold")
    return title


def form_boxed(page_cls, rng: random.Random, lang: str):
    page = page_cls(1275, 1650, 50)
    d = page.draw
    title = _form_title(page, rng, lang)
    keys = c._FORM_KEYS[lang]
    y = 140
    pairs: dict[str, str] = {}
    n = 1
    w = page.width
    while y < 1560:
        ncols = rng.choice([1, 2, 2, 3, 3, 4])
        h = rng.choice([48, 56, 64, 90])
        cw = (w - 100) // ncols
        for col in range(ncols):
            x = 50 + col * cw
            d.rectangle((x, y, x + cw, y + h), outline=0, width=rng.choice([1, 2]))
            key = rng.choice(keys)
            _t(page, x + 5, y + 3, f"{n}. {key}", 13)
            if rng.random() < 0.8:
                value = c.form_value(rng, lang, key)
                _t(page, x + 12, y + 22, value[: max(8, cw // 12)], rng.choice([16, 18]), rng.choice(["mono", "serif", "sans"]))
                pairs[f"{n}. {key}"] = value
            if rng.random() < 0.2:
                for k in range(rng.randint(2, 3)):
                    d.rectangle((x + cw - 120 + k * 36, y + 20, x + cw - 104 + k * 36, y + 36), outline=0, width=1)
            n += 1
        y += h
        if rng.random() < 0.15:
            d.rectangle((50, y, w - 50, y + 26), fill=rng.choice([0, 190]))
            _t(page, 56, y + 4, c.words(rng, lang, 3).upper(), 15, "sans-bold")
            y += 26
    page.y = y
    return page, {"title": title, "key_values": pairs}


def form_questionnaire(page_cls, rng: random.Random, lang: str):
    page = page_cls(1275, 1650, 60)
    d = page.draw
    title = _form_title(page, rng, lang)
    y = 140
    d.line((60, y, page.width - 60, y), fill=0, width=3)
    y += 14
    pairs: dict[str, str] = {}
    size = rng.choice([14, 15, 16])
    n = 1
    while y < 1540:
        question = f"{n}. " + c.words(rng, lang, rng.randint(6, 16)).capitalize() + "?"
        _t(page, 60, y, question[:110], size, "serif" if rng.random() < 0.5 else "sans")
        y += size + 10
        kind = rng.choice(["line", "line", "check", "lines", "yesno"])
        if kind == "line":
            value = c.form_value(rng, lang, rng.choice(c._FORM_KEYS[lang]))
            _t(page, 90, y - 2, value, size + 2, "mono")
            d.line((80, y + size + 6, page.width - 80, y + size + 6), fill=0, width=1)
            pairs[f"{n}"] = value
            y += size + 16
        elif kind == "lines":
            for _ in range(rng.randint(2, 3)):
                d.line((80, y + size + 4, page.width - 80, y + size + 4), fill=0, width=1)
                y += size + 14
        else:
            options = (["Yes", "No"] if lang == "en" else ["Si", "No"]) if kind == "yesno" else [c.words(rng, lang, 2) for _ in range(rng.randint(2, 4))]
            x = 90
            for opt in options:
                d.rectangle((x, y, x + size, y + size), outline=0, width=1)
                if rng.random() < 0.3:
                    d.line((x + 2, y + 2, x + size - 2, y + size - 2), fill=0, width=2)
                _t(page, x + size + 8, y - 2, opt, size)
                x += 60 + int(d.textlength(opt, font=font("sans", size)))
            y += size + 14
        y += rng.randint(6, 18)
        n += 1
    page.y = y
    return page, {"title": title, "key_values": pairs}


def form_underline(page_cls, rng: random.Random, lang: str):
    page = page_cls(1275, 1650, 70)
    d = page.draw
    title = rng.choice(["REQUEST FOR PAYMENT", "PROJECT APPROVAL FORM", "ROUTING SLIP", "PURCHASE REQUISITION", "FAX COVER SHEET",
                        "BRAND PROMOTION REPORT"] if lang == "en" else ["SOLICITUD DE PAGO", "HOJA DE RUTA", "PARTE DE TRABAJO", "PEDIDO INTERNO"])
    _t(page, (page.width - 500) // 2, 60, title, rng.choice([24, 28]), "sans-bold")
    y = 130
    pairs: dict[str, str] = {}
    size = rng.choice([15, 16, 18])
    two = rng.random() < 0.6
    keys = c._FORM_KEYS[lang] + (["TO", "FROM", "DATE", "SUBJECT", "BRAND", "REF. NO.", "AMOUNT", "APPROVED BY"] if lang == "en"
                                  else ["PARA", "DE", "FECHA", "ASUNTO", "IMPORTE", "APROBADO"])
    while y < 1450:
        cols = [70, 680] if two and rng.random() < 0.7 else [70]
        for x in cols:
            key = rng.choice(keys)
            _t(page, x, y, key.upper() + ":", size, "sans-bold" if rng.random() < 0.4 else "sans")
            lx = x + int(d.textlength(key.upper() + ":", font=font("sans-bold", size))) + 10
            end = x + (560 if len(cols) == 2 else 1130)
            d.line((lx, y + size + 4, end, y + size + 4), fill=0, width=1)
            if rng.random() < 0.75:
                value = c.form_value(rng, lang, key)
                _t(page, lx + 8, y - 3, value[:40], size + 1, rng.choice(["mono", "serif"]))
                pairs[key] = value
        y += size + rng.randint(18, 40)
        if rng.random() < 0.08:
            d.rectangle((70, y, page.width - 70, y + rng.randint(80, 160)), outline=0, width=2)
            _t(page, 80, y + 6, ("COMMENTS" if lang == "en" else "OBSERVACIONES"), size, "sans-bold")
            y += 180
    if rng.random() < 0.5:
        x0, y0 = rng.randint(700, 950), rng.randint(1350, 1500)
        d.rectangle((x0, y0, x0 + 260, y0 + 110), outline=0, width=3)
        _t(page, x0 + 20, y0 + 40, ("RECEIVED" if lang == "en" else "RECIBIDO") + f" {rng.randint(1, 28)}/{rng.randint(1, 12)}", 22, "sans-bold")
    page.y = y
    return page, {"title": title, "key_values": pairs}


LAYOUTS = {
    "receipt": {"long": receipt_long},
    "invoice": {"table": invoice_table},
    "form": {"boxed": form_boxed, "questionnaire": form_questionnaire, "underline": form_underline},
    "letter": {},
    "other": {},
}
