"""Alternative page layouts that look like real office documents (opt-in through `render(..., layout=)`).

The classic layouts in render.py are airy and tidy; real pages are not. These add what real scans show:
- receipt "long": a tall thermal-printer slip with many items, a barcode and small print;
- invoice "table": a dense grid of line items under boxed header blocks (like broadcast ad-buy invoices);
- form "boxed": a government-style grid of numbered cells, each with a small caption and a typed value;
- form "questionnaire": numbered questions, answer lines and check boxes (like registration statements);
- form "underline": label ________ fields in one or two columns with a stamp-like box (like office memos/forms);
- form "memo": a typewritten office form (company header, TO/FROM/DATE/SUBJECT labels with values at a tab
  stop, typed paragraphs, a small figures table, check boxes, handwritten notes and a signature, a filing
  number in a corner, the lower part of the page often empty), like the research-request and routing forms
  in scanned corporate archives.
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
    if rng.random() < 0.35:
        y = _header_blocks(page, rng, lang, customer)
    else:
        y = _header_grid(page, rng, lang, customer)
    # line item grid
    heads = (["Date", "Time", "Description", "Len", "Qty", "Rate", "Amount"] if lang == "en"
             else ["Fecha", "Hora", "Concepto", "Dur", "Cant", "Precio", "Importe"])
    xs = [50, 170, 280, 700, 790, 880, 1040, w - 50]
    top = y
    d.rectangle((50, y, w - 50, y + 28), fill=rng.choice([0, 180, 220]))
    for x, h in zip(xs, heads):
        d.text((x + 5, y + 4), h, fill=255 if d.im.getpixel((x + 2, y + 2)) < 128 else 0, font=font("sans-bold", 16))
    page.lines.append(" ".join(heads))
    y += 28
    n_rows = rng.randint(18, 34) if rng.random() < 0.6 else rng.randint(4, 12)  # short orders leave the page half empty
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
            d.line((x, top, x, y), fill=0, width=1)
    d.rectangle((50, top, w - 50, y), outline=0, width=2)
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


def _header_blocks(page, rng: random.Random, lang: str, customer: str) -> int:
    """Three boxed blocks under the title (bill to / advertiser / terms); returns where the item grid starts."""
    d, w, y = page.draw, page.width, 170
    labels = (["Bill To", "Advertiser", "Terms"] if lang == "en" else ["Facturar a", "Anunciante", "Condiciones"])
    bw = (w - 100) // 3
    for i, label in enumerate(labels):
        x = 50 + i * bw
        d.rectangle((x, y, x + bw - 10, y + 130), outline=0, width=1)
        d.rectangle((x, y, x + bw - 10, y + 24), fill=rng.choice([0, 200, 230]))
        _t(page, x + 6, y + 3, label, 16, "sans-bold")
        for j in range(3):
            _t(page, x + 8, y + 32 + j * 30, c.words(rng, lang, 3).title() if j else customer, 15)
    return 330


def _header_grid(page, rng: random.Random, lang: str, customer: str) -> int:
    """Broadcast-style header: addresses on the left, a boxed grid of contract facts on the right (what makes
    real ad-buy invoices look form-like: the model must learn that such a grid above an item table is an invoice)."""
    d, w = page.draw, page.width
    keys = (["Contract #", "Estimate #", "Advertiser", "Product", "Billing Period", "Agency", "Salesperson", "Order Type",
             "Invoice Date", "Due Date", "Terms", "Account #", "Flight Dates", "Page"] if lang == "en"
            else ["Contrato", "Presupuesto", "Anunciante", "Producto", "Periodo", "Agencia", "Comercial", "Tipo de orden",
                  "Fecha factura", "Vencimiento", "Condiciones", "Cuenta", "Fechas", "Pagina"])
    rows = rng.randint(7, 13)
    x0, x1, x2, y = w - 560, w - 360, w - 50, 160
    for r, key in enumerate(rng.sample(keys, rows)):
        d.rectangle((x0, y, x2, y + 24), outline=0, width=1)
        d.line((x1, y, x1, y + 24), fill=0, width=1)
        _t(page, x0 + 5, y + 4, key, 13, "sans-bold")
        _t(page, x1 + 6, y + 4, (customer if r == 0 else c.words(rng, lang, 2).title() if rng.random() < 0.5 else str(rng.randint(1000, 999999))), 13)
        y += 24
    for k, label in enumerate(["Bill To:" if lang == "en" else "Facturar a:", "Remit To:" if lang == "en" else "Pagar a:"]):
        by = 180 + k * 150
        _t(page, 60, by, label, 15, "sans-bold")
        for j in range(3):
            _t(page, 80, by + 24 + j * 22, customer if j == 0 else c.address(rng, lang) if j == 1 else c.words(rng, lang, 2).title(), 14)
    return max(y, 480) + 30


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


def scribble(draw: ImageDraw.ImageDraw, rng: random.Random, x: int, y: int, width: int, height: int, stroke: int = 2) -> None:
    """Handwriting-like ink: a smooth pen path looping along a baseline (words separated by pen lifts)."""
    end = x + width
    while x < end - 20:
        word = rng.randint(30, 110)
        points = []
        for k in range(rng.randint(6, 14)):
            px = x + word * k / 13 + rng.uniform(-4, 4)
            points.append((px, y + height * (0.5 + 0.5 * rng.uniform(-1, 1) * rng.choice([0.4, 0.9]))))
        draw.line(points, fill=rng.randint(0, 70), width=stroke, joint="curve")
        x += word + rng.randint(12, 30)


_MEMO_TITLES = {
    "en": ["RESEARCH REQUEST", "MEDIA AUTHORIZATION", "PROJECT SUMMARY", "TEST MARKET REPORT", "ROUTING AND APPROVAL",
           "PERSONNEL ACTION", "NEW PRODUCT SUBMISSION", "CONFIDENTIAL MEMORANDUM", "REQUEST FOR SAMPLES", "FAX TRANSMITTAL"],
    "es": ["SOLICITUD DE ESTUDIO", "AUTORIZACION DE MEDIOS", "RESUMEN DE PROYECTO", "HOJA DE APROBACION", "NOTA INTERIOR",
           "PETICION DE MUESTRAS"],
}
_MEMO_KEYS = {
    "en": ["TO", "FROM", "DATE", "SUBJECT", "BRAND", "PROJECT NO.", "REQUESTED BY", "DEPARTMENT", "COST CENTER", "DUE DATE",
           "APPROVED BY", "CC", "OBJECTIVE", "SUPPLIER", "QUANTITY", "TELEPHONE", "PAGES"],
    "es": ["PARA", "DE", "FECHA", "ASUNTO", "MARCA", "PROYECTO N.", "SOLICITADO POR", "DEPARTAMENTO", "CENTRO DE COSTE",
           "FECHA LIMITE", "APROBADO POR", "COPIA", "OBJETIVO", "PROVEEDOR", "CANTIDAD", "TELEFONO", "PAGINAS"],
}


def form_memo(page_cls, rng: random.Random, lang: str):
    page = page_cls(1275, 1650, 90)
    d = page.draw
    w = page.width
    typed = rng.choice(["mono", "mono", "serif", "condensed"])
    size = rng.choice([17, 19, 21])
    company = c.company(rng).upper()
    header = rng.choice(["center", "left", "logo"])
    if header == "logo":
        d.ellipse((w // 2 - 40, 40, w // 2 + 40, 110), outline=0, width=4)
        _t(page, w // 2 - int(d.textlength(company, font=font("serif", 18)) / 2), 118, company, 18, "serif")
    else:
        x = 90 if header == "left" else w // 2 - int(d.textlength(company, font=font("sans-bold", 22)) / 2)
        _t(page, x, 50, company, 22, "sans-bold")
        _t(page, x, 80, c.address(rng, lang), 14)
    title = rng.choice(_MEMO_TITLES[lang])
    tf = font("sans-bold", 26)
    _t(page, w // 2 - int(d.textlength(title, font=tf) / 2), 160, title, 26, "sans-bold")
    if rng.random() < 0.5:
        d.line((w // 2 - 200, 196, w // 2 + 200, 196), fill=0, width=2)
    y = 240
    pairs: dict[str, str] = {}
    tab = rng.choice([300, 340, 380])
    for key in rng.sample(_MEMO_KEYS[lang], rng.randint(4, 9)):
        _t(page, 90, y, key + ":", size, typed if rng.random() < 0.6 else "sans-bold")
        if rng.random() < 0.2:
            scribble(d, rng, tab, y - 4, rng.randint(120, 360), size + 8)
        else:
            value = c.form_value(rng, lang, key.title())[:48]
            _t(page, tab, y, value, size, typed)
            pairs[key] = value
        y += int(size * rng.choice([1.8, 2.2, 2.6]))
    while y < 1250 and rng.random() < 0.8:
        block = rng.choice(["paragraph", "paragraph", "table", "checks", "note"])
        y += rng.randint(10, 40)
        if block == "paragraph":
            for _ in range(rng.randint(2, 6)):
                _t(page, 90 + rng.choice([0, 0, 40]), y, c.words(rng, lang, rng.randint(8, 12)), size - 2, typed)
                y += int(size * 1.5)
        elif block == "table":
            cols = rng.randint(3, 5)
            cw = (w - 220) // cols
            for r in range(rng.randint(3, 7)):
                for k in range(cols):
                    cell = c.words(rng, lang, 1).title() if k == 0 else (f"{rng.randint(1, 999)}" + rng.choice(["", "%", ".0"]))
                    _t(page, 110 + k * cw, y, cell, size - 3, typed)
                if r == 0 and rng.random() < 0.6:
                    d.line((100, y + size + 2, w - 110, y + size + 2), fill=0, width=1)
                y += int(size * 1.4)
        elif block == "checks":
            for _ in range(rng.randint(2, 4)):
                d.rectangle((110, y, 110 + size, y + size), outline=0, width=2)
                if rng.random() < 0.4:
                    d.line((112, y + 2, 108 + size, y + size - 2), fill=0, width=3)
                    d.line((108 + size, y + 2, 112, y + size - 2), fill=0, width=3)
                _t(page, 130 + size, y, c.words(rng, lang, rng.randint(2, 5)).capitalize(), size - 2, typed)
                y += int(size * 1.7)
        else:
            scribble(d, rng, rng.randint(90, 500), y, rng.randint(200, 600), rng.randint(18, 30), rng.choice([2, 3]))
            y += 50
    if rng.random() < 0.7:  # signature over a line
        x0 = rng.randint(600, 800)
        y0 = max(y + 40, rng.randint(1150, 1400))
        scribble(d, rng, x0, y0, rng.randint(160, 280), 36, 3)
        d.line((x0 - 10, y0 + 44, x0 + 320, y0 + 44), fill=0, width=1)
        y = y0 + 50
    number = str(rng.randint(10**9, 10**10 - 1))
    _t(page, w - 260, rng.choice([1560, 1590]), number, rng.choice([16, 20]), "mono")
    page.y = max(y, 1600)
    return page, {"title": title, "key_values": pairs, "filing_number": number}


LAYOUTS = {
    "receipt": {"long": receipt_long},
    "invoice": {"table": invoice_table},
    "form": {"boxed": form_boxed, "questionnaire": form_questionnaire, "underline": form_underline, "memo": form_memo},
    "letter": {},
    "other": {},
}
