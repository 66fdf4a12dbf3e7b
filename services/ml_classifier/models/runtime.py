"""The ml-classifier runtime: the shared encoder plus the active model, swapped atomically on training.

Requests read `self._model` once and use that object throughout, so a swap in the middle of a request
cannot mix two versions; the lock only serialises swaps and reloads.
"""

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from iris_common.contract.classification import ClassificationResult, ModelDescription
from iris_common.contract.health import CheckResult
from iris_common.errors import InvalidInput, ServiceUnavailable
from iris_models.encoders import ImageEncoder, build_encoder
from iris_models.encoders.vectors import as_matrix, as_vector
from ml_classifier.core import training
from ml_classifier.models.store import ClassifierModel, ModelStore
from ml_classifier.settings import ClassifierSettings

logger = logging.getLogger(__name__)


class ClassifierRuntime:
    def __init__(self, settings: ClassifierSettings) -> None:
        self.settings = settings
        self.store = ModelStore(settings.models_dir)
        self._encoder: ImageEncoder | None = None
        self._model: ClassifierModel | None = None
        self._stamp: tuple[int, int] | None = None
        self._lock = threading.Lock()
        self.encoder_error: str | None = None
        self.model_error: str | None = None
        self.load_seconds: float | None = None

    # -- loading -------------------------------------------------------------------------------------------
    def load(self) -> None:
        """Load encoder and active model; never raises (failures are kept for /health)."""
        started = time.perf_counter()
        try:
            self._encoder = build_encoder(self.settings)
            self.encoder_error = None
        except Exception as exc:
            self._encoder, self.encoder_error = None, f"{type(exc).__name__}: {exc}"
            logger.error("encoder failed to load: %s", self.encoder_error)
        self._reload_model()
        self.load_seconds = round(time.perf_counter() - started, 3)

    def _reload_model(self) -> None:
        with self._lock:
            stamp = self.store.active_stamp()
            try:
                model = self.store.load_active()
                self.model_error = None if model else f"no active classifier under {self.store.root}; run `iris setup` (prepare)"
            except Exception as exc:
                model, self.model_error = None, f"cannot load the active classifier: {type(exc).__name__}: {exc}"
            if model is not None:
                self._model = model
                logger.info("classifier %s active (classes %s)", model.version, model.classes)
            elif self.model_error:
                logger.error(self.model_error)
            self._stamp = stamp

    def _refresh(self) -> None:
        """Pick up a version activated by another process (e.g. `iris setup --force`) without a restart."""
        if self.store.active_stamp() != self._stamp:
            self._reload_model()

    # -- accessors -----------------------------------------------------------------------------------------
    @property
    def encoder(self) -> ImageEncoder:
        if self._encoder is None:
            raise ServiceUnavailable(f"the encoder is not loaded: {self.encoder_error or 'not started'}")
        return self._encoder

    def model(self) -> ClassifierModel:
        self._refresh()
        model = self._model
        if model is None:
            raise ServiceUnavailable(self.model_error or "no classifier model loaded")
        return model

    def expected_dimension(self) -> int | None:
        if self._encoder is not None:
            return self._encoder.info.dimension
        model = self._model
        return int(model.metadata["encoder"]["dimension"]) if model else None

    def _compatibility(self, model: ClassifierModel) -> str | None:
        if self._encoder is None:
            return None
        trained, info = model.metadata["encoder"], self._encoder.info
        if (trained["model_id"], int(trained["dimension"])) != (info.model_id, info.dimension):
            return (
                f"classifier {model.version} was trained on {trained['model_id']} ({trained['dimension']}-d) "
                f"but the loaded encoder is {info.model_id} ({info.dimension}-d); retrain (POST /train or iris setup --force)"
            )
        return None

    # -- work ----------------------------------------------------------------------------------------------
    def classify_embeddings(self, embeddings: np.ndarray, texts: Sequence[str | None] | None = None) -> list[ClassificationResult]:
        """`texts` (one per row, None where a page has none) lets a model that reads text use the words."""
        model = self.model()
        problem = self._compatibility(model)
        if problem:
            raise ServiceUnavailable(problem)
        dim = int(model.metadata["encoder"]["dimension"])
        if embeddings.shape[1] != dim:
            raise InvalidInput(
                f"the embedding has dimension {embeddings.shape[1]}; classifier {model.version} expects {dim}",
                details={"dimension": int(embeddings.shape[1]), "expected_dimension": dim},
            )
        texts = training.check_texts(texts, len(embeddings), max_chars=self.settings.text_max_chars)
        results = []
        for scores, used_text in model.estimator.predict_scores(embeddings, texts):
            label, confidence = training.best_of(scores)
            results.append(ClassificationResult(predicted_class=label, confidence=confidence, scores=scores,
                                                model_version=model.version, used_text=used_text))
        return results

    def classify_embedding(self, embedding: Sequence[float], text: str | None = None) -> ClassificationResult:
        return self.classify_embeddings(as_vector(embedding, self.expected_dimension())[None, :], [text])[0]

    def classify_images(self, images_bgr: list[np.ndarray], texts: Sequence[str | None] | None = None) -> list[ClassificationResult]:
        self.model()  # fail fast (SVC001) before spending time on the encoder
        return self.classify_embeddings(self.encoder.encode(images_bgr), texts)

    def embed(self, images_bgr: list[np.ndarray]) -> np.ndarray:
        return self.encoder.encode(images_bgr)

    def train(
        self,
        embeddings: Sequence[Sequence[float]] | np.ndarray,
        labels: Sequence[str],
        *,
        provenance: str,
        texts: Sequence[str | None] | None = None,
        include_base: bool = False,
        activate: bool = True,
    ) -> ModelDescription:
        """Fit, store as a new version and (by default) activate it for the next request.

        include_base adds the generated set of the default model, so a few user examples extend the known
        classes instead of replacing them. With the OCR text of every example (and of the base set) the new
        version also reads text; otherwise it classifies from the image alone.
        """
        if len(labels) > self.settings.train_max_examples:
            raise InvalidInput(f"{len(labels)} examples; at most {self.settings.train_max_examples} per training")
        training.check_labels(labels, len(embeddings))
        texts = training.check_texts(texts, len(embeddings), max_chars=self.settings.text_max_chars)
        matrix = np.asarray(embeddings, dtype=np.float32) if isinstance(embeddings, np.ndarray) else as_matrix(embeddings, self.expected_dimension())
        encoder = self.encoder.info
        if matrix.shape[1] != encoder.dimension:
            raise InvalidInput(f"embeddings have dimension {matrix.shape[1]}; the encoder produces {encoder.dimension}")
        labels = list(labels)
        if include_base:
            base = self.store.load_base_set()
            if base is None or base.embeddings.shape[1] != matrix.shape[1]:
                raise InvalidInput("no generated base set for the loaded encoder; run `iris setup --force` or train without include_base")
            matrix, labels = np.vstack([matrix, base.embeddings]), labels + base.labels
            texts = texts + base.texts if texts is not None and base.texts is not None else None
            provenance += f" + generated base set ({len(base.labels)} pages)"
        estimator = training.fit(matrix, labels, c=self.settings.classifier_c, texts=texts, text_weight=self.settings.classifier_text_weight)
        counts = training.check_labels(labels, len(matrix))
        with self._lock:
            model = self.store.save(estimator, training_size=counts, encoder=encoder.model_dump(), provenance=provenance, activate=activate)
            if activate:
                self._model = model
                self._stamp = self.store.active_stamp()
                self.model_error = None
        return model.describe(active=activate)

    def activate(self, version: str) -> ModelDescription:
        """Serve a stored version (e.g. back to the default `v1` after experiments); VAL001 if it does not exist."""
        if version not in self.store.versions():
            raise InvalidInput(f"no classifier version {version!r}; stored: {self.store.versions()}", details={"version": version})
        with self._lock:
            model = self.store.load(version)
            self.store.activate(version)
            self._model, self._stamp, self.model_error = model, self.store.active_stamp(), None
        return model.describe()

    # -- reporting -----------------------------------------------------------------------------------------
    def checks(self) -> dict[str, CheckResult]:
        checks: dict[str, CheckResult] = {}
        if self._encoder is None:
            checks["encoder"] = CheckResult(ok=False, detail=self.encoder_error or "not loaded")
        else:
            info = self._encoder.info
            checks["encoder"] = CheckResult(ok=True, detail=f"{info.backend} {info.model_id} ({info.dimension}-d)", info=info.model_dump())
        try:
            model = self.model()
        except ServiceUnavailable as exc:
            checks["classifier_model"] = CheckResult(ok=False, detail=exc.message)
            return checks
        problem = self._compatibility(model)
        checks["classifier_model"] = CheckResult(
            ok=problem is None,
            detail=problem or f"{model.version}: {', '.join(model.classes)}",
            info={"version": model.version, "classes": model.classes},
        )
        return checks

    def describe(self) -> dict[str, Any]:
        encoder = self._encoder.info.model_dump() if self._encoder else None
        model = self._model
        models = ([{"backend": "scikit-learn LogisticRegression", "model_id": "document-type-classifier",
                    "version": model.version, "weights_source": f"{self.store.root / model.version} ({model.metadata.get('provenance', '')})"}]
                  if model else [])
        return {
            "models": models + ([encoder] if encoder else []),
            "loaded": self._encoder is not None and model is not None,
            "backend": f"sklearn LogisticRegression on {encoder['backend']}" if encoder else None,
            "model_id": f"document-type-classifier ({encoder['model_id']})" if encoder else None,
            "version": model.version if model else None,
            "dimension": encoder["dimension"] if encoder else None,
            "weights_source": (
                f"{self.store.root / model.version} ({model.metadata.get('provenance', '')}); encoder: {encoder['weights_source']}"
                if model and encoder
                else None
            ),
            "classes": model.classes if model else [],
            "encoder": encoder,
            "errors": [e for e in (self.encoder_error, self.model_error) if e],
            "load_seconds": self.load_seconds,
        }
