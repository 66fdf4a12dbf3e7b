"""`iris samples`: writes generated sample documents (and their ground truth) to try IRIS on."""

import json
from pathlib import Path

import cv2

import docgen

SAMPLE_SET = (
    ("receipt", "en", "clean"),
    ("receipt", "es", "photo"),
    ("invoice", "en", "noisy"),
    ("invoice", "es", "clean"),
    ("form", "en", "rotated"),
    ("letter", "es", "clean"),
)


def write_samples(folder: Path, seed: int = 7) -> list[Path]:
    """One image per (kind, language, variant) of SAMPLE_SET, plus `<name>.truth.json` beside each."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, lang, variant in SAMPLE_SET:
        doc = docgen.render(kind, seed=seed, lang=lang, variant=variant)
        path = folder / f"{kind}-{lang}-{variant}.jpg"
        cv2.imwrite(str(path), doc.image, [cv2.IMWRITE_JPEG_QUALITY, 92])
        truth = {"kind": kind, "lang": lang, "variant": variant, "fields": doc.fields}
        (folder / f"{path.stem}.truth.json").write_text(json.dumps(truth, indent=2, ensure_ascii=False))
        written.append(path)
    return written
