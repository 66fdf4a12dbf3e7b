"""The ml-classifier runtime: the active model, swapped atomically on training, and the shared encoder, loaded
only when an image must be embedded.

Requests read `self._model` once and use that object throughout, so a swap in the middle of a request
cannot mix two versions; the lock only serialises swaps and reloads.

Replicas share one model store (a volume, a ReadWriteMany PVC) and agree on the version through its `active`
pointer: every request reads the pointer (a few bytes) and reloads when it names another version than the one
served, so a training or activation on one replica is served by all from their next request.

The pipeline sends the page's embedding (made by ml-embeddings), so the classifier usually never runs the
encoder network: at start-up it reads only the encoder's declared identity (model id and dimension, from the
prepared model's metadata), which is what the compatibility check needs. The network is built on the first
request that brings an image (classify or train by image) and kept; `iris setup` builds its own to train the
default model (models.prepare).
"""

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from iris_common.contract.classification import ClassificationResult, HoldoutReport, ModelDescription
from iris_common.contract.embeddings import EncoderInfo
from iris_common.contract.health import CheckResult
from iris_common.errors import InvalidInput, ServiceUnavailable
from iris_models.encoders import ImageEncoder, build_encoder, declared_info
from iris_models.encoders.vectors import as_matrix, as_vector
from ml_classifier.core import training
from ml_classifier.core.estimator import DocumentTypeEstimator
from ml_classifier.models.store import ClassifierModel, ModelStore
from ml_classifier.settings import ClassifierSettings

logger = logging.getLogger(__name__)


class ClassifierRuntime:
    def __init__(self, settings: ClassifierSettings) -> None:
        self.settings = settings
        self.store = ModelStore(settings.models_dir)
        self._encoder: ImageEncoder | None = None
        self._declared: EncoderInfo | None = None  # the encoder's identity read from its files, without the network
        self._encoder_tried = False  # the network is built once per process: a failure is kept, not retried per request
        self._encoder_lock = threading.Lock()
        self._model: ClassifierModel | None = None
        self._active: str | None = None  # what the store's pointer said when `_model` was chosen
        self._lock = threading.Lock()
        self.encoder_error: str | None = None
        self.model_error: str | None = None
        self.load_seconds: float | None = None
        self.encoder_load_seconds: float | None = None

    # -- loading -------------------------------------------------------------------------------------------
    def load(self) -> None:
        """Read the encoder's declared identity and load the active model; never raises (failures are kept for /health).

        The encoder network is not built here (see `encoder`), unless its identity is known only from the loaded
        network (an open_clip model whose config cannot be read without it)."""
        started = time.perf_counter()
        try:
            self._declared = declared_info(self.settings)
            self.encoder_error = None
        except Exception as exc:  # a missing model or weight file: loading would fail the same way
            self._declared, self.encoder_error = None, f"{type(exc).__name__}: {exc}"
            logger.error("encoder not usable: %s", self.encoder_error)
        if self._declared is None and self.encoder_error is None:
            self._load_encoder()
        self._reload_model(initial=True)
        self.load_seconds = round(time.perf_counter() - started, 3)

    def _load_encoder(self) -> ImageEncoder | None:
        """Build the encoder network once (thread-safe); later calls return it, or None after a failure."""
        with self._encoder_lock:
            if self._encoder is None and not self._encoder_tried:
                self._encoder_tried = True
                started = time.perf_counter()
                try:
                    encoder = build_encoder(self.settings)
                except Exception as exc:
                    self.encoder_error = f"{type(exc).__name__}: {exc}"
                    logger.error("encoder failed to load: %s", self.encoder_error)
                else:
                    declared, info = self._declared, encoder.info
                    if declared is not None and (declared.model_id, declared.dimension) != (info.model_id, info.dimension):
                        logger.warning("encoder declared %s (%d-d) but loaded as %s (%d-d)",
                                       declared.model_id, declared.dimension, info.model_id, info.dimension)
                    self._encoder, self.encoder_error = encoder, None
                    self.encoder_load_seconds = round(time.perf_counter() - started, 3)
                    logger.info("encoder %s loaded in %.2fs for an image", info.model_id, self.encoder_load_seconds)
            return self._encoder

    def _reload_model(self, *, initial: bool = False) -> None:
        with self._lock:
            version = self.store.active_version()
            if version == self._active and not initial:  # another request reloaded it meanwhile
                return
            try:
                model = self.store.load(version) if version else None
                self.model_error = None if model else f"no active classifier under {self.store.root}; run `iris setup` (prepare)"
            except Exception as exc:
                model, self.model_error = None, f"cannot load the active classifier {version}: {type(exc).__name__}: {exc}"
            if model is not None:
                self._model = model
                logger.info("classifier %s active (classes %s)", model.version, model.classes)
            elif self.model_error:
                logger.error(self.model_error)
            self._active = version  # a version that fails to load is not retried on every request

    def _refresh(self) -> None:
        """Serve the version the store names now, whoever activated it (another replica, `iris setup --force`).

        The pointer's content is compared, not its mtime: NFS and object-storage mounts keep coarse timestamps,
        and two activations within one tick leave a pointer of the same mtime and size."""
        if self.store.active_version() != self._active:
            self._reload_model()

    # -- accessors -----------------------------------------------------------------------------------------
    @property
    def encoder(self) -> ImageEncoder:
        """The encoder network, built on first use (an image to embed); SVC001 when it cannot load."""
        encoder = self._encoder or self._load_encoder()
        if encoder is None:
            raise ServiceUnavailable(f"the encoder is not loaded: {self.encoder_error or 'not started'}")
        return encoder

    @property
    def encoder_loaded(self) -> bool:
        return self._encoder is not None

    def encoder_info(self) -> EncoderInfo | None:
        """The encoder's identity without loading it: the loaded network's info, else the declared one."""
        encoder = self._encoder
        return encoder.info if encoder is not None else self._declared

    def model(self) -> ClassifierModel:
        self._refresh()
        model = self._model
        if model is None:
            raise ServiceUnavailable(self.model_error or "no classifier model loaded")
        return model

    def expected_dimension(self) -> int | None:
        info = self.encoder_info()
        if info is not None:
            return info.dimension
        model = self._model
        return int(model.metadata["encoder"]["dimension"]) if model else None

    def _compatibility(self, model: ClassifierModel) -> str | None:
        info = self.encoder_info()
        if info is None:
            return None
        trained = model.metadata["encoder"]
        if (trained["model_id"], int(trained["dimension"])) != (info.model_id, info.dimension):
            return (
                f"classifier {model.version} was trained on {trained['model_id']} ({trained['dimension']}-d) "
                f"but the configured encoder is {info.model_id} ({info.dimension}-d); retrain (POST /train or iris setup --force)"
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
        activate: bool = False,
        actor: str = "api",
    ) -> ModelDescription:
        """Fit and store as a new version; serve it only when `activate` is asked for AND it passes the hold-out
        check against the active model (`training.holdout_check`; the response's `holdout` says how it did), so
        one malformed or careless training cannot retype every later document.

        include_base adds the generated set of the default model, so a few user examples extend the known
        classes instead of replacing them. With the OCR text of every example (and of the base set) the new
        version also reads text; otherwise it classifies from the image alone.
        """
        if len(labels) > self.settings.train_max_examples:
            raise InvalidInput(f"{len(labels)} examples; at most {self.settings.train_max_examples} per training")
        training.check_labels(labels, len(embeddings), max_classes=self.settings.train_max_classes,
                              max_per_class=self.settings.train_max_examples_per_class)
        texts = training.check_texts(texts, len(embeddings), max_chars=self.settings.text_max_chars)
        matrix = np.asarray(embeddings, dtype=np.float32) if isinstance(embeddings, np.ndarray) else as_matrix(embeddings, self.expected_dimension())
        encoder = self.encoder_info() or self.encoder.info  # the network only when its identity is not declared
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
        estimator = self._fit(matrix, labels, texts)
        counts = training.check_labels(labels, len(matrix))
        holdout = self._holdout(matrix, labels, texts, eligible=len(embeddings)) if activate else None
        with self._lock:
            model = self.store.save(estimator, training_size=counts, encoder=encoder.model_dump(), provenance=provenance, activate=False)
            record = None
            if holdout is not None and holdout.passed:  # another replica activating meanwhile: the next request follows it
                record = self.store.activate(model.version, actor=actor, reason=f"POST /train activate=true: {holdout.reason}")
                self._model, self._active, self.model_error = model, model.version, None
        return model.describe(active=record is not None).model_copy(update={"activation": record, "holdout": holdout})

    def _fit(self, matrix: np.ndarray, labels: list[str], texts: Sequence[str | None] | None) -> DocumentTypeEstimator:
        return training.fit(matrix, labels, c=self.settings.classifier_c, texts=texts, text_weight=self.settings.classifier_text_weight)

    def _holdout(self, matrix: np.ndarray, labels: list[str], texts: Sequence[str | None] | None, eligible: int) -> HoldoutReport:
        try:
            active: DocumentTypeEstimator | None = self.model().estimator
        except ServiceUnavailable:
            active = None  # no model to compare with: the candidate's own score decides nothing, it passes
        return training.holdout_check(matrix, labels, None if texts is None else list(texts), fit_fn=self._fit, active=active,
                                      margin=self.settings.train_activation_margin, eligible=eligible)

    def activate(self, version: str, *, actor: str = "api", reason: str = "") -> ModelDescription:
        """Serve a stored version (e.g. back to the default `v1` after experiments); VAL001 if it does not exist."""
        if version not in self.store.versions():
            raise InvalidInput(f"no classifier version {version!r}; stored: {self.store.versions()}", details={"version": version})
        with self._lock:
            model = self.store.load(version)
            record = self.store.activate(version, actor=actor, reason=reason)
            self._model, self._active, self.model_error = model, version, None
        return model.describe().model_copy(update={"activation": record})

    def describe_active(self) -> ModelDescription:
        """The active model, with who activated it, when and why."""
        model = self.model()
        return model.describe().model_copy(update={"activation": self.store.last_activation(model.version)})

    # -- reporting -----------------------------------------------------------------------------------------
    def checks(self) -> dict[str, CheckResult]:
        checks: dict[str, CheckResult] = {}
        info, loaded = self.encoder_info(), self._encoder is not None
        if info is None or (self._encoder_tried and not loaded):  # not usable (missing files), or the network failed to load
            checks["encoder"] = CheckResult(ok=False, detail=self.encoder_error or "not loaded", info={"loaded": loaded})
        else:
            state = "loaded" if loaded else "not loaded: built on the first image to embed"
            checks["encoder"] = CheckResult(ok=True, detail=f"{info.backend} {info.model_id} ({info.dimension}-d), {state}",
                                            info={**info.model_dump(), "loaded": loaded})
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
        self._refresh()  # /info reports the version this replica serves now, not the one it served last
        info = self.encoder_info()
        encoder = info.model_dump() if info else None
        model = self._model
        models = ([{"backend": "scikit-learn LogisticRegression", "model_id": "document-type-classifier",
                    "version": model.version, "weights_source": f"{self.store.root / model.version} ({model.metadata.get('provenance', '')})"}]
                  if model else [])
        return {
            "models": models + ([encoder] if encoder else []),
            "loaded": encoder is not None and model is not None and not (self._encoder_tried and self._encoder is None),
            "encoder_loaded": self._encoder is not None,  # the network itself (built on the first image)
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
            "encoder_load_seconds": self.encoder_load_seconds,
        }
