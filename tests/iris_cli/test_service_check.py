"""`iris batch` / `iris process` with a service that does not answer stop at once and say which one and how to start
it, instead of letting every document wait out its phase's outage budget (IRIS_OUTAGE_BUDGET_SECONDS, 10 minutes)."""

import time

from iris_cli.health import ServiceProbe, unreachable_services
from iris_cli.main import main
from tests.service_processes import free_port


def test_batch_stops_before_its_flow_when_a_service_is_not_reachable(tmp_path, monkeypatch, capsys) -> None:
    silent = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    monkeypatch.setenv("IRIS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("OCR_EXTRACTOR_URL", silent)
    monkeypatch.setenv("HEALTH_CHECK_TIMEOUT", "1")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "page.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    outbox = tmp_path / "out"

    started = time.monotonic()
    assert main(["batch", str(inbox), "--out", str(outbox)]) == 1
    assert time.monotonic() - started < 30
    err = capsys.readouterr().err
    assert f"ocr-extractor is not reachable at {silent}" in err and "iris up" in err
    assert not outbox.exists()  # nothing started, nothing half-written

    assert main(["process", str(inbox / "page.png")]) == 1
    assert f"ocr-extractor is not reachable at {silent}" in capsys.readouterr().err


def test_a_service_is_reachable_if_any_replica_answers() -> None:
    def probe(name: str, url: str, status: str) -> ServiceProbe:
        return ServiceProbe(name, url, status != "down", status, 0.1, {})

    probes = [probe("ocr-extractor", "http://a", "down"), probe("ocr-extractor", "http://b", "healthy"),
              probe("ml-classifier", "http://c", "down"), probe("ml-classifier", "http://d", "down"),
              probe("ml-embeddings", "http://e", "unhealthy")]  # answers: it is running, the flow's errors will say why
    assert [(p.name, p.url) for p in unreachable_services(probes)] == [("ml-classifier", "http://c")]
