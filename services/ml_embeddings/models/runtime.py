"""The ml-embeddings runtime: loads the encoder once at start-up and reports on it."""

import logging
import time
from typing import Any

from iris_common.contract.health import CheckResult
from iris_common.errors import ServiceUnavailable
from iris_common.threads import ComputeSlots
from iris_models.encoders import ImageEncoder, build_encoder
from ml_embeddings.settings import EmbeddingsSettings

logger = logging.getLogger(__name__)


class EncoderRuntime:
    """Holds one ImageEncoder. `load` never raises: a failure is recorded and /health reports it."""

    def __init__(self, settings: EmbeddingsSettings) -> None:
        self.settings = settings
        self.slots = ComputeSlots(settings.compute_slots)  # /embed calls computing at once (iris_common.threads)
        self._encoder: ImageEncoder | None = None
        self.error: str | None = None
        self.load_seconds: float | None = None

    def load(self) -> None:
        started = time.perf_counter()
        try:
            self._encoder = build_encoder(self.settings)
            self.error = None
        except Exception as exc:  # any failure (missing file, bad weights, no network for a tag) -> unhealthy
            self._encoder = None
            self.error = f"{type(exc).__name__}: {exc}"
            logger.error("encoder failed to load: %s", self.error)
        self.load_seconds = round(time.perf_counter() - started, 3)

    @property
    def encoder(self) -> ImageEncoder:
        """The loaded encoder, or SVC001 (retryable: a restart after `iris setup` fixes it)."""
        if self._encoder is None:
            raise ServiceUnavailable(f"the encoder is not loaded: {self.error or 'not started'}")
        return self._encoder

    @property
    def loaded(self) -> bool:
        return self._encoder is not None

    def checks(self) -> dict[str, CheckResult]:
        if self._encoder is None:
            return {"encoder": CheckResult(ok=False, detail=self.error or "not loaded")}
        info = self._encoder.info
        return {"encoder": CheckResult(ok=True, detail=f"{info.backend} {info.model_id} ({info.dimension}-d)", info=info.model_dump())}

    def describe(self) -> dict[str, Any]:
        if self._encoder is None:
            return {"loaded": False, "error": self.error, "backend": None, "model_id": None, "dimension": None, "models": []}
        info = self._encoder.info.model_dump()
        return {"loaded": True, "load_seconds": self.load_seconds, **info, "models": [info]}
