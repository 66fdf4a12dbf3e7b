"""What reading a page's words does for phases 2-4, beyond the headline table of phases24_benchmark.py.

Prints, on ../shared/data/doc_types.csv (skips when absent), with the default model's generated training set:
- accuracy of the default model from text alone (hashed words) and with CLASSIFIER_TEXT_WEIGHT 0.5 / 1 / 2,
  default and after 10 real examples per class (three draws);
- clustering ARI of the mixed batch with the words added (TF-IDF + LSA of the OCR text), automatic and fixed k;
- the text-aware classifier's confidence per true label (why the new-type flags do not catch the odd pages).

Page texts come from the cache phases24_benchmark.py fills (`--ocr-cache`, same default); run that first.

    IRIS_CPU_THREADS=2 .venv/bin/python benchmarks/text_features_study.py
"""

import argparse
import random
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import adjusted_rand_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
from phases24_benchmark import DATA, TARGET_LABELS, first_page, page_texts  # noqa: E402

from iris_common.settings import ServiceSettings  # noqa: E402
from ml_classifier.core.estimator import DocumentTypeEstimator  # noqa: E402
from ml_classifier.core.evaluation import from_csv  # noqa: E402
from ml_classifier.core.text_features import fold, text_features  # noqa: E402
from ml_classifier.models.prepare import embed_generated, DEFAULT_PER_CLASS, DEFAULT_SEED  # noqa: E402
from ml_classifier.settings import ClassifierSettings  # noqa: E402
from iris_models.encoders import build_encoder  # noqa: E402
from iris_models.encoders import efficientnet_lite0 as embeddings_prepare  # noqa: E402
from iris_models.encoders.vectors import l2_normalise  # noqa: E402
from ml_embeddings.core.clustering import cluster  # noqa: E402


def accuracy(estimator: DocumentTypeEstimator, x: np.ndarray, texts: list[str] | None, truth: list[str]) -> float:
    predicted = [max(scores, key=scores.__getitem__) for scores, _ in estimator.predict_scores(x, texts)]
    return float(np.mean([p == t for p, t in zip(predicted, truth)]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ocr-cache", type=Path, default=ServiceSettings().iris_home / "cache" / "phases24-ocr")
    parser.add_argument("--shots", type=int, default=10)
    args = parser.parse_args()
    if not (DATA / "doc_types.csv").is_file():
        print(f"SKIP: {DATA / 'doc_types.csv'} not found (../shared/data is absent)")
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="iris-text-study-"))
    settings = ClassifierSettings(IRIS_MODELS_DIR=str(tmp), OPENCLIP_MODEL=None, OPENCLIP_PRETRAINED=None, LOG_LEVEL="WARNING")
    embeddings_prepare.prepare(tmp, threads=settings.cpu_threads)
    encoder = build_encoder(settings)
    base = embed_generated(encoder, DEFAULT_PER_CLASS, DEFAULT_SEED)
    assert base.texts is not None
    items = [i for i in from_csv(DATA / "doc_types.csv") if i.path.is_file()]
    pages = [first_page(i.path) for i in items]
    texts = page_texts([i.path for i in items], pages, args.ocr_cache)
    vectors = encoder.encode(pages)
    labels = [i.label for i in items]
    target = [k for k, label in enumerate(labels) if label in TARGET_LABELS]
    c = settings.classifier_c

    print("== default model (generated pages only), receipt/form/invoice, by what it reads ==")
    truth = [labels[k] for k in target]


    text_model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced").fit(text_features(base.texts), base.labels)
    print(f"{'words only (hashed)':<28} {np.mean(text_model.predict(text_features([texts[k] for k in target])) == np.array(truth)):.3f}")
    by_label: dict[str, list[int]] = {}
    for k in target:
        by_label.setdefault(labels[k], []).append(k)
    for weight in (0.0, 0.5, 1.0, 2.0):
        estimator = DocumentTypeEstimator(c=c, text_weight=weight).fit(base.embeddings, base.labels, base.texts)
        default = accuracy(estimator, vectors[target], [texts[k] for k in target] if weight else None, truth)
        few = []
        for seed in (0, 1, 2):
            rng = random.Random(seed)
            shots = sorted(k for label in sorted(by_label) for k in rng.sample(by_label[label], args.shots))
            rest = [k for k in target if k not in set(shots)]
            fitted = DocumentTypeEstimator(c=c, text_weight=weight).fit(
                np.vstack([vectors[shots], base.embeddings]), [labels[k] for k in shots] + base.labels,
                [texts[k] for k in shots] + base.texts)
            few.append(accuracy(fitted, vectors[rest], [texts[k] for k in rest] if weight else None, [labels[k] for k in rest]))
        name = "image only" if weight == 0 else f"image + words x {weight:g}"
        print(f"{name:<28} default {default:.3f}   {args.shots}/class + base: {' / '.join(f'{a:.3f}' for a in few)}")

    print("\n== clustering the mixed batch (all labelled pages), ARI vs labels ==")
    tfidf = TfidfVectorizer(preprocessor=fold, token_pattern=r"[a-z]{3,}", sublinear_tf=True, min_df=2, max_df=0.5)
    lsa = l2_normalise(TruncatedSVD(32, random_state=0).fit_transform(tfidf.fit_transform(texts)))
    image = l2_normalise(vectors)
    for name, features in (("image", image), ("image + LSA x 0.5", np.hstack([image, 0.5 * lsa])),
                           ("image + LSA x 1", np.hstack([image, lsa])), ("LSA of the words only", lsa)):
        auto = cluster(features, None, max_k=10, threads=settings.cpu_threads)
        fixed = [adjusted_rand_score(labels, cluster(features, k, max_k=10, threads=settings.cpu_threads).labels) for k in (3, 4, 5)]
        print(f"{name:<24} automatic k={auto.k}: {adjusted_rand_score(labels, auto.labels):.3f}   k=3/4/5: "
              + " / ".join(f"{a:.3f}" for a in fixed))
    estimator = DocumentTypeEstimator(c=c, text_weight=settings.classifier_text_weight).fit(base.embeddings, base.labels, base.texts)
    scores = estimator.predict_scores(vectors, texts)
    argmax = [max(s, key=s.__getitem__) for s, _ in scores]
    print(f"{'classifier argmax (text)':<24} ARI {adjusted_rand_score(labels, argmax):.3f} (handwritten and scientific pages have no class)")

    print("\n== text-aware default model: predicted class and confidence by true label (+ the warped photos) ==")
    warped = sorted((DATA / "warped" / "photos").glob("*.*"))
    warped_pages = [first_page(p) for p in warped]
    if warped:
        scores += estimator.predict_scores(encoder.encode(warped_pages), page_texts(warped, warped_pages, args.ocr_cache))
        argmax = [max(s, key=s.__getitem__) for s, _ in scores]
        labels = labels + ["warped"] * len(warped)
    for label in sorted(set(labels)):
        members = [k for k, t in enumerate(labels) if t == label]
        confidence = [max(scores[k][0].values()) for k in members]
        print(f"{label:<24} {dict(Counter(argmax[k] for k in members))}  confidence median {np.median(confidence):.2f}, "
              f"p10 {np.percentile(confidence, 10):.2f}")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
