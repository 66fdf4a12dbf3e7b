"""Session-wide isolation: every test run gets its own IRIS_HOME (results, caches, breaker state, logs), set
before anything imports the flows (their task options read IRIS_HOME at import). The models stay the ones
`iris setup` prepared (IRIS_MODELS_DIR), so the suite does not rebuild them. Outage retries are off
(IRIS_OUTAGE_BUDGET_SECONDS=0) unless a test sets them."""

import os
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


def pytest_unconfigure(config: pytest.Config) -> None:
    if _home:
        shutil.rmtree(_home, ignore_errors=True)
