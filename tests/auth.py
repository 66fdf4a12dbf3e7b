"""The bearer tokens of a test session (tests/conftest.py puts them in the environment before anything is built,
so every app and service process a test starts requires them) and the headers a test sends with them."""

import os


def api_headers() -> dict[str, str]:
    """What the flow and the CLI send: IRIS_API_TOKEN."""
    return {"Authorization": f"Bearer {os.environ['IRIS_API_TOKEN']}"}


def admin_headers() -> dict[str, str]:
    """What a model change (ml-classifier's /train, /model/activate) needs: IRIS_ADMIN_TOKEN."""
    return {"Authorization": f"Bearer {os.environ['IRIS_ADMIN_TOKEN']}"}
