"""`iris train`, `iris classify-eval`, `iris model-activate`: teach and measure the running ml-classifier.

Like the pipeline, both read each page's words first (ocr-extractor `/ocr`) and send them with the page, so
the model is trained and measured on what the pipeline will give it; `--no-text` uses the image alone.
"""

import argparse
import getpass
import json
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from iris_common.settings import ClientSettings
from ml_classifier.core.evaluation import LabelledFile, format_report, from_csv, from_folders, score


def _client(*, admin: bool = False) -> httpx.Client:
    """ml-classifier with the API token; with the admin token (IRIS_ADMIN_TOKEN) for what changes its model."""
    settings = ClientSettings()
    return httpx.Client(base_url=settings.ml_classifier_url, timeout=max(settings.ml_classifier_timeout, 300.0),
                        headers=settings.authorization(admin=admin))


def _ocr_client() -> httpx.Client:
    settings = ClientSettings()
    return httpx.Client(base_url=settings.ocr_extractor_url, timeout=settings.ocr_extractor_timeout,
                        headers=settings.authorization())


def _data(response: httpx.Response, service: str = "ml-classifier") -> Any:
    body = response.json()
    if not body.get("success"):
        error = body.get("error") or {}
        raise SystemExit(f"{service}: {error.get('code')} {error.get('message')}")
    return body["data"]


def page_text(ocr: httpx.Client, path: Path) -> str:
    """The words on the file (ocr-extractor /ocr), as the pipeline reads them before classifying."""
    try:
        response = ocr.post("/ocr", files={"file": (path.name, path.read_bytes())})
    except httpx.TransportError as exc:
        raise SystemExit(f"ocr-extractor at {ocr.base_url} is not reachable ({type(exc).__name__}): "
                         "start it (iris up) or pass --no-text to use the image alone") from None
    return str(_data(response, "ocr-extractor")["ocr"]["text"])


def _texts(items: list[LabelledFile], use_text: bool) -> list[str | None]:
    if not use_text:
        return [None] * len(items)
    with _ocr_client() as ocr:
        return [page_text(ocr, item.path) for item in _progress(items, "reading text")]


def _progress(items: list[LabelledFile], what: str) -> Iterator[LabelledFile]:
    """Yield the items with a counter redrawn in place on a terminal (in a log file it would be one long line)."""
    progress = sys.stderr.isatty()
    for i, item in enumerate(items, 1):
        yield item
        if progress:
            sys.stderr.write(f"\r{what} {i}/{len(items)}")
    if progress:
        sys.stderr.write("\n")


def cmd_train(args: argparse.Namespace) -> int:
    items = from_folders(Path(args.dir))
    if not items:
        print(f"no labelled images under {args.dir} (expected DIR/<label>/<image>)", file=sys.stderr)
        return 1
    texts = _texts(items, not args.no_text)
    files = [("files", (f.path.name, f.path.read_bytes())) for f in items]
    form: dict[str, Any] = {"labels": [f.label for f in items], "note": args.note or f"iris train {Path(args.dir).resolve()}",
                            "include_base": str(args.include_base).lower(), "activate": str(not args.no_activate).lower(),
                            "actor": _actor()}
    if not args.no_text:
        form["texts"] = texts
    with _client(admin=True) as client:
        model = _data(client.post("/train", files=files, data=form))
    state = "active" if model["active"] else "stored, not active (iris model-activate " + model["version"] + ")"
    print(f"new model version {model['version']} ({state}): {model['training_total']} examples, classes {model['classes']}, "
          f"reads text: {model.get('text_features') or 'no'}")
    if model.get("holdout"):
        print(f"hold-out check: {model['holdout']['reason']}")
    print(json.dumps(model["training_size"]))
    return 0


def classify_files(client: httpx.Client, items: list[LabelledFile], texts: list[str | None]) -> tuple[list[str], int]:
    """Predicted class of every file, and how many answers used the page's words."""
    predicted, used_text = [], 0
    for item, text in zip(_progress(items, "classifying"), texts, strict=True):
        form = {"text": text} if text is not None else None
        data = _data(client.post("/classify", files={"file": (item.path.name, item.path.read_bytes())}, data=form))
        predicted.append(data["predicted_class"])
        used_text += bool(data.get("used_text"))
    return predicted, used_text


def cmd_classify_eval(args: argparse.Namespace) -> int:
    if args.csv:
        labels = set(args.labels.split(",")) if args.labels else None
        items = from_csv(Path(args.csv), Path(args.root) if args.root else None, labels)
    else:
        items = from_folders(Path(args.dir))
    if args.exclude:
        excluded = {Path(p).resolve() for p in Path(args.exclude).rglob("*")}  # e.g. the examples `iris train` saw
        names = {p.name for p in excluded}
        items = [i for i in items if i.path.name not in names]
    if not items:
        print("nothing to evaluate", file=sys.stderr)
        return 1
    texts = _texts(items, not args.no_text)
    with _client() as client:
        version = _data(client.get("/model"))["version"]
        predicted, used_text = classify_files(client, items, texts)
    report = score([i.label for i in items], predicted, [i.source for i in items])
    print(f"model {version}; the page's words used for {used_text} of {len(items)} pages")
    print(format_report(report))
    return 0


def _actor() -> str:
    """Who asks, as recorded with an activation: user@host of this shell."""
    return f"{getpass.getuser()}@{socket.gethostname()}"[:80]


def cmd_model_activate(args: argparse.Namespace) -> int:
    with _client(admin=True) as client:
        model = _data(client.post("/model/activate", json={"version": args.version, "reason": args.reason, "actor": _actor()}))
    activation = model.get("activation") or {}
    print(f"active model: {model['version']} (classes {model['classes']}), activated {activation.get('activated_at')} "
          f"by {activation.get('actor')}: {activation.get('reason') or '-'}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train a new classifier version from DIR/<label>/<images>", description=cmd_train.__doc__)
    p.add_argument("dir")
    p.add_argument("--include-base", action="store_true", help="also train on the generated set of the default model")
    p.add_argument("--no-activate", action="store_true",
                   help="store the version without serving it (otherwise it is served if it passes the hold-out check)")
    p.add_argument("--note", default="", help="provenance text stored with the model")
    p.add_argument("--no-text", action="store_true", help="do not read the pages' words (image-only model)")
    p.set_defaults(func=cmd_train)
    p = sub.add_parser("classify-eval", help="accuracy, per-class precision/recall and confusion on labelled images")
    p.add_argument("dir", nargs="?", help="DIR/<label>/<images>")
    p.add_argument("--csv", help="a path,label[,source] CSV (doc_types.csv style) instead of DIR")
    p.add_argument("--root", help="folder the CSV paths are relative to (default: the CSV's folder)")
    p.add_argument("--labels", help="only rows with these labels, comma-separated (e.g. receipt,form,invoice)")
    p.add_argument("--exclude", help="skip files whose names appear under this folder (the training examples)")
    p.add_argument("--no-text", action="store_true", help="classify from the image alone (no OCR)")
    p.set_defaults(func=cmd_classify_eval)
    p = sub.add_parser("model-activate", help="serve a stored classifier version (e.g. v1, the default)")
    p.add_argument("version")
    p.add_argument("--reason", default="", help="why (recorded with the activation; GET /model shows it)")
    p.set_defaults(func=cmd_model_activate)
