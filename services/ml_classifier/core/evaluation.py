"""Scoring a classifier on labelled pages: accuracy, per-class precision/recall, confusion (pure; no HTTP).

Real labelled sets are often confounded (each label from one scanner or source), so a per-source
confusion is reported beside the overall one: a model can look right overall and be wrong on a whole source.
Used by `iris classify-eval` and benchmarks/phases24_benchmark.py.
"""

import csv
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

SUPPORTED_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".pdf", ".bmp", ".webp")


@dataclass(frozen=True)
class LabelledFile:
    path: Path
    label: str
    source: str = ""


@dataclass
class Report:
    accuracy: float
    n: int
    per_class: dict[str, dict[str, float]]  # label -> precision, recall, support
    confusion: dict[str, Counter]  # true -> Counter(predicted)
    per_source: dict[str, Counter] = field(default_factory=dict)  # source -> Counter(predicted)
    per_source_accuracy: dict[str, float] = field(default_factory=dict)


def from_folders(root: Path) -> list[LabelledFile]:
    """Sub-folder names are labels: root/receipt/a.jpg -> receipt (files directly in root are ignored)."""
    items = []
    for folder in sorted(p for p in Path(root).iterdir() if p.is_dir() and not p.name.startswith(".")):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix.lower() in SUPPORTED_SUFFIXES:
                items.append(LabelledFile(path, folder.name))
    return items


def from_csv(csv_path: Path, root: Path | None = None, labels: set[str] | None = None) -> list[LabelledFile]:
    """Rows `path,label[,source]` (doc_types.csv style); paths relative to `root` (default: the CSV's folder)."""
    root = Path(root) if root else Path(csv_path).parent
    with open(csv_path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [LabelledFile(root / r["path"], r["label"], r.get("source") or "") for r in rows if labels is None or r["label"] in labels]


def score(truth: list[str], predicted: list[str], sources: list[str] | None = None) -> Report:
    confusion: dict[str, Counter] = defaultdict(Counter)
    for t, p in zip(truth, predicted, strict=True):
        confusion[t][p] += 1
    per_class = {}
    for label in sorted(set(truth) | set(predicted)):
        tp = confusion[label][label]
        predicted_as = sum(c[label] for c in confusion.values())
        support = sum(confusion[label].values())
        per_class[label] = {"precision": tp / predicted_as if predicted_as else 0.0, "recall": tp / support if support else 0.0,
                            "support": support}
    per_source: dict[str, Counter] = defaultdict(Counter)
    right: dict[str, list[bool]] = defaultdict(list)
    for s, t, p in zip(sources or [], truth, predicted):
        if s:
            per_source[f"{s} ({t})"][p] += 1
            right[f"{s} ({t})"].append(t == p)
    n = len(truth)
    return Report(
        accuracy=sum(t == p for t, p in zip(truth, predicted)) / n if n else 0.0,
        n=n,
        per_class=per_class,
        confusion=dict(confusion),
        per_source=dict(per_source),
        per_source_accuracy={k: sum(v) / len(v) for k, v in right.items()},
    )


def _table(headers: list[str], rows: list[list[object]]) -> str:
    cells = [headers] + [[str(v) for v in r] for r in rows]
    widths = [max(len(str(r[i])) for r in cells) for i in range(len(headers))]
    return "\n".join("  ".join(str(v).ljust(w) for v, w in zip(r, widths)).rstrip() for r in cells)


def format_report(report: Report) -> str:
    """Plain-text tables: accuracy, per-class precision/recall, confusion (rows = truth), per-source confusion."""
    predicted_labels = sorted({p for c in report.confusion.values() for p in c} | set(report.confusion))
    out = [f"accuracy {report.accuracy:.3f} on {report.n} pages", ""]
    out.append(_table(["class", "precision", "recall", "support"],
                      [[k, f"{v['precision']:.2f}", f"{v['recall']:.2f}", v["support"]] for k, v in report.per_class.items()]))
    out += ["", "confusion (rows: true label, columns: predicted)"]
    out.append(_table(["true \\ predicted", *predicted_labels],
                      [[t, *[report.confusion[t][p] for p in predicted_labels]] for t in sorted(report.confusion)]))
    if report.per_source:
        src_labels = sorted({p for c in report.per_source.values() for p in c})
        out += ["", "per-source confusion (rows: source (true label), columns: predicted)"]
        out.append(_table(["source", *src_labels, "accuracy"],
                          [[s, *[c[p] for p in src_labels], f"{report.per_source_accuracy[s]:.2f}"] for s, c in sorted(report.per_source.items())]))
    return "\n".join(out)
