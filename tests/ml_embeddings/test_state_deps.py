"""iris_common.web.deps.app_state: the one getter behind every service's SettingsDep / RuntimeDep."""

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from iris_common.web.deps import app_state
from ml_embeddings.api import deps


def test_the_services_aliases_read_app_state_through_one_cached_getter() -> None:
    app = FastAPI()
    app.state.settings, app.state.runtime = "the-settings", "the-runtime"

    @app.get("/probe")
    def probe(settings: deps.SettingsDep, runtime: deps.RuntimeDep) -> dict:
        return {"settings": settings, "runtime": runtime}

    assert TestClient(app).get("/probe").json() == {"settings": "the-settings", "runtime": "the-runtime"}
    assert app_state("runtime") is app_state("runtime")  # so dependency_overrides can target it
    assert app_state("runtime").__name__ == "get_runtime"


def test_an_attribute_create_app_does_not_store_is_refused() -> None:
    with pytest.raises(ValueError, match="not 'model'"):
        app_state("model")
