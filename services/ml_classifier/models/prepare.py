"""Offline training of the DEFAULT classifier from documents IRIS generates itself (docgen), never ../shared/data.

Classes are docgen's kinds (receipt, invoice, form, letter, other). Each class gets `per_class` pages with
alternating language (en/es) and cycling degradations (clean, noisy, rotated, photo), so the model sees the
scan and photo conditions it will meet. Pages are embedded with the same encoder the service loads.
Idempotent: an active model trained on the configured encoder is kept unless `force`.

Setup time only: `iris setup` (and benchmarks) call this module; the running service never does (it loads the
stored model, and `POST /train?include_base` reads the stored base set). So docgen, the test-data generator, is
imported inside `generated_pages` and never at module level: a serving process does not import it.
"""

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from iris_models.encoders import ImageEncoder, build_encoder, declared_info, efficientnet_lite0
from ml_classifier.core import training
from ml_classifier.models.store import BaseSet, ModelStore
from ml_classifier.settings import ClassifierSettings

logger = logging.getLogger(__name__)

DEFAULT_PER_CLASS = 56
DEFAULT_SEED = 1000
LANGS = ("en", "es")
EMBED_CHUNK = 32  # pages rendered then embedded together: bounded memory, batched inference


def generated_pages(per_class: int, seed: int) -> Iterator[tuple[str, np.ndarray, str]]:
    """(kind, BGR page, the words printed on it) for every kind, cycling language, layout and degradation; deterministic for a seed.

    Layouts and variants are crossed so that no layout is seen only clean: real forms arrive as fax-like
    bilevel scans, real receipts on thermal paper or photographed, and the model must not learn "degraded
    means kind X". The thermal variant is for receipts only (other kinds get a noisy scan in its place).
    """
    # setup time only (see the module docstring): the test-data generator is never imported by the serving process
    import docgen
    from docgen.render import layouts
    from docgen.variants import VARIANTS

    for kind in docgen.DOCUMENT_KINDS:
        kind_layouts = layouts(kind)
        for i in range(per_class):
            layout = kind_layouts[i % len(kind_layouts)]
            variant = VARIANTS[(i // len(kind_layouts)) % len(VARIANTS)]
            if variant == "thermal" and kind != "receipt":
                variant = "noisy"
            doc = docgen.render(kind, seed=seed + i, lang=LANGS[(i // 3) % len(LANGS)], variant=variant, layout=layout)
            yield kind, doc.image, "\n".join(doc.lines)


def embed_generated(encoder: ImageEncoder, per_class: int, seed: int) -> BaseSet:
    """The generated training set. Its texts are the lines docgen printed (not OCR of them: OCR of every page
    would cost minutes at setup); hashed words are robust to the few characters real OCR gets wrong."""
    vectors: list[np.ndarray] = []
    labels: list[str] = []
    texts: list[str] = []
    chunk: list[np.ndarray] = []
    for kind, image, text in generated_pages(per_class, seed):
        labels.append(kind)
        texts.append(text)
        chunk.append(image)
        if len(chunk) == EMBED_CHUNK:
            vectors.append(encoder.encode(chunk))
            chunk = []
    if chunk:
        vectors.append(encoder.encode(chunk))
    return BaseSet(np.concatenate(vectors), labels, texts)


def _still_current(metadata: dict[str, Any], model_id: str, dimension: int, reads_text: bool) -> bool:
    """An active model is kept when it was trained on the configured encoder; a DEFAULT model (docgen) that reads
    text when it should not, or the other way round (an older one, or CLASSIFIER_TEXT_WEIGHT changed), is
    replaced; a model the user trained is never replaced."""
    trained = metadata["encoder"]
    if (trained["model_id"], int(trained["dimension"])) != (model_id, dimension):
        return False
    is_default = metadata.get("training_data", {}).get("generator") == "docgen"
    return not is_default or (metadata.get("text_features") is not None) == reads_text


def prepare(
    models_dir: Path,
    *,
    force: bool = False,
    per_class: int = DEFAULT_PER_CLASS,
    seed: int = DEFAULT_SEED,
    settings: ClassifierSettings | None = None,
) -> dict[str, Any]:
    """Make sure an active classifier compatible with the configured encoder exists under models_dir/classifier/.

    Also prepares the embeddings model it depends on. Returns {status: "present"|"created", version, metadata}.
    """
    models_dir = Path(models_dir)
    settings = (settings or ClassifierSettings()).model_copy(update={"models_dir_override": models_dir})
    if not settings.use_open_clip:
        efficientnet_lite0.prepare(models_dir, threads=settings.cpu_threads)
    store = ModelStore(models_dir)
    active = store.load_active() if store.active_version() else None
    encoder: ImageEncoder | None = None
    info = declared_info(settings)  # the encoder's identity without building the network (None: only the network knows)
    if info is None:
        encoder = build_encoder(settings)
        info = encoder.info
    if active is not None and not force and _still_current(active.metadata, info.model_id, info.dimension,
                                                           settings.classifier_text_weight > 0):
        logger.info("classifier %s already active at %s", active.version, store.root)
        return {"status": "present", "version": active.version, "metadata": active.metadata}

    encoder = encoder or build_encoder(settings)  # the network is needed only to embed the generated pages
    started = time.perf_counter()
    base = embed_generated(encoder, per_class, seed)
    store.save_base_set(base)  # kept so /train?include_base can add user examples to it
    estimator = training.fit(base.embeddings, base.labels, c=settings.classifier_c, texts=base.texts,
                             text_weight=settings.classifier_text_weight)
    labels = base.labels
    counts = training.check_labels(labels, len(labels))
    seconds = round(time.perf_counter() - started, 1)
    provenance = (
        f"default model: trained on {len(labels)} docgen documents ({per_class} per class, seeds {seed}..{seed + per_class - 1}, "
        f"languages {'/'.join(LANGS)}, layouts classic + realistic, variants clean/noisy/rotated/photo/fax/thermal/flatbed; "
        f"text: the lines docgen printed)"
    )
    model = store.save(
        estimator,
        training_size=counts,
        encoder=encoder.info.model_dump(),
        provenance=provenance,
        extra={"training_data": {"generator": "docgen", "per_class": per_class, "seed": seed, "languages": list(LANGS), "seconds": seconds}},
    )
    logger.info("trained default classifier %s in %.1fs", model.version, seconds)
    return {"status": "created", "version": model.version, "metadata": model.metadata}
