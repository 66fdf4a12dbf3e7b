"""The flow process's one `IrisClient` (long-lived, shared by every task run in this process)."""

import json
from typing import Any

from prefect import get_run_logger

from iris_common.client import IrisClient, ServiceCallError
from iris_common.settings import ClientSettings


def iris_client() -> IrisClient:
    return IrisClient.shared(breaker_state_file=ClientSettings().breaker_state_file)


async def call_phase(service: str, path: str, *, request_id: str, **request: Any) -> dict[str, Any]:
    """POST to a phase endpoint; returns what a phase task returns: data, service time, warnings."""
    try:
        envelope = await iris_client().call(service, "POST", path, request_id=request_id, **request)
    except ServiceCallError as exc:
        # the phase's own log keeps the service's error (code, details) next to the request id
        get_run_logger().error("%s %s failed: %s %s details=%s retryable=%s http=%s request_id=%s", service, path, exc.code.value,
                               exc.message, json.dumps(exc.details, default=str)[:2000], exc.retryable, exc.status_code, request_id)
        raise
    return {"data": envelope["data"], "processing_time": envelope["processing_time"], "warnings": envelope["warnings"]}
