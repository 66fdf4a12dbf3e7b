"""`iris health` probes every replica of a service listed in its *_URL and shows each one's own breaker state."""

import json

from iris_cli.health import probe_all_sync
from iris_cli.main import main
from iris_common.settings import ClientSettings
from tests.service_processes import free_port


def test_health_shows_each_replica_with_its_url_and_breaker_state(tmp_path, monkeypatch, capsys) -> None:
    first, second = (f"http://127.0.0.1:{free_port()}" for _ in range(2))  # nothing listens on either
    monkeypatch.setenv("IRIS_HOME", str(tmp_path))
    monkeypatch.setenv("OCR_EXTRACTOR_URL", f"{first},{second}")
    monkeypatch.setenv("HEALTH_CHECK_TIMEOUT", "1")
    state_file = ClientSettings().breaker_state_file
    state_file.parent.mkdir(parents=True)
    state_file.write_text(json.dumps({"ocr-extractor": {"state": "closed", "replicas": {second: {"state": "open"}}}}))

    probes = [p for p in probe_all_sync("/health") if p.name == "ocr-extractor"]
    assert [(p.url, p.status) for p in probes] == [(first, "down"), (second, "down")]
    assert main(["health", "--json"]) == 1
    rows = {r["url"]: r for r in json.loads(capsys.readouterr().out) if r["service_name"] == "ocr-extractor"}
    assert {url: r["breaker"] for url, r in rows.items()} == {first: "closed", second: "open"}


def test_a_healthy_replica_shows_its_stale_open_breaker_closed() -> None:
    from iris_cli.health import ServiceProbe, breaker_now

    healthy = ServiceProbe("ocr-extractor", "http://127.0.0.1:8004", True, "healthy", 0.01, {"status": "healthy"})
    down = ServiceProbe("ocr-extractor", "http://127.0.0.1:8004", False, "down", 1.0, {}, "ConnectError")
    assert breaker_now("open", healthy) == "closed (healthy now; recorded open)"
    assert breaker_now("open", down) == "open" and breaker_now("closed", healthy) == "closed"
