"""`iris train`, `iris classify-eval`, `iris model-activate`: teach and measure the running ml-classifier."""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import httpx

from iris_common.settings import ClientSettings
from ml_classifier.core.evaluation import LabelledFile, format_report, from_csv, from_folders, score


def _client() -> httpx.Client:
    settings = ClientSettings()
    return httpx.Client(base_url=settings.ml_classifier_url, timeout=max(settings.ml_classifier_timeout, 300.0))


def _data(response: httpx.Response) -> Any:
    body = response.json()
    if not body.get("success"):
        error = body.get("error") or {}
        raise SystemExit(f"ml-classifier: {error.get('code')} {error.get('message')}")
    return body["data"]


def cmd_train(args: argparse.Namespace) -> int:
    items = from_folders(Path(args.dir))
    if not items:
        print(f"no labelled images under {args.dir} (expected DIR/<label>/<image>)", file=sys.stderr)
        return 1
    files = [("files", (f.path.name, f.path.read_bytes())) for f in items]
    form = {"labels": [f.label for f in items], "note": args.note or f"iris train {Path(args.dir).resolve()}",
            "include_base": str(args.include_base).lower(), "activate": str(not args.no_activate).lower()}
    with _client() as client:
        model = _data(client.post("/train", files=files, data=form))
    state = "active" if model["active"] else "stored, not active (iris model-activate " + model["version"] + ")"
    print(f"new model version {model['version']} ({state}): {model['training_total']} examples, classes {model['classes']}")
    print(json.dumps(model["training_size"]))
    return 0


def classify_files(client: httpx.Client, items: list[LabelledFile]) -> list[str]:
    predicted = []
    progress = sys.stderr.isatty()  # a counter redrawn in place; in a log file it would be one long line
    for i, item in enumerate(items, 1):
        data = _data(client.post("/classify", files={"file": (item.path.name, item.path.read_bytes())}))
        predicted.append(data["predicted_class"])
        if progress:
            sys.stderr.write(f"\r{i}/{len(items)}")
    if progress:
        sys.stderr.write("\n")
    return predicted


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
    with _client() as client:
        version = _data(client.get("/model"))["version"]
        predicted = classify_files(client, items)
    report = score([i.label for i in items], predicted, [i.source for i in items])
    print(f"model {version}")
    print(format_report(report))
    return 0


def cmd_model_activate(args: argparse.Namespace) -> int:
    with _client() as client:
        model = _data(client.post("/model/activate", json={"version": args.version}))
    print(f"active model: {model['version']} (classes {model['classes']})")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train a new classifier version from DIR/<label>/<images>", description=cmd_train.__doc__)
    p.add_argument("dir")
    p.add_argument("--include-base", action="store_true", help="also train on the generated set of the default model")
    p.add_argument("--no-activate", action="store_true", help="store the version without serving it")
    p.add_argument("--note", default="", help="provenance text stored with the model")
    p.set_defaults(func=cmd_train)
    p = sub.add_parser("classify-eval", help="accuracy, per-class precision/recall and confusion on labelled images")
    p.add_argument("dir", nargs="?", help="DIR/<label>/<images>")
    p.add_argument("--csv", help="a path,label[,source] CSV (doc_types.csv style) instead of DIR")
    p.add_argument("--root", help="folder the CSV paths are relative to (default: the CSV's folder)")
    p.add_argument("--labels", help="only rows with these labels, comma-separated (e.g. receipt,form,invoice)")
    p.add_argument("--exclude", help="skip files whose names appear under this folder (the training examples)")
    p.set_defaults(func=cmd_classify_eval)
    p = sub.add_parser("model-activate", help="serve a stored classifier version (e.g. v1, the default)")
    p.add_argument("version")
    p.set_defaults(func=cmd_model_activate)
