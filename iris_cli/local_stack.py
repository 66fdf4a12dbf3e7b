"""Running the four services as background processes on this machine (no Docker engine needed).

Each service runs as `python -m uvicorn --factory <package>.main:build_app`; its pid goes to
`$IRIS_HOME/run/<service>.pid` and its output to `$IRIS_HOME/logs/<service>.log`.
"""

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import httpx

from iris_common.settings import SERVICE_NAMES, ClientSettings


@dataclass(frozen=True)
class LocalService:
    name: str
    url: str
    home: Path

    @property
    def package(self) -> str:
        return self.name.replace("-", "_")

    @property
    def pid_file(self) -> Path:
        return self.home / "run" / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return self.home / "logs" / f"{self.name}.log"

    @property
    def health_url(self) -> str:
        return f"{self.url}/api/health" if self.name == "prefect-server" else f"{self.url}/health"

    def status_from(self, response: httpx.Response) -> str:
        """healthy/degraded/unhealthy from an IRIS /health body; Prefect's /api/health only says 200 OK."""
        if self.name == "prefect-server":
            return "healthy" if response.is_success else f"HTTP {response.status_code}"
        return response.json().get("status", "unknown")

    def pid(self) -> int | None:
        """The recorded pid if that process is still alive."""
        try:
            pid = int(self.pid_file.read_text().strip())
            os.kill(pid, 0)
            return pid
        except (FileNotFoundError, ValueError, ProcessLookupError, PermissionError):
            return None


def local_services(home: Path, settings: ClientSettings | None = None) -> list[LocalService]:
    settings = settings or ClientSettings()
    return [LocalService(name, settings.url(name), home) for name in SERVICE_NAMES]


def prefect_server(home: Path) -> LocalService:
    """The local Prefect server (`prefect server start`), managed like the services."""
    from iris_cli.prefect_env import LOCAL_PREFECT_PORT

    return LocalService("prefect-server", f"http://127.0.0.1:{LOCAL_PREFECT_PORT}", home)


def command_for(service: LocalService) -> list[str]:
    parsed = urlparse(service.url)
    if parsed.hostname not in ("127.0.0.1", "localhost"):
        raise ValueError(f"{service.name} is configured at {service.url}, not on this machine; `iris up` starts local services only")
    if service.name == "prefect-server":
        return [sys.executable, "-m", "prefect", "server", "start", "--host", parsed.hostname, "--port", str(parsed.port)]
    return [sys.executable, "-m", "uvicorn", "--factory", f"{service.package}.main:build_app",
            "--host", parsed.hostname, "--port", str(parsed.port), "--no-access-log"]


def start(service: LocalService, env: dict[str, str] | None = None) -> int:
    """Start the service unless it already runs; returns its pid."""
    if (pid := service.pid()) is not None:
        return pid
    cmd = command_for(service)
    service.pid_file.parent.mkdir(parents=True, exist_ok=True)
    service.log_file.parent.mkdir(parents=True, exist_ok=True)
    with service.log_file.open("ab") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env={**os.environ, **(env or {})}, start_new_session=True)
    service.pid_file.write_text(str(proc.pid))
    return proc.pid


def stop(service: LocalService, timeout: float = 15.0) -> bool:
    """SIGTERM, then SIGKILL after `timeout`; returns whether a process was running."""
    pid = service.pid()
    if pid is None:
        service.pid_file.unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and service.pid() is not None:
        try:  # reap it if it is our child, so it does not linger as a zombie
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.2)
    if service.pid() is not None:
        os.kill(pid, signal.SIGKILL)
    service.pid_file.unlink(missing_ok=True)
    return True


def wait_until_up(services: list[LocalService], timeout: float) -> dict[str, str]:
    """Poll /health until every service answers (any status) or `timeout`; returns name -> status."""
    status: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            for svc in services:
                if status.get(svc.name) in ("healthy", "degraded", "unhealthy"):
                    continue
                if svc.pid() is None and svc.pid_file.exists():
                    status[svc.name] = "exited"
                    continue
                try:
                    status[svc.name] = svc.status_from(client.get(svc.health_url))
                except (httpx.HTTPError, ValueError):
                    status[svc.name] = "starting"
            if all(s in ("healthy", "degraded", "unhealthy", "exited") for s in status.values()) and len(status) == len(services):
                break
            time.sleep(0.5)
    return status
