"""Parallel health and model checks of all services, for `iris health` and `iris models`."""

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx

from iris_common.settings import SERVICE_NAMES, ClientSettings


@dataclass
class ServiceProbe:
    name: str
    url: str
    ok: bool
    status: str
    seconds: float
    body: dict[str, Any]
    error: str = ""


async def _probe(client: httpx.AsyncClient, name: str, url: str, path: str) -> ServiceProbe:
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        response = await client.get(f"{url}{path}")
        body = response.json()
        status = body.get("status", "ok" if response.is_success else f"HTTP {response.status_code}")
        failure = {} if response.is_success else body.get("error") or {}  # e.g. AUTH001 without a valid token
        error = f"{failure.get('code', '')} {failure.get('message', '')}".strip()
        return ServiceProbe(name, url, response.is_success, status, loop.time() - started, body, error)
    except (httpx.HTTPError, ValueError) as exc:
        return ServiceProbe(name, url, False, "down", loop.time() - started, {}, f"{type(exc).__name__}: {exc}")


async def probe_all(path: str, settings: ClientSettings | None = None) -> list[ServiceProbe]:
    """GET `path` on every replica of every service at once (one probe each, in the order configured); a down
    replica costs at most the health-check timeout."""
    settings = settings or ClientSettings()
    # with the API token: /info needs it, and /health includes its request metrics only for an authenticated caller
    async with httpx.AsyncClient(timeout=settings.health_check_timeout, headers=settings.authorization()) as client:
        return list(await asyncio.gather(*(_probe(client, n, url, path) for n in SERVICE_NAMES for url in settings.urls(n))))


def probe_all_sync(path: str, settings: ClientSettings | None = None) -> list[ServiceProbe]:
    return asyncio.run(probe_all(path, settings))


def breaker_now(recorded: str, probe: ServiceProbe) -> str:
    """The breaker state to show: as the last pipeline run recorded it, unless the replica answers healthy now, which
    is what the breaker's half-open probe would find: a stale `open` then shows closed, saying what was recorded."""
    if recorded != "closed" and probe.status == "healthy":
        return f"closed (healthy now; recorded {recorded})"
    return recorded


def unreachable_services(probes: list[ServiceProbe]) -> list[ServiceProbe]:
    """One probe per service none of whose replicas answered at all (connection refused, timed out). A batch started
    now would not fail: each document would wait out its phase's outage budget (IRIS_OUTAGE_BUDGET_SECONDS) first."""
    answered = {p.name for p in probes if p.status != "down"}
    missing: dict[str, ServiceProbe] = {}
    for probe in probes:
        if probe.name not in answered:
            missing.setdefault(probe.name, probe)
    return list(missing.values())
