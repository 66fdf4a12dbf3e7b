"""Receipt headers on hand-written OCR lines: the merchant's name and address as receipts print them (name at the
top, the street address under it until the phone / registration / date rows)."""

from iris_common.contract.extraction import DocumentType, OcrResult
from ocr_extractor.core.document import extract_document
from ocr_extractor.core.layout import build_ocr_result
from ocr_extractor.core.types import RawLine, RawPage
from ocr_helpers import receipt_rows


def _fields(texts: list[str]) -> dict[str, str | None]:
    doc = extract_document(receipt_rows(texts), DocumentType.RECEIPT, confidence_threshold=0.0)
    return {name: f.value for name, f in doc.fields.items()}


def test_address_is_the_street_block_past_a_branch_line_and_its_registration_row():
    got = _fields([
        "DE LUXE CIRCLE FRESH MART SDN BHD", "(Mutiara Rini 16)", "Co Reg No:797887-W GST No:001507647488",
        "No. 89&91, Jalan Utama,", "Taman Mutia Rini, 81300 Skudai, Johor.", "Tel:016-7780546",
        "12/05/18 12:12:57 pm", "Green Tea 1.5L 5.00", "TOTAL 5.00",
    ])
    assert got["merchant_name"] == "DE LUXE CIRCLE FRESH MART SDN BHD"
    assert got["merchant_address"] == "No. 89&91, Jalan Utama, Taman Mutia Rini, 81300 Skudai, Johor."


def test_address_drops_the_store_line_that_leads_the_street():
    got = _fields([
        "TRI SHAAS SDN BHD (728515-M)", "MYDIN MART SRI MUDA", "4-20, Jalan Ria 25/62 Taman Sri Muda",
        "Seksyen 25, 40400 Shah Alam Selangor", "Tel : 03-51217970 Fax : 03-51218059", "RECEIPT", "TOTAL 5.00",
    ])
    assert got["merchant_address"] == "4-20, Jalan Ria 25/62 Taman Sri Muda Seksyen 25, 40400 Shah Alam Selangor"


def test_address_of_five_rows_ends_with_the_country():
    got = _fields([
        "Eco-Shop Marketing Sdn Bhd", "GST Reg. No : 000313901056", "Lot F1-01, 6, Jalan 8/27A,", "Seksyen 5 Wangsa Maju,",
        "53300 Kuala Lumpur,", "Wilayah Persekutuan Kuala", "Lumpur, Malaysia.", "AMPANG POINT CENTRE", "TOTAL 5.00",
    ])
    assert got["merchant_address"] == ("Lot F1-01, 6, Jalan 8/27A, Seksyen 5 Wangsa Maju, 53300 Kuala Lumpur, "
                                       "Wilayah Persekutuan Kuala Lumpur, Malaysia.")


def test_legal_name_printed_after_the_shop_address_is_the_owner_not_the_merchant():
    got = _fields([
        "SANYU STATIONERY SHOP", "NO. 31G&33G, JALAN SETIA INDAH X,U13/X", "40170 SETIA ALAM", "Tel:+603-3362 4137",
        "GST ID No: 001531760640", "Owned By", "SANYU SUPPLY SDN BHD (1135772-K)", "CASH SALES COUNTER", "TOTAL 5.00",
    ])
    assert got["merchant_name"] == "SANYU STATIONERY SHOP"
    assert got["merchant_address"] == "NO. 31G&33G, JALAN SETIA INDAH X,U13/X 40170 SETIA ALAM"


def test_legal_name_under_a_brand_line_is_still_the_merchant():
    got = _fields([
        "Toilet Roll & Coffee", "TF Value-Mart Sdn Bhd (482123-U)", "Bentong-2", "GST Reg No 000184401920",
        "Jalan Tras Batu 1", "28700 Bentong", "Pahang Darul Makmur.", "Tel : 09-2201388", "TOTAL 5.00",
    ])
    assert got["merchant_name"] == "TF Value-Mart Sdn Bhd"
    assert got["merchant_address"] == "Jalan Tras Batu 1 28700 Bentong Pahang Darul Makmur."


def _sized(rows: list[tuple[str, float]]) -> OcrResult:
    """One line per row, each (text, height in px), stacked top to bottom."""
    lines, y = [], 10.0
    for text, height in rows:
        x0, x1 = 100.0, 100.0 + 0.6 * height * len(text)
        lines.append(RawLine(text, 0.95, ((x0, y), (x1, y), (x1, y + height), (x0, y + height))))
        y += height * 1.3
    return build_ocr_result("test", [RawPage(width=1000, height=int(y + 20), lines=tuple(lines))])


def test_slogan_in_larger_type_over_a_legal_name_is_not_part_of_the_name():
    rows = [("East of Malaga", 60.0), ("MERCADONA S.A.", 34.0), ("CTRA. N-340, KM.208.", 34.0), ("TORROX-COSTA", 34.0),
            ("Telefono 952532311", 34.0), ("TOTAL 5,00", 34.0)]
    doc = extract_document(_sized(rows), DocumentType.RECEIPT, confidence_threshold=0.0)
    assert doc.fields["merchant_name"].value == "MERCADONA S.A."
    wrapped = [("WESTERN EASTERN", 34.0), ("STATIONERY SDN BHD", 34.0), ("12, Jalan Mutiara", 34.0), ("TOTAL 5.00", 34.0)]
    doc = extract_document(_sized(wrapped), DocumentType.RECEIPT, confidence_threshold=0.0)
    assert doc.fields["merchant_name"].value == "WESTERN EASTERN STATIONERY SDN BHD"


def test_mexican_legal_form_sa_de_cv_names_the_merchant_under_a_logo():
    got = _fields(["LeyMOT", "CASA LEY, SA DE CV", "CARR.INI.Y CALLE DEP K 1434", "SUC. LEY VALLARTA 1088", "TOTAL 58.14"])
    assert got["merchant_name"] == "CASA LEY, SA DE CV"


def test_header_that_starts_with_the_street_has_no_name_read():
    got = _fields(["C/ Princesa, 40", "28008 MADRID", "8 DARLIN", "1 New CITYMUG 16oz 12,00", "TOTAL 12,00"])
    assert got["merchant_name"] is None
    assert got["merchant_address"] == "C/ Princesa, 40 28008 MADRID 8 DARLIN"
    got = _fields(["Warburger Straße 130", "33100 Paderborn", "EUR", "Emmentaler Stück 1,99 A", "zu zahlen 1,99"])
    assert got["merchant_name"] is None
    assert got["merchant_address"] == "Warburger Straße 130 33100 Paderborn EUR"


def test_address_ends_at_the_first_article_price():
    got = _fields(["FISH SHOP", "Church Street Blackpool", "Kids Fish & Chips £3.20", "TOTAL £3.20"])
    assert got["merchant_address"] == "Church Street Blackpool"


def test_legal_form_misread_by_the_recogniser_is_read_as_printed():
    assert _fields(["AMANO MALAYSIA SON BHD", "12, Jalan Astaka U8/84", "TOTAL 5.00"])["merchant_name"] == "AMANO MALAYSIA SDN BHD"
    assert _fields(["SKCA HARDWARE S0N. BHD.", "TOTAL 5.00"])["merchant_name"] == "SKCA HARDWARE SDN. BHD."
    assert _fields(["99 SPEED MART 5/B (519537-X)", "LOT P.T. 2811, JALAN ANGSA,", "TOTAL 5.00"])["merchant_name"] == "99 SPEED MART S/B"
    assert _fields(["SONY CENTRE", "TOTAL 5.00"])["merchant_name"] == "SONY CENTRE"


def test_stray_accents_on_an_english_receipt_are_dropped_not_on_a_spanish_one():
    got = _fields(["POPULAR BOOK CO. SDN BHD", "LOT LG 315, 1-UTAMA SHOPPING CENTRE,", "Petaling Jaya, 47800 SÉLANGOR",
                   "Tel: 03-77268000", "Thank you for shopping with us", "TOTAL 5.00", "CASH 10.00", "CHANGE 5.00"])
    assert got["merchant_address"] == "LOT LG 315, 1-UTAMA SHOPPING CENTRE, Petaling Jaya, 47800 SELANGOR"
    got = _fields(["CAFÉ LA ESPAÑOLA", "Calle Mayor 12, Málaga", "CIF B12345678", "2 x Pan de la casa 3,00",
                   "TOTAL A PAGAR 3,00", "GRACIAS POR SU VISITA"])
    assert got["merchant_name"] == "CAFÉ LA ESPAÑOLA"
    assert got["merchant_address"] == "Calle Mayor 12, Málaga"


def test_address_without_a_postcode_is_not_traded_for_a_later_row_with_a_long_number():
    got = _fields(["CAFE ROMA", "Mid Valley City", "Tel 03-2287 1234", "Trans 255018 Counter", "TOTAL 5.00"])
    assert got["merchant_address"] == "Mid Valley City"
    got = _fields(["HORNBACH", "Filiale Paderborn", "Tel. 0 52 54 / 97 62 0", "Heisenbergstraße 2", "33104 Paderborn",
                   "SUMME 5,00"])
    assert got["merchant_address"] == "Heisenbergstraße 2 33104 Paderborn"
