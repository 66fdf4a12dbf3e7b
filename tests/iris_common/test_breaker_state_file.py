"""The breaker state file (what `iris health` shows) is shared by every flow-run process of a machine: writers that
change it at the same moment keep each other's updates and never leave it unreadable."""

import multiprocessing

from iris_common.client import BreakerState, IrisClient
from iris_common.client.iris_client import read_breaker_states
from iris_common.settings import SERVICE_NAMES, ClientSettings

CHANGES = 60


def _record_changes(path: str, service: str) -> None:
    """One process's breaker of `service` flipping CHANGES times, ending open."""
    from pathlib import Path

    client = IrisClient(ClientSettings(), breaker_state_file=Path(path))
    replicas = client.replicas[service]
    url = replicas.replicas[0].url
    for i in range(CHANGES):
        old, new = (BreakerState.CLOSED, BreakerState.OPEN) if i % 2 == 0 else (BreakerState.OPEN, BreakerState.CLOSED)
        if i == CHANGES - 1:
            old, new = BreakerState.CLOSED, BreakerState.OPEN
        client._breaker_changed(replicas, url, old, new)


def test_processes_recording_at_once_keep_every_update(tmp_path) -> None:
    path = tmp_path / "breakers.json"
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_record_changes, args=(str(path), service)) for service in SERVICE_NAMES]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    states = read_breaker_states(path)
    assert set(states) == set(SERVICE_NAMES)  # none lost to another writer's stale read, the file parses
    for service in SERVICE_NAMES:
        (replica,) = states[service]["replicas"].values()
        assert replica["state"] == "open", service  # each process's last change
    assert sorted(p.name for p in tmp_path.iterdir()) == ["breakers.json", "breakers.json.lock"]  # no temporary left
