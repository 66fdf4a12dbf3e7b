"""Versioned classifier models on disk: models_dir/classifier/<version>/{model.joblib, metadata.json} + `active`.

Each training writes a new directory (never overwriting an old one), then the `active` pointer file is
replaced atomically, so a reader in another process sees either the old or the new version, never half of one.
The pointer is the one record of the active version: replicas sharing the store read it on each request.
"""

import json
import logging
import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression

from iris_common.contract.classification import ActivationRecord, ModelDescription
from ml_classifier.core.estimator import DocumentTypeEstimator

logger = logging.getLogger(__name__)

_VERSION = re.compile(r"^v(\d+)$")
MODEL_FILE = "model.joblib"
METADATA_FILE = "metadata.json"
ACTIVE_FILE = "active"
ACTIVATIONS_FILE = "activations.jsonl"  # one line per activation: version, when, who, why
BASE_SET_FILE = "base_set.npz"


@dataclass(frozen=True)
class ClassifierModel:
    version: str
    estimator: DocumentTypeEstimator
    metadata: dict[str, Any]

    @property
    def classes(self) -> list[str]:
        return self.estimator.classes_

    def describe(self, active: bool = True) -> ModelDescription:
        m = self.metadata
        return ModelDescription(
            version=self.version,
            classes=self.classes,
            training_size=m["training_size"],
            training_total=sum(m["training_size"].values()),
            created_at=datetime.fromisoformat(m["created_at"]),
            encoder=m["encoder"],
            estimator=m["estimator"],
            sklearn_version=m["sklearn_version"],
            provenance=m.get("provenance", ""),
            text_features=m.get("text_features"),
            active=active,
        )


@dataclass(frozen=True)
class BaseSet:
    """The default model's generated pages: embeddings, labels and the words printed on them (None: older sets)."""

    embeddings: np.ndarray
    labels: list[str]
    texts: list[str] | None = None


class ModelStore:
    def __init__(self, models_dir: Path) -> None:
        self.root = Path(models_dir) / "classifier"

    @property
    def active_file(self) -> Path:
        return self.root / ACTIVE_FILE

    def versions(self) -> list[str]:
        if not self.root.is_dir():
            return []
        found = [(int(m.group(1)), p.name) for p in self.root.iterdir() if (m := _VERSION.match(p.name)) and (p / METADATA_FILE).is_file()]
        return [name for _, name in sorted(found)]

    def active_version(self) -> str | None:
        try:
            version = self.active_file.read_text().strip()
        except OSError:
            return None
        return version or None

    def load(self, version: str) -> ClassifierModel:
        folder = self.root / version
        metadata = json.loads((folder / METADATA_FILE).read_text())
        return ClassifierModel(version=version, estimator=_as_estimator(joblib.load(folder / MODEL_FILE)), metadata=metadata)

    def load_active(self) -> ClassifierModel | None:
        version = self.active_version()
        return self.load(version) if version else None

    def _new_folder(self) -> tuple[str, Path]:
        """Claim the next version number; mkdir is atomic, so two concurrent trainings get different versions."""
        self.root.mkdir(parents=True, exist_ok=True)
        existing = [int(m.group(1)) for p in self.root.iterdir() if (m := _VERSION.match(p.name))]
        number = max(existing, default=0) + 1
        while True:
            folder = self.root / f"v{number}"
            try:
                folder.mkdir()
                return folder.name, folder
            except FileExistsError:
                number += 1

    def save(
        self,
        estimator: DocumentTypeEstimator,
        *,
        training_size: dict[str, int],
        encoder: dict[str, Any],
        provenance: str,
        extra: dict[str, Any] | None = None,
        activate: bool = True,
    ) -> ClassifierModel:
        version, folder = self._new_folder()
        joblib.dump(estimator, folder / MODEL_FILE)
        metadata = {
            "version": version,
            "classes": estimator.classes_,
            "training_size": training_size,
            "created_at": datetime.now(timezone.utc).isoformat(),
            "encoder": {k: encoder[k] for k in ("backend", "model_id", "dimension")},
            "estimator": estimator.describe(),
            "text_features": estimator.features_id(),
            "sklearn_version": sklearn.__version__,
            "provenance": provenance,
            **(extra or {}),
        }
        tmp = folder / (METADATA_FILE + ".tmp")
        tmp.write_text(json.dumps(metadata, indent=2))
        os.replace(tmp, folder / METADATA_FILE)  # the metadata file marks the version complete
        if activate:
            self.activate(version, actor="iris", reason=provenance)
        logger.info("stored classifier %s (%s)", version, provenance)
        return ClassifierModel(version=version, estimator=estimator, metadata=metadata)

    def activate(self, version: str, *, actor: str = "iris", reason: str = "") -> ActivationRecord:
        """Point every replica at `version` (the pointer is replaced atomically) and record who, when and why."""
        if not (self.root / version / METADATA_FILE).is_file():
            raise FileNotFoundError(f"no complete classifier version {version} under {self.root}")
        record = ActivationRecord(version=version, activated_at=datetime.now(timezone.utc), actor=actor, reason=reason)
        with (self.root / ACTIVATIONS_FILE).open("a", encoding="utf-8") as log:
            log.write(record.model_dump_json() + "\n")
        tmp = self.root / f".{ACTIVE_FILE}.{os.getpid()}.tmp"
        tmp.write_text(version + "\n")
        os.replace(tmp, self.active_file)
        return record

    def last_activation(self, version: str) -> ActivationRecord | None:
        """The latest recorded activation of `version` (None: activated before the record existed, or never)."""
        try:
            lines = (self.root / ACTIVATIONS_FILE).read_text(encoding="utf-8").splitlines()
        except OSError:
            return None
        for line in reversed(lines):
            try:
                record = ActivationRecord.model_validate_json(line)
            except ValueError:
                continue
            if record.version == version:
                return record
        return None

    def save_base_set(self, base: BaseSet) -> None:
        """The generated training set of the default model, for trainings that extend it with user examples."""
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f".{BASE_SET_FILE}.{os.getpid()}.tmp.npz"
        texts = {"texts": np.asarray(base.texts, dtype=str)} if base.texts is not None else {}
        np.savez_compressed(tmp, embeddings=np.asarray(base.embeddings, dtype=np.float32), labels=np.asarray(base.labels), **texts)
        os.replace(tmp, self.root / BASE_SET_FILE)

    def load_base_set(self) -> BaseSet | None:
        path = self.root / BASE_SET_FILE
        if not path.is_file():
            return None
        with np.load(path) as data:
            texts = [str(t) for t in data["texts"]] if "texts" in data.files else None
            return BaseSet(data["embeddings"], [str(x) for x in data["labels"]], texts)


def _as_estimator(stored: object) -> DocumentTypeEstimator:
    """Versions stored before the text model held a bare LogisticRegression: serve them as image-only."""
    if isinstance(stored, DocumentTypeEstimator):
        return stored
    if isinstance(stored, LogisticRegression):
        estimator = DocumentTypeEstimator(c=float(stored.C), text_weight=0.0)
        estimator.image_model = stored
        return estimator
    raise TypeError(f"unexpected classifier object {type(stored).__name__}")
