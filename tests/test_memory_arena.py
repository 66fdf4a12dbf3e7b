"""IRIS_CPU_MEM_ARENA reaches every onnxruntime session of the services (off by default: an arena keeps the largest
working set a session has needed, so a long batch's RSS climbs in steps; iris_common.settings has the figures)."""

import pytest

from image_processor.models.runtime import ImageProcessorRuntime
from image_processor.settings import ImageProcessorSettings
from iris_models.encoders.efficientnet_lite0 import prepare
from iris_models.encoders.networks import build_encoder
from ml_embeddings.settings import EmbeddingsSettings
from tests.encoder_settings import offline_encoder_settings


def _arena(session: object) -> bool:
    return session.get_session_options().enable_cpu_mem_arena  # type: ignore[attr-defined]


@pytest.mark.parametrize("arena", [False, True])
def test_the_page_encoder_session_follows_the_setting(tmp_path_factory: pytest.TempPathFactory, arena: bool) -> None:
    models = tmp_path_factory.getbasetemp() / "iris-models"  # the ml-embeddings tests' models dir (prepare is idempotent)
    prepare(models)
    overrides = {} if not arena else {"IRIS_CPU_MEM_ARENA": True}
    encoder = build_encoder(offline_encoder_settings(EmbeddingsSettings, models, **overrides))
    assert _arena(encoder.base._session) is arena  # type: ignore[attr-defined]


@pytest.mark.parametrize("arena", [False, True])
def test_the_orientation_reader_session_follows_the_setting(arena: bool) -> None:
    settings = ImageProcessorSettings(IRIS_CPU_MEM_ARENA=arena)  # type: ignore[call-arg]
    runtime = ImageProcessorRuntime(settings.cpu_threads, settings.models_dir, mem_arena=settings.cpu_mem_arena)
    runtime.load()
    if runtime.reader is None:
        pytest.skip(f"orientation model missing ({runtime.reader_error}); run `iris setup`")
    assert _arena(runtime.reader._session) is arena


def test_off_by_default() -> None:
    assert ImageProcessorSettings().cpu_mem_arena is False and EmbeddingsSettings().cpu_mem_arena is False
