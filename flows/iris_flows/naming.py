"""Flow-run names that say which document or folder a run is about (what the UI's run list shows)."""

from collections.abc import Callable
from pathlib import Path

from prefect.context import get_run_context


def named_after(prefix: str, parameter: str) -> Callable[[], str]:
    """`flow_run_name` callable: `<prefix>-<file or folder name of that parameter>`."""

    def run_name() -> str:
        parameters = get_run_context().flow_run.parameters  # type: ignore[union-attr]
        return f"{prefix}-{Path(str(parameters.get(parameter, prefix))).name}"

    return run_name
