"""Which Prefect API the CLI talks to: $PREFECT_API_URL, else the local server `iris up --prefect` started,
else Prefect's own temporary in-process server."""

import os

from iris_common.settings import IrisHomeSettings

LOCAL_PREFECT_PORT = 4200
LOCAL_PREFECT_API = f"http://127.0.0.1:{LOCAL_PREFECT_PORT}/api"


def local_prefect_env() -> dict[str, str]:
    """Settings of the project-local Prefect server (state under $IRIS_HOME/prefect, no telemetry)."""
    home = IrisHomeSettings().iris_home
    return {
        "PREFECT_HOME": str(home / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_UI_SHOW_PROMOTIONAL_CONTENT": "false",
        "PREFECT_SERVER_API_HOST": "127.0.0.1",
        "PREFECT_SERVER_API_PORT": str(LOCAL_PREFECT_PORT),
    }


def use_local_prefect_if_running() -> str | None:
    """Point this process at the local server when it runs and nothing else is configured; returns the API URL."""
    if os.environ.get("PREFECT_API_URL"):
        return os.environ["PREFECT_API_URL"]
    from iris_cli.local_stack import prefect_server

    if prefect_server(IrisHomeSettings().iris_home).pid() is not None:
        os.environ["PREFECT_API_URL"] = LOCAL_PREFECT_API
        return LOCAL_PREFECT_API
    return None
