"""Label readers: each turns one labelled folder format into `LabelledDocument`s with IRIS field names.

A field's labels are a list of acceptable values; an empty list means the label says the field is absent from
the document (a prediction then counts as a false positive); a field not listed is not scored for that document.
"""

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from iris_cli.evaluation.scoring import Comparator, MatchMode, TextRules, field_kind

logger = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp")
Box = list[float]  # [x0, y0, x1, y1]


@dataclass
class LabelledDocument:
    doc_id: str
    image: Path
    document_type: str | None  # what the labels say it is: the type used for extraction unless --type says otherwise
    comparator: Comparator
    fields: dict[str, list[str]] = field(default_factory=dict)
    match_modes: dict[str, MatchMode] = field(default_factory=dict)
    pairs: list[tuple[str, str]] | None = None  # key -> value pairs of a form, None when the format has none
    lines: list[tuple[str, Box | None]] | None = None  # transcriptions for the OCR error rate (box None: given order)
    groups: list[str] = field(default_factory=list)  # subsets the document belongs to (WildReceipt's spanish_subset ...)


@dataclass
class LabelSet:
    format: str
    folder: Path
    documents: list[LabelledDocument]
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why it could not be evaluated)


def quad_to_box(values: list[float]) -> Box:
    xs, ys = values[0::2], values[1::2]
    return [min(xs), min(ys), max(xs), max(ys)]


def find_image(folder: Path, stem: str) -> Path | None:
    """The document file with this stem, PDFs first (the original of an invoice), then images."""
    for suffix in IMAGE_SUFFIXES:
        for candidate in (folder / f"{stem}{suffix}", folder / f"{stem}{suffix.upper()}"):
            if candidate.is_file():
                return candidate
    return None


# --- SROIE ---------------------------------------------------------------------------------------------------

SROIE_FIELDS = {"company": "merchant_name", "address": "merchant_address", "date": "date", "total": "total"}
# Malaysian receipts: day first when 01/02 is ambiguous; SROIE Task 3 removes whitespace and light punctuation.
SROIE_COMPARATOR = Comparator(TextRules(remove_spaces=True, remove_punctuation=True), day_first=True, decimal_comma=False)


def read_sroie(folder: Path, subset: Path | None = None) -> LabelSet:
    """`key/NNN.json` {company, date, address, total}, `box/NNN.csv` (8 quad coordinates, text), `img/NNN.jpg`."""
    labels = LabelSet("sroie", folder, [])
    for key_file in sorted((folder / "key").glob("*.json")):
        image = find_image(folder / "img", key_file.stem)
        if image is None:
            labels.skipped.append((key_file.name, "no image in img/"))
            continue
        key = json.loads(key_file.read_text(encoding="utf-8", errors="replace"))
        fields = {ours: [str(key[theirs])] for theirs, ours in SROIE_FIELDS.items() if str(key.get(theirs) or "").strip()}
        lines = None
        box_file = folder / "box" / f"{key_file.stem}.csv"
        if box_file.is_file():
            lines = []
            for row in box_file.read_text(encoding="utf-8", errors="replace").splitlines():
                parts = row.split(",", 8)
                if len(parts) == 9:
                    try:
                        lines.append((parts[8], quad_to_box([float(v) for v in parts[:8]])))
                    except ValueError:
                        continue
        labels.documents.append(LabelledDocument(key_file.stem, image, "receipt", SROIE_COMPARATOR, fields, lines=lines))
    return labels


# --- FUNSD ---------------------------------------------------------------------------------------------------

def read_funsd(folder: Path, subset: Path | None = None) -> LabelSet:
    """`annotations/*.json` (entities with words, boxes, `linking`) and `images/*.png`; also accepts the dataset
    root holding `training_data/` and `testing_data/` (each becomes a group)."""
    roots = [folder] if (folder / "annotations").is_dir() else sorted(p for p in folder.iterdir() if (p / "annotations").is_dir())
    labels = LabelSet("funsd", folder, [])
    for root in roots:
        for ann_file in sorted((root / "annotations").glob("*.json")):
            image = find_image(root / "images", ann_file.stem)
            if image is None:
                labels.skipped.append((ann_file.name, "no image in images/"))
                continue
            entities = {e["id"]: e for e in json.loads(ann_file.read_text(encoding="utf-8"))["form"]}
            links = {tuple(link) for e in entities.values() for link in e.get("linking", [])}
            pairs = []
            for a, b in sorted(links):
                q, ans = entities.get(a), entities.get(b)
                if q and ans and q["label"] == "question" and ans["label"] == "answer" and q["text"].strip() and ans["text"].strip():
                    pairs.append((q["text"], ans["text"]))
            words = [(w["text"], [float(v) for v in w["box"]]) for e in entities.values() for w in e.get("words", [])]
            labels.documents.append(LabelledDocument(ann_file.stem, image, "form", Comparator(), pairs=pairs, lines=words,
                                                     groups=[root.name] if root != folder else []))
    return labels


# --- WildReceipt ---------------------------------------------------------------------------------------------

WILDRECEIPT_CLASSES = {"Store_name_value": "merchant_name", "Date_value": "date", "Total_value": "total"}


def _runs(texts: list[str], longest: int = 6) -> list[str]:
    """Each text and each contiguous run of them joined: a store name labelled as several boxes (`THE|ROUND|TOWER`)."""
    return list(dict.fromkeys("".join(texts[i:j]) for i in range(len(texts)) for j in range(i + 1, min(len(texts), i + longest) + 1)))


def read_wildreceipt(folder: Path, subset: Path | None = None) -> LabelSet:
    """MMOCR KIE JSON lines (`file_name`, `annotations` [{box (8 numbers), text, label}]) + `class_list.txt`.

    Without `subset`, every JSON-lines `*.txt` in the folder is read, each as a group (so the Spanish subset is
    reported apart). Spanish receipts write the day first; the rest mix US and European receipts and the labels do
    not say which, so an ambiguous date label (06/05/13) accepts either reading there.
    """
    class_names = [line.strip() for line in (folder / "class_list.txt").read_text(encoding="utf-8").splitlines() if line.strip()]
    label_of = {i: WILDRECEIPT_CLASSES[name] for i, name in enumerate(class_names) if name in WILDRECEIPT_CLASSES}
    files = [subset] if subset else sorted(p for p in folder.glob("*.txt") if p.name != "class_list.txt")
    labels = LabelSet("wildreceipt", folder, [])
    by_file: dict[str, LabelledDocument] = {}
    for list_file in files:
        group = list_file.stem
        day_first = True if "spanish" in group.lower() else None
        comparator = Comparator(TextRules(remove_spaces=True), day_first=day_first)
        for line in list_file.read_text(encoding="utf-8").splitlines():
            if not line.strip().startswith("{"):
                continue
            item = json.loads(line)
            image = folder / item["file_name"]
            if item["file_name"] in by_file:  # listed in two subsets: run once, reported in both
                by_file[item["file_name"]].groups.append(group)
                continue
            if not image.is_file():
                labels.skipped.append((item["file_name"], "image missing"))
                continue
            boxes: dict[str, list[tuple[str, Box]]] = {name: [] for name in WILDRECEIPT_CLASSES.values()}
            for ann in item["annotations"]:
                if ann["label"] in label_of and ann["text"].strip():
                    boxes[label_of[ann["label"]]].append((ann["text"], quad_to_box(ann["box"])))
            fields = {}
            for name, found in boxes.items():
                ordered = [t for t, _ in sorted(found, key=lambda tb: (round(tb[1][1] / 8), tb[1][0]))]
                fields[name] = _runs(ordered) if name == "merchant_name" else ordered
                if found and not any(comparator.canonical(v, field_kind(name)) is not None for v in fields[name]):
                    del fields[name]  # labelled, but no label reads as its kind (`Total(ImpuestosIncl.)`): not scored
            doc_id = Path(item["file_name"]).with_suffix("").as_posix().removeprefix("image_files/")
            by_file[item["file_name"]] = LabelledDocument(doc_id, image, "receipt", comparator, fields, groups=[group])
            labels.documents.append(by_file[item["file_name"]])
    return labels


# --- German receipts -----------------------------------------------------------------------------------------

GERMAN_COMPARATOR = Comparator(TextRules(), day_first=True, decimal_comma=True)


def read_german_receipts(folder: Path, subset: Path | None = None) -> LabelSet:
    """`key_from_filename.json`: {image name: {merchant, date DD.MM.YYYY, total with decimal comma}}. The merchant
    label is a short brand (`lidl`), scored as contained in the extracted name."""
    labels = LabelSet("german_receipts", folder, [])
    for name, key in json.loads((folder / "key_from_filename.json").read_text(encoding="utf-8")).items():
        image = folder / name
        if not image.is_file():
            labels.skipped.append((name, "image missing"))
            continue
        fields = {ours: [str(key[theirs])] for theirs, ours in (("merchant", "merchant_name"), ("date", "date"), ("total", "total"))
                  if key.get(theirs) not in (None, "")}
        labels.documents.append(LabelledDocument(Path(name).stem, image, "receipt", GERMAN_COMPARATOR, fields,
                                                 match_modes={"merchant_name": "contains"}))
    return labels


# --- invoice2data --------------------------------------------------------------------------------------------

INVOICE2DATA_FIELDS = {"issuer": "vendor_name", "amount": "total", "date": "date", "invoice_number": "invoice_number"}


def read_invoice2data(folder: Path, subset: Path | None = None) -> LabelSet:
    """invoice2data test fixtures: `NAME.json` (a list with one dict: issuer, amount, date ISO, invoice_number, ...)
    beside `NAME.pdf` (or an image). A fixture with only a `.txt` has no image to run and is skipped."""
    labels = LabelSet("invoice2data", folder, [])
    for json_file in sorted(folder.glob("*.json")):
        data = json.loads(json_file.read_text(encoding="utf-8"))
        key = data[0] if isinstance(data, list) and data else data
        image = find_image(folder, json_file.stem)
        if image is None or not isinstance(key, dict):
            labels.skipped.append((json_file.name, "no PDF or image beside it"))
            continue
        fields = {ours: [str(key[theirs])] for theirs, ours in INVOICE2DATA_FIELDS.items() if key.get(theirs) not in (None, "")}
        labels.documents.append(LabelledDocument(json_file.stem, image, "invoice", Comparator(day_first=True), fields))
    return labels


# --- DeepForm (VRDU ad-buy invoices) -------------------------------------------------------------------------

DEEPFORM_FIELDS = {"contract_num": "invoice_number", "advertiser": "customer_name", "gross_amount": "total",
                   "flight_from": "period_start", "flight_to": "period_end"}
# VRDU's rules: names letters + digits only, contract numbers digits only, amounts within 0.01, dates equal with
# month and day allowed to swap (day_first None: an ambiguous label accepts either reading).
DEEPFORM_COMPARATOR = Comparator(day_first=None, decimal_comma=False, amount_tolerance=Decimal("0.01"))
DEEPFORM_MODES: dict[str, MatchMode] = {"invoice_number": "digits", "customer_name": "alnum"}
LATER_PAGE_TOTAL = "later_page_total"  # the gross amount is printed only on a page after the first


def read_deepform(folder: Path, subset: Path | None = None) -> LabelSet:
    """`annotations.jsonl` (in the folder or its parent): per document `image` (images/STEM.jpg|png), `fields`
    {advertiser, contract_num, gross_amount, flight_from, flight_to} and `field_on_page1` (`page1`,
    `later_page_only (pN)` or `unknown ...`). The folder is `images/` (first pages) or `pdfs/` (the originals,
    same stems). A first-page image scores only the fields printed on page 1; a PDF scores every field.
    Groups: `later_page_total` (gross amount only on a later page), `total_on_page1`, `total_unknown`."""
    annotations = next((p for p in (folder / "annotations.jsonl", folder.parent / "annotations.jsonl") if p.is_file()), None)
    if annotations is None:
        raise FileNotFoundError(f"no annotations.jsonl in {folder} or {folder.parent}")
    labels = LabelSet("deepform", folder, [])
    search = [folder, folder / "pdfs"] if folder / "annotations.jsonl" == annotations else [folder]
    for line in annotations.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        stem = Path(item["image"]).stem
        document = next((found for d in search if (found := find_image(d, stem)) is not None), None)
        if document is None:
            labels.skipped.append((item["image"], f"no file {stem}.* in {folder.name}/"))
            continue
        whole = document.suffix.lower() in (".pdf", ".tif", ".tiff")  # the original multi-page document
        where = item.get("field_on_page1") or {}
        fields = {ours: [str(item["fields"][theirs]).strip()] for theirs, ours in DEEPFORM_FIELDS.items()
                  if str(item["fields"].get(theirs) or "").strip() and (whole or str(where.get(theirs, "")).startswith("page1"))}
        total_at = str(where.get("gross_amount", ""))
        group = (LATER_PAGE_TOTAL if total_at.startswith("later_page") else "total_on_page1" if total_at.startswith("page1")
                 else "total_unknown")
        labels.documents.append(LabelledDocument(stem, document, "invoice", DEEPFORM_COMPARATOR, fields,
                                                 match_modes=dict(DEEPFORM_MODES), groups=[group]))
    return labels


# --- IRIS's simple format ------------------------------------------------------------------------------------

def read_iris(folder: Path, subset: Path | None = None) -> LabelSet:
    """One `NAME.json` beside each `NAME.<image|pdf>` (searched recursively):

        {"document_type": "receipt",                     # optional; without it the classifier's answer is used
         "fields": {"total": "12.50", "date": "2024-03-01", "merchant_tax_id": null, "merchant_name": ["ACME", "ACME Ltd"]},
         "key_values": [{"key": "Name", "value": "Ana"}],  # optional, forms
         "lines": ["ACME", "TOTAL 12.50"],                # optional, transcription in reading order (for the CER)
         "day_first": true, "decimal_comma": false}       # optional locale of the document

    A field given as null is labelled absent; a list gives acceptable alternatives; nested values are not scored.
    """
    labels = LabelSet("iris", folder, [])
    for json_file in sorted(folder.rglob("*.json")):
        image = find_image(json_file.parent, json_file.stem)
        if image is None:
            continue  # not a label file of this format
        try:
            data = json.loads(json_file.read_text(encoding="utf-8"))
        except ValueError as exc:
            labels.skipped.append((str(json_file.relative_to(folder)), f"invalid JSON: {exc}"))
            continue
        if not isinstance(data, dict):
            labels.skipped.append((str(json_file.relative_to(folder)), "not a JSON object"))
            continue
        fields: dict[str, list[str]] = {}
        for name, value in (data.get("fields") or {}).items():
            if value is None:
                fields[name] = []
            elif isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
                fields[name] = [str(v) for v in value]
            elif isinstance(value, str | int | float) and not isinstance(value, bool):
                fields[name] = [str(value)]
        pairs = [(kv["key"], kv["value"]) for kv in data.get("key_values", []) if kv.get("key") and kv.get("value")] or None
        lines = [(t, None) for t in data["lines"]] if isinstance(data.get("lines"), list) else None
        comparator = Comparator(day_first=bool(data.get("day_first", True)), decimal_comma=data.get("decimal_comma"))
        doc_id = json_file.relative_to(folder).with_suffix("").as_posix()
        labels.documents.append(LabelledDocument(doc_id, image, data.get("document_type"), comparator, fields,
                                                 pairs=pairs, lines=lines))
    return labels


READERS: dict[str, Callable[[Path, Path | None], LabelSet]] = {
    "sroie": read_sroie,
    "funsd": read_funsd,
    "wildreceipt": read_wildreceipt,
    "german_receipts": read_german_receipts,
    "invoice2data": read_invoice2data,
    "deepform": read_deepform,
    "iris": read_iris,
}


def read_labels(folder: Path, fmt: str, subset: Path | None = None) -> LabelSet:
    if fmt not in READERS:
        raise ValueError(f"unknown label format {fmt!r}; expected one of {', '.join(READERS)}")
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder")
    return READERS[fmt](folder, subset)
