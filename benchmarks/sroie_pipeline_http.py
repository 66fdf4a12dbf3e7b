"""A real receipt through the four running services in turn, over HTTP: /process -> /embed -> /classify ->
/extract_json. Counts right classifications, dates and totals on the first N SROIE receipts and prints the
per-call time of each service. Needs `iris up` (URLs from IMAGE_PROCESSOR_URL, ...).

    .venv/bin/python benchmarks/sroie_pipeline_http.py [--limit 20] [--data ../shared/data/sroie]
"""

import argparse
import base64
import json
import statistics
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path

import httpx

from iris_common.settings import ClientSettings

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "sroie"


def truth_date(text: str):  # -> date | None
    from ocr_extractor.core.parsing import find_dates, resolve_order

    found = find_dates(text, day_first=resolve_order([text]))
    return found[0].value if found else None


def as_number(text: str | None) -> Decimal | None:
    try:
        return Decimal(str(text).replace(",", "").replace("RM", "").strip()) if text else None
    except InvalidOperation:
        return None


def timed_post(client: httpx.Client, url: str, times: list[float], **kwargs: object) -> dict:
    started = time.perf_counter()
    response = client.post(url, **kwargs)
    times.append(time.perf_counter() - started)
    body = response.json()
    if not body.get("success"):
        raise RuntimeError(f"{url}: {body.get('error')}")
    return body["data"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, default=20)
    args = parser.parse_args()
    images = sorted((args.data / "img").glob("*.jpg"))[: args.limit]
    if not images:
        print(f"no SROIE images under {args.data / 'img'}; nothing to measure")
        return 0
    urls = ClientSettings()
    times: dict[str, list[float]] = {"process": [], "embed": [], "classify": [], "extract_json": []}
    right = {"receipt": 0, "date": 0, "total": 0}
    print(f"{'file':<14} {'class':<8} {'date':<12} {'ok':<3} {'total':<9} {'ok':<3}")
    with httpx.Client(timeout=180, headers=ClientSettings().authorization()) as client:
        for image in images:
            truth = json.loads((args.data / "key" / f"{image.stem}.json").read_text())
            pre = timed_post(client, f"{urls.url('image-processor')}/process", times["process"],
                             files={"file": (image.name, image.read_bytes())})
            page = base64.b64decode(pre["pages"][0]["image_base64"])
            emb = timed_post(client, f"{urls.url('ml-embeddings')}/embed", times["embed"], files={"file": ("page.png", page)})
            cls = timed_post(client, f"{urls.url('ml-classifier')}/classify", times["classify"],
                             json={"embedding": emb["items"][0]["embedding"]})
            ext = timed_post(client, f"{urls.url('ocr-extractor')}/extract_json", times["extract_json"],
                             files={"file": ("page.png", page)}, data={"document_type": "receipt"})
            fields = ext["structured_document"]["fields"]
            got_date = (fields.get("date") or {}).get("value")
            got_total = (fields.get("total") or {}).get("value")
            date_ok = got_date is not None and truth_date(truth["date"]) is not None and got_date == truth_date(truth["date"]).isoformat()
            total_ok = as_number(got_total) is not None and as_number(got_total) == as_number(truth["total"])
            right["receipt"] += cls["predicted_class"] == "receipt"
            right["date"] += date_ok
            right["total"] += total_ok
            print(f"{image.stem:<14} {cls['predicted_class']:<8} {str(got_date):<12} {'y' if date_ok else 'N':<3} "
                  f"{str(got_total):<9} {'y' if total_ok else 'N':<3}")
    n = len(images)
    print(f"\nreceipts: {n}  classified receipt: {right['receipt']}/{n}  date right: {right['date']}/{n}  total right: {right['total']}/{n}")
    print(f"{'call':<14} {'median s':>9} {'mean s':>8} {'max s':>7}")
    for call, values in times.items():
        print(f"{call:<14} {statistics.median(values):>9.3f} {statistics.mean(values):>8.3f} {max(values):>7.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
