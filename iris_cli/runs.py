"""Reading pipeline history back from the Prefect API: recent runs and the logs of the phase that failed."""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from prefect import get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterId,
    FlowRunFilterParentFlowRunId,
    FlowRunFilterState,
    FlowRunFilterStateType,
    LogFilter,
    LogFilterTaskRunId,
    TaskRunFilter,
    TaskRunFilterState,
    TaskRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.client.schemas.sorting import FlowRunSort, LogSort

FAILED_TYPES = [StateType.FAILED, StateType.CRASHED]


@dataclass
class FailedPhase:
    flow_run_id: UUID
    flow_run_name: str
    task_run_id: UUID
    phase: str
    state_name: str
    message: str
    logs: list[dict[str, Any]]


async def recent_runs(limit: int = 20) -> list[dict[str, Any]]:
    """Newest flow runs with state, duration and the phases that failed: a failed document's, or in a batch (which
    completes when its ledger balances) those of its documents, whose tasks run in the batch's run."""
    async with get_client() as client:
        started = FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(not_any_=[StateType.SCHEDULED])))
        runs = await client.read_flow_runs(flow_run_filter=started, sort=FlowRunSort.START_TIME_DESC, limit=limit)
        rows = []
        for run in runs:
            state = run.state
            failed = await _failed_task_runs(client, run.id) if state and state.is_final() else []
            rows.append({
                "id": str(run.id), "name": run.name, "state": state.name if state else "-",
                "started": run.start_time.isoformat(timespec="seconds") if run.start_time else "-",
                "duration_s": round(run.total_run_time.total_seconds(), 1) if run.total_run_time else 0.0,
                "failed_phase": ", ".join(sorted({t.name.split("-")[0] for t in failed})) or "-",
            })
        return rows


async def _failed_task_runs(client: Any, flow_run_id: UUID) -> list[Any]:
    """Failed task runs of this flow run and of its sub-runs."""
    ids = [flow_run_id] + [r.id for r in await client.read_flow_runs(
        flow_run_filter=FlowRunFilter(parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[flow_run_id])))]
    return await client.read_task_runs(
        flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=ids)),
        task_run_filter=TaskRunFilter(state=TaskRunFilterState(type=TaskRunFilterStateType(any_=FAILED_TYPES))),
    )


async def failed_phase_logs(flow_run_id: UUID) -> list[FailedPhase]:
    """Every failed phase of a run, with its full logs (the service's error details are in them)."""
    async with get_client() as client:
        run = await client.read_flow_run(flow_run_id)
        phases = []
        for task_run in await _failed_task_runs(client, flow_run_id):
            logs = await client.read_logs(LogFilter(task_run_id=LogFilterTaskRunId(any_=[task_run.id])), sort=LogSort.TIMESTAMP_ASC)
            phases.append(FailedPhase(
                flow_run_id=task_run.flow_run_id or flow_run_id, flow_run_name=run.name, task_run_id=task_run.id,
                phase=task_run.name, state_name=task_run.state.name if task_run.state else "-",
                message=task_run.state.message if task_run.state else "",
                logs=[{"time": log.timestamp.isoformat(timespec="milliseconds"), "level": log.level, "message": log.message}
                      for log in logs],
            ))
        return phases
