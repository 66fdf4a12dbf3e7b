"""Session-wide isolation: every test run gets its own IRIS_HOME (results, caches, breaker state, logs), set
before anything imports the flows (their task options read IRIS_HOME at import). The models stay the ones
`iris setup` prepared (IRIS_MODELS_DIR), so the suite does not rebuild them. Outage retries are off
(IRIS_OUTAGE_BUDGET_SECONDS=0) unless a test sets them.

Authentication stays on: the session gets its own IRIS_API_TOKEN and IRIS_ADMIN_TOKEN here, so every TestClient app
and every service process a test starts requires them, and the flow's IrisClient sends the API token as it does in
production; tests send them with the headers of tests/auth.py."""

import os
import secrets
import shutil
import tempfile

import pytest

_home: str | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _home
    from iris_common.settings import ServiceSettings

    os.environ.setdefault("IRIS_MODELS_DIR", str(ServiceSettings().models_dir))
    _home = tempfile.mkdtemp(prefix="iris-test-home-")
    os.environ["IRIS_HOME"] = _home
    # tests that stop a service expect its documents quarantined at once, not after ten minutes of waiting out the
    # outage; the outage retries are tested in tests/flows/test_policies.py and benchmarks/faults.py
    os.environ.setdefault("IRIS_OUTAGE_BUDGET_SECONDS", "0")
    os.environ["IRIS_API_TOKEN"] = "test-api-" + secrets.token_urlsafe(16)
    os.environ["IRIS_ADMIN_TOKEN"] = "test-admin-" + secrets.token_urlsafe(16)
    os.environ.pop("IRIS_AUTH", None)
    # the flow runs the tests start in this process heartbeat as the CLI's do: the zombie automation that tests create
    # (deployments/automations) would take Prefect's default 180 s for a dead run
    from iris_cli.prefect_env import HEARTBEAT_SECONDS

    os.environ.setdefault("PREFECT_FLOWS_HEARTBEAT_FREQUENCY", HEARTBEAT_SECONDS)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _home:
        shutil.rmtree(_home, ignore_errors=True)
