"""The flow process's one `IrisClient` (long-lived, shared by every task run in this process)."""

from typing import Any

from iris_common.client import IrisClient
from iris_common.settings import ClientSettings


def iris_client() -> IrisClient:
    return IrisClient.shared(breaker_state_file=ClientSettings().breaker_state_file)


async def call_phase(service: str, path: str, *, request_id: str, **request: Any) -> dict[str, Any]:
    """POST to a phase endpoint; returns what a phase task returns: data, service time, warnings."""
    envelope = await iris_client().call(service, "POST", path, request_id=request_id, **request)
    return {"data": envelope["data"], "processing_time": envelope["processing_time"], "warnings": envelope["warnings"]}
