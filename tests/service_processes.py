"""Running the real services as local processes for tests (the same command `iris up` uses)."""

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from iris_common.settings import SERVICE_NAMES


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ServiceProcess:
    name: str
    port: int
    log: Path
    env: Mapping[str, str | None]  # on top of this process's environment; None removes a variable
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env_var(self) -> str:
        return self.name.replace("-", "_").upper() + "_URL"

    def start(self) -> None:
        package = self.name.replace("-", "_")
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "--factory", f"{package}.main:build_app", "--host", "127.0.0.1",
                 "--port", str(self.port), "--no-access-log"],
                stdout=out, stderr=subprocess.STDOUT,
                env={k: v for k, v in {**os.environ, **self.env}.items() if v is not None})

    @contextmanager
    def running(self, timeout: float) -> Iterator["ServiceProcess"]:
        """Start, wait until healthy, and always stop on the way out (also when it never became healthy)."""
        self.start()
        try:
            self.wait_healthy(timeout)
            yield self
        finally:
            self.stop()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc and self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; log:\n{self.log.read_text()[-3000:]}")
            try:
                status = httpx.get(f"{self.url}/health", timeout=2).json()["status"]
                if status == "healthy":
                    return
                if status == "unhealthy":
                    raise RuntimeError(f"{self.name} is unhealthy: {httpx.get(f'{self.url}/health').json()['checks']}")
            except (httpx.HTTPError, KeyError, ValueError):
                pass
            time.sleep(0.5)
        raise TimeoutError(f"{self.name} not healthy after {timeout}s; log:\n{self.log.read_text()[-3000:]}")


def session_tokens() -> None:
    """IRIS_API_TOKEN and IRIS_ADMIN_TOKEN in this process's environment, generated unless set already: the services
    require them and a temporary IRIS_HOME has no secrets/; the batches, workers and clients this process starts
    read them from the environment."""
    for name in ("IRIS_API_TOKEN", "IRIS_ADMIN_TOKEN"):
        os.environ.setdefault(name, secrets.token_urlsafe(32))


def start_all(log_dir: Path, env: dict[str, str], timeout: float = 240.0) -> dict[str, ServiceProcess]:
    """The four services on free ports, healthy, with this process's session tokens (`session_tokens`)."""
    session_tokens()
    services = {name: ServiceProcess(name, free_port(), log_dir / f"{name}.log", env) for name in SERVICE_NAMES}
    for svc in services.values():
        svc.start()
    try:
        for svc in services.values():
            svc.wait_healthy(timeout)
    except BaseException:
        for svc in services.values():
            svc.stop()
        raise
    return services
