"""Which Prefect API the CLI talks to: $PREFECT_API_URL, else the local server `iris up --prefect` started,
else Prefect's own temporary in-process server."""

import os

from iris_common.settings import IrisHomeSettings

LOCAL_PREFECT_PORT = 4200
LOCAL_PREFECT_API = f"http://127.0.0.1:{LOCAL_PREFECT_PORT}/api"
# a run on a lasting server sends a heartbeat this often, so that if its process dies the server's zombie
# automation (`iris up --prefect`, `iris deploy`) marks it Crashed instead of Running for ever
HEARTBEAT_SECONDS = "30"
TEMPORARY_SERVER_STARTUP_SECONDS = "120"


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
    """Point this process at the local server when it runs and nothing else is configured; returns the API URL.
    Runs on a lasting server send heartbeats (not on Prefect's temporary one, which ends with this process)."""
    if not os.environ.get("PREFECT_API_URL"):
        from iris_cli.local_stack import prefect_server

        if prefect_server(IrisHomeSettings().iris_home).pid() is None:
            # Prefect's temporary server: on 2 busy cores it can take longer than its default 20 s to come up
            # (`iris batch` failed with "Timed out while attempting to connect to ephemeral Prefect API server")
            os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", TEMPORARY_SERVER_STARTUP_SECONDS)
            os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
            return None
        os.environ["PREFECT_API_URL"] = LOCAL_PREFECT_API
    os.environ.setdefault("PREFECT_FLOWS_HEARTBEAT_FREQUENCY", HEARTBEAT_SECONDS)
    return os.environ["PREFECT_API_URL"]
