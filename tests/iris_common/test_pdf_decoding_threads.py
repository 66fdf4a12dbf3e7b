"""PDF decoding from several threads at once, as a service's worker threads do when two PDFs arrive together.

PDFium is not thread-safe: without the process-wide lock in `iris_common.io.images`, rendering born-digital
pages (text in fonts, like the DeepForm ad-buy PDFs) from four threads crashes the interpreter (heap corruption,
SIGSEGV) within a few dozen renders.
"""

from concurrent.futures import ThreadPoolExecutor

from iris_common.io.images import DecodeLimits, decode_pages

LIMITS = DecodeLimits(max_pixels=50_000_000, min_side=8, max_pdf_pages=10)


def _text_pdf(pages: int) -> bytes:
    """A born-digital PDF of `pages` Letter pages, each with 40 lines of Helvetica text (a standard font)."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]  # the page tree is filled in below
    kids = []
    for i in range(pages):
        text = b"BT /F1 11 Tf 50 740 Td 14 TL " + b" ".join(
            f"(Line {n} of page {i + 1}: invoice 10{n:03d} total 1,234.{n:02d}) '".encode() for n in range(40)) + b" ET"
        objects.append(f"<< /Length {len(text)} >>\nstream\n".encode() + text + b"\nendstream")
        content = len(objects)
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {content} 0 R "
                       f"/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>".encode())
        kids.append(f"{len(objects)} 0 R")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {pages} >>".encode()
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def test_pdfs_decoded_from_four_threads_at_once_all_come_back_whole() -> None:
    documents = [_text_pdf(n) for n in (1, 2, 3)]

    def decode(i: int) -> tuple[int, int]:
        pages = i % 3 + 1
        decoded = decode_pages(documents[pages - 1], LIMITS, page=i % pages)
        return decoded.page_count, len(decoded.pages)

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(decode, range(240)))
    assert results == [(i % 3 + 1, 1) for i in range(240)]
