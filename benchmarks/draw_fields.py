"""Draw the fields IRIS extracts from a WildReceipt photo at their `bbox`, on the ORIGINAL photo.

The photo goes through the running services as in the pipeline: image-processor `/process` (deskew, unwarp ...)
then ocr-extractor `/extract_json` of the processed page with phase 1's `transform` as `source_transform`, so
the boxes come back in the photo's own pixels. Each field is drawn with its name, value and confidence; the
picture is written outside the repository.

    .venv/bin/python benchmarks/draw_fields.py [--image PATH] [--out ~/.iris/evidence/wildreceipt_fields.png]
                                               [--ocr-url http://127.0.0.1:8004]
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from pathlib import Path

import cv2
import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
WILDRECEIPT = ROOT.parent / "shared" / "data" / "wildreceipt"
COLOURS = [(0, 0, 230), (0, 160, 0), (230, 0, 0), (0, 140, 230), (160, 0, 160), (120, 120, 0), (0, 90, 160)]


def first_photo() -> Path | None:
    listing = WILDRECEIPT / "spanish_subset.txt"
    if not listing.is_file():
        return None
    return WILDRECEIPT / json.loads(listing.read_text().splitlines()[0])["file_name"]


def main() -> int:
    from iris_common.settings import ClientSettings, ServiceSettings

    client_settings = ClientSettings()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--image", type=Path, help="default: the first photo of WildReceipt's Spanish subset")
    parser.add_argument("--out", type=Path, default=ServiceSettings().iris_home / "evidence" / "wildreceipt_fields.png")
    parser.add_argument("--image-processor-url", default=client_settings.image_processor_url)
    parser.add_argument("--ocr-url", default=client_settings.ocr_extractor_url)
    parser.add_argument("--type", default="receipt")
    args = parser.parse_args()
    image_path = args.image or first_photo()
    if image_path is None or not image_path.is_file():
        print("no image given and ../shared/data/wildreceipt is absent")
        return 1

    content = image_path.read_bytes()
    with httpx.Client(timeout=300, headers=ClientSettings().authorization()) as http:
        processed = http.post(f"{args.image_processor_url}/process", files={"file": (image_path.name, content, "image/jpeg")})
        processed.raise_for_status()
        page = processed.json()["data"]["pages"][0]
        print(f"phase 1: {[op['name'] for op in page['operations']]}, skew {page['skew_angle']:.2f} deg, "
              f"{page['original_size']} -> {page['processed_size']}")
        reply = http.post(
            f"{args.ocr_url}/extract_json",
            files={"file": ("page.png", base64.b64decode(page["image_base64"]), "image/png")},
            data={"document_type": args.type, "confidence_threshold": "0", "source_transform": json.dumps(page["transform"])},
        )
        reply.raise_for_status()
    doc = reply.json()["data"]["structured_document"]
    if doc.get("coordinate_space") != "original":
        print(f"the ocr-extractor at {args.ocr_url} did not map boxes back (coordinate_space={doc.get('coordinate_space')})")
        return 1

    photo = cv2.imdecode(np.frombuffer(content, np.uint8), cv2.IMREAD_COLOR)
    scale = max(1.0, 1000 / photo.shape[0])
    canvas = cv2.resize(photo, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC) if scale > 1 else photo.copy()
    legend: list[tuple[str, tuple[int, int, int]]] = []
    drawn = 0
    for i, (name, field) in enumerate(sorted(doc["fields"].items())):
        value = field["value"] if field["value"] is not None else field.get("candidate")
        if not field.get("bbox") or value is None:
            continue
        colour = COLOURS[drawn % len(COLOURS)]
        x0, y0, x1, y1 = (int(round(v * scale)) for v in field["bbox"])
        cv2.rectangle(canvas, (x0, y0), (x1, y1), colour, 2)
        cv2.putText(canvas, name, (x0, max(12, y0 - 4)), cv2.FONT_HERSHEY_SIMPLEX, 0.45, colour, 1, cv2.LINE_AA)
        legend.append((f"{name}: {value} ({field['confidence']:.2f})", colour))
        drawn += 1
        print(f"{name:<16} {str(value)[:40]:<40} conf {field['confidence']:.2f}  bbox(original px) {field['bbox']}")
    panel = np.full((canvas.shape[0], 420, 3), 255, np.uint8)
    for j, (text, colour) in enumerate(legend):
        cv2.putText(panel, text[:52], (8, 24 + 22 * j), cv2.FONT_HERSHEY_SIMPLEX, 0.45, colour, 1, cv2.LINE_AA)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(args.out), np.hstack([canvas, panel]))
    print(f"{drawn} fields drawn on the original {photo.shape[1]}x{photo.shape[0]} photo -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
