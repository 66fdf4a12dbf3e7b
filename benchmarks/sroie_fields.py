"""How many SROIE receipts get the right `date` and `total` from the ocr-extractor.

Reads the first N receipts of ../shared/data/sroie/img (sorted by name) and their ground truth in
../shared/data/sroie/key, runs OCR + field extraction (in process, or over HTTP with --url) and prints per-file
results, the counts and the time per call. Dates are compared as calendar dates, totals as numbers.

    .venv/bin/python benchmarks/sroie_fields.py [--engine paddle|tesseract] [--limit 20] [--url http://127.0.0.1:8004]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "sroie"


def truth_date(text: str) -> date | None:
    """Ground-truth dates are written as on the receipt; read them with the extractor's own parser."""
    from ocr_extractor.core.parsing import find_dates, resolve_order

    found = find_dates(text, day_first=resolve_order([text]))
    return found[0].value if found else None


def as_number(text: str | None) -> Decimal | None:
    if not text:
        return None
    try:
        return Decimal(text.replace(",", "").replace("RM", "").strip())
    except InvalidOperation:
        return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--engine", choices=["paddle", "tesseract"], default="paddle")
    parser.add_argument("--url", help="post to a running service instead of running in process")
    parser.add_argument("--models-dir", type=Path, help="default: a temporary dir prepared from the rapidocr wheel")
    args = parser.parse_args()

    images = sorted((args.data / "img").glob("*.jpg"))[: args.limit]
    if not images:
        print(f"no SROIE images under {args.data / 'img'}; nothing to measure")
        return 0

    if args.url:
        import httpx

        from iris_common.settings import ClientSettings

        client = httpx.Client(base_url=args.url, timeout=120, headers=ClientSettings().authorization())

        def run(path: Path) -> dict:
            reply = client.post("/extract_json", files={"file": (path.name, path.read_bytes(), "image/jpeg")},
                                data={"document_type": "receipt", "confidence_threshold": "0"})
            reply.raise_for_status()
            return reply.json()["data"]["structured_document"]["fields"]
    else:
        from iris_common.contract.extraction import DocumentType
        from iris_common.io.images import decode_document
        from iris_common.web.uploads import limits_of
        from ocr_extractor.core.document import extract_document
        from ocr_extractor.models.prepare import prepare
        from ocr_extractor.models.runtime import OcrRuntime
        from ocr_extractor.settings import OcrExtractorSettings

        models_dir = args.models_dir or Path(tempfile.mkdtemp(prefix="iris-ocr-bench-"))
        prepare(models_dir)
        settings = OcrExtractorSettings(OCR_ENGINE=args.engine, IRIS_MODELS_DIR=models_dir)
        runtime = OcrRuntime(settings)
        started = time.perf_counter()
        runtime.load()
        if runtime.engine is None:
            print(f"engine failed to load: {runtime.error}")
            return 1
        print(f"engine {args.engine} loaded in {time.perf_counter() - started:.1f}s")

        def run(path: Path) -> dict:
            _, pages = decode_document(path.read_bytes(), limits_of(settings))
            ocr = runtime.recognize(pages)
            doc = extract_document(ocr, DocumentType.RECEIPT, default_day_first=settings.date_day_first,
                                   calibration=runtime.calibration)
            return {k: v.model_dump() for k, v in doc.fields.items()}

    ok_date = ok_total = 0
    seconds: list[float] = []
    for path in images:
        truth = json.loads((args.data / "key" / f"{path.stem}.json").read_text())
        started = time.perf_counter()
        fields = run(path)
        seconds.append(time.perf_counter() - started)
        got_date = (fields.get("date") or {}).get("value")
        got_total = (fields.get("total") or {}).get("value")
        date_ok = got_date is not None and date.fromisoformat(got_date) == truth_date(truth.get("date", ""))
        total_ok = as_number(got_total) is not None and as_number(got_total) == as_number(truth.get("total"))
        ok_date += date_ok
        ok_total += total_ok
        print(
            f"{path.name}: date {'OK ' if date_ok else 'BAD'} {got_date!s:>10} (truth {truth.get('date')!s:>12})  "
            f"total {'OK ' if total_ok else 'BAD'} {got_total!s:>8} (truth {truth.get('total')})  {seconds[-1]:.2f}s"
        )
    n = len(images)
    print(f"\nengine={args.engine} receipts={n} date {ok_date}/{n} total {ok_total}/{n}")
    print(f"seconds per call: mean {statistics.mean(seconds):.2f} median {statistics.median(seconds):.2f} "
          f"min {min(seconds):.2f} max {max(seconds):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
