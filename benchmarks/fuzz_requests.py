"""Fuzzed malformed requests over every POST endpoint of the four services (issue 13's "fuzzed inputs: keep the
0-crash result").

600 requests (--count) by default, spread in turn over the nine POST endpoints (image-processor /process;
ml-embeddings /embed, /cluster; ml-classifier /classify, /train, /model/activate; ocr-extractor /ocr, /extract,
/extract_json), each one of: random bytes as the upload, a truncated or corrupted PNG/JPEG (a docgen page cut at a
random byte or with bytes flipped), an empty upload, a text file named .png, no upload at all, form fields of the
wrong type (text for numbers, numbers for flags, JSON that is not a matrix), huge or negative numbers, bad JSON, a
JSON body where multipart is expected and the other way round, missing or extra fields, wrong vector dimensions,
NaN and 1e308. The requests come from a seeded random generator (--seed), so a run can be repeated.

It asserts: 0 crashes (every service still answers /health as healthy afterwards and no request met a refused or
dropped connection), 0 5xx, and every error an envelope with code VAL001 and a 4xx status; it prints the worst
latency, per endpoint and overall. A request that happens to be valid (a truncated JPEG still decodes) may answer
200: counted apart, not an error.

Authentication: every request carries `Authorization: Bearer $IRIS_API_TOKEN` (the admin token for /train and
/model/activate), so what is fuzzed is the input validation behind the auth middleware; when no tokens are in the
environment, session tokens are generated for the services this script starts (tests/service_processes.py
`session_tokens`).

Safety: /train is only sent with `activate=false`, and the services run on a COPY of the models folder, so no
request can change the classifier the rest of the machine serves.

    flock /tmp/iris-cpu.lock .venv/bin/python benchmarks/fuzz_requests.py            # own services (~3 min)
    .venv/bin/python benchmarks/fuzz_requests.py --use-env   # the services *_URL point at (no copy: /train is
                                                               # still activate=false)

`benchmarks/faults.py` runs it as its sixth scenario (`run_fuzz`). Exit status 1 when an assertion failed.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ENDPOINTS = (
    ("image-processor", "/process"),
    ("ml-embeddings", "/embed"),
    ("ml-embeddings", "/cluster"),
    ("ml-classifier", "/classify"),
    ("ml-classifier", "/train"),
    ("ml-classifier", "/model/activate"),
    ("ocr-extractor", "/ocr"),
    ("ocr-extractor", "/extract"),
    ("ocr-extractor", "/extract_json"),
)
MULTIPART = {"/process", "/embed", "/ocr", "/extract_json"}
REQUEST_TIMEOUT = 120.0
NASTY_NUMBERS: tuple[Any, ...] = (-1, 0, -(10**30), 10**30, 1e308, -1e308, 2**63, "NaN", "Infinity", "-0", "1e999", "abc", "",
                                  None, True, [], {})


@dataclass
class Sample:
    pages: list[bytes]  # encoded docgen pages (PNG and JPEG) to truncate and corrupt


@dataclass
class Outcome:
    endpoint: str
    kind: str
    status: int | None
    code: str | None
    seconds: float
    problem: str | None = None


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    unhealthy: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.problem]

    @property
    def crashes(self) -> int:
        return sum(1 for o in self.outcomes if o.status is None) + len(self.unhealthy)

    @property
    def server_errors(self) -> int:
        return sum(1 for o in self.outcomes if o.status is not None and o.status >= 500)

    @property
    def worst(self) -> Outcome | None:
        return max(self.outcomes, key=lambda o: o.seconds, default=None)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.unhealthy

    def summary(self) -> str:
        by_status = Counter(o.status for o in self.outcomes)
        worst = self.worst
        lines = [f"{len(self.outcomes)} malformed requests: statuses {dict(sorted(by_status.items(), key=str))}; "
                 f"crashes {self.crashes}, 5xx {self.server_errors}, errors not VAL001/4xx "
                 f"{sum(1 for o in self.problems if o.status is not None and o.status < 500)}; "
                 f"services healthy afterwards: {'all' if not self.unhealthy else 'NOT ' + ', '.join(self.unhealthy)}"]
        if worst:
            lines.append(f"worst latency {worst.seconds:.2f} s ({worst.endpoint}, {worst.kind}, HTTP {worst.status})")
        per: dict[str, list[float]] = defaultdict(list)
        for o in self.outcomes:
            per[o.endpoint].append(o.seconds)
        lines.append("worst per endpoint: " + ", ".join(f"{e} {max(v):.2f} s" for e, v in per.items()))
        for o in self.problems[:10]:
            lines.append(f"PROBLEM {o.endpoint} {o.kind}: HTTP {o.status} {o.code}: {o.problem}")
        return "\n".join(lines)


def make_sample() -> Sample:
    import cv2

    import docgen

    pages = []
    for kind, seed, ext in (("receipt", 5, ".jpg"), ("invoice", 6, ".png")):
        image = docgen.render(kind, seed=seed).image
        image = cv2.resize(image, None, fx=0.5, fy=0.5)
        ok, buf = cv2.imencode(ext, image)
        if ok:
            pages.append(buf.tobytes())
    return Sample(pages)


# --- malformed bodies ------------------------------------------------------------------------------------------

def bad_file(rng: random.Random, sample: Sample) -> tuple[str, str, bytes, str]:
    """(kind, filename, bytes, content type) of an upload no service should accept as it is."""
    page = rng.choice(sample.pages)
    png = page.startswith(b"\x89PNG")
    name, ctype = ("scan.png", "image/png") if png else ("scan.jpg", "image/jpeg")
    choice = rng.randrange(8)
    if choice == 0:
        return "random bytes", name, rng.randbytes(rng.choice((1, 17, 4096, 65536))), ctype
    if choice == 1:
        return "truncated image", name, page[: rng.randrange(8, max(9, len(page) // 3))], ctype
    if choice == 2:
        body = bytearray(page)
        for _ in range(rng.randrange(5, 200)):
            body[rng.randrange(16, len(body))] = rng.randrange(256)
        return "corrupted image", name, bytes(body), ctype
    if choice == 3:
        return "empty upload", name, b"", ctype
    if choice == 4:
        return "text named .png", "notes.png", b"total 12.50\n" * rng.randrange(1, 500), "image/png"
    if choice == 5:
        return "image header only", name, page[:64], ctype
    if choice == 6:
        return "pdf header, garbage", "doc.pdf", b"%PDF-1.7\n" + rng.randbytes(2048), "application/pdf"
    return "tiff header, garbage", "doc.tif", b"II*\x00" + rng.randbytes(1024), "image/tiff"


def bad_json_text(rng: random.Random) -> str:
    return rng.choice(('{"embedding": [1, 2,', "{'single': 'quotes'}", "[1, 2, 3", "null", "", "{" * 500, "\x00\x01\x02",
                       '{"k": NaN}', '"just a string"', "12345", '{"embeddings": [[1e999]]}', '{"a": 1} trailing'))


def nasty(rng: random.Random) -> Any:
    return rng.choice(NASTY_NUMBERS)


def json_body(path: str, rng: random.Random) -> tuple[str, Any]:
    """(kind, body) of a JSON request with wrong types, missing fields or absurd numbers for `path`."""
    vec = lambda n: [rng.uniform(-1, 1) for _ in range(n)]  # noqa: E731
    choice = rng.randrange(6)
    if path == "/cluster":
        bodies = [("missing embeddings", {"k": 2}), ("k negative", {"embeddings": [vec(8), vec(8)], "k": -3}),
                  ("k huge", {"embeddings": [vec(8), vec(8)], "k": 10**12}),
                  ("ragged vectors", {"embeddings": [vec(8), vec(3)], "k": 1}),
                  ("strings as vectors", {"embeddings": [["a", "b"], ["c", "d"]]}),
                  ("bad factors", {"embeddings": [vec(4), vec(4)], "min_confidence": nasty(rng), "outlier_factor": -1})]
    elif path == "/classify":
        bodies = [("missing embedding", {"text": "total"}), ("wrong dimension", {"embedding": vec(rng.choice((0, 1, 7, 5000)))}),
                  ("embedding not a list", {"embedding": nasty(rng)}), ("text not a string", {"embedding": vec(3), "text": [1, 2]}),
                  ("strings in vector", {"embedding": ["x"] * 16}), ("huge numbers", {"embedding": [1e308] * 9})]
    elif path == "/train":  # never a trainable set, and never activated
        bodies = [("missing labels", {"embeddings": [vec(4)], "activate": False}),
                  ("labels count differs", {"embeddings": [vec(4), vec(4)], "labels": ["a"], "activate": False}),
                  ("wrong dimension", {"embeddings": [vec(3), vec(3)], "labels": ["a", "b"], "activate": False}),
                  ("labels not strings", {"embeddings": [vec(4)], "labels": [nasty(rng)], "activate": False}),
                  ("empty set", {"embeddings": [], "labels": [], "activate": False}),
                  ("activate not a bool", {"embeddings": [vec(2)], "labels": ["a"], "activate": "maybe"})]
    elif path == "/model/activate":
        bodies = [("missing version", {}), ("version not a string", {"version": nasty(rng)}),
                  ("unknown version", {"version": f"v{rng.randrange(10**6, 10**9)}"}), ("path in version", {"version": "../../etc"}),
                  ("empty version", {"version": ""}), ("huge version", {"version": "v" * 100_000})]
    else:  # /extract
        bodies = [("missing pages", {"document_type": "receipt"}), ("pages not a list", {"pages": nasty(rng)}),
                  ("page of garbage", {"pages": [{"lines": "x"}], "document_type": "receipt"}),
                  ("bad document type", {"pages": [], "document_type": nasty(rng)}),
                  ("bad threshold", {"pages": [], "confidence_threshold": nasty(rng)}),
                  ("bad transforms", {"pages": [], "source_transforms": [[1, 2], ["a"]]})]
    return bodies[choice]


def build_request(service: str, path: str, rng: random.Random, sample: Sample) -> tuple[str, dict[str, Any]]:
    """(kind, httpx request keyword arguments) of one malformed request to `path`."""
    roll = rng.random()
    if roll < 0.12:  # bad JSON text, sent as JSON
        return "bad JSON", {"content": bad_json_text(rng).encode(), "headers": {"content-type": "application/json"}}
    if roll < 0.18:  # a body of the wrong media type
        if path in MULTIPART:
            return "JSON instead of multipart", {"json": {"file": "not a file", "page": nasty(rng)}}
        return "multipart instead of JSON", {"files": {"file": ("x.png", rng.randbytes(64), "image/png")}}
    if roll < 0.22:
        return "no body", {}
    if path in MULTIPART:
        kind, name, content, ctype = bad_file(rng, sample)
        data: dict[str, Any] = {}
        if path == "/process" and rng.random() < 0.6:
            data = {"page": str(nasty(rng)), "apply_unwarping": str(nasty(rng)), "enhance_quality": rng.choice(("maybe", "2", ""))}
            kind += " + bad form fields"
        elif path == "/extract_json" and rng.random() < 0.6:
            data = {"document_type": str(nasty(rng)), "confidence_threshold": str(nasty(rng)),
                    "source_transform": rng.choice(("[[1,2],[3]]", "not json", "[[1e308]]", '{"a": 1}')),
                    "ocr": rng.choice(('{"pages": 3}', "[]", "{", '{"lines": [{"text": 5}]}'))}
            kind += " + bad form fields"
        if rng.random() < 0.1:
            return "upload under a wrong field name", {"files": {"upload": (name, content, ctype)}, "data": data}
        if path == "/embed" and rng.random() < 0.3:
            return kind + " (batch)", {"files": [("files", (name, content, ctype)), ("files", ("b.png", b"", "image/png"))],
                                       "data": data}
        return kind, {"files": {"file": (name, content, ctype)}, "data": data}
    if path in ("/classify", "/train") and rng.random() < 0.25:  # their multipart form, malformed
        kind, name, content, ctype = bad_file(rng, sample)
        if path == "/train":  # random bytes only, labels one short: never trainable; activate=false all the same
            files = [("files", ("a.png", rng.randbytes(256), "image/png")), ("files", ("b.png", rng.randbytes(256), "image/png"))]
            return "train multipart, garbage", {"files": files, "data": {"labels": "receipt", "activate": "false"}}
        return "classify multipart: " + kind, {"files": {"file": (name, content, ctype)}, "data": {"text": "x" * rng.randrange(0, 1000)}}
    kind, body = json_body(path, rng)
    return kind, {"json": body}


ADMIN_PATHS = {"/train", "/model/activate"}


def auth_headers(path: str) -> dict[str, str]:
    """The token the flow (or, for a model change, the admin) sends; from the environment or $IRIS_HOME/secrets."""
    from iris_common.settings import TokenSettings

    tokens = TokenSettings()
    token = tokens.admin_token if path in ADMIN_PATHS else tokens.api_token
    return {"Authorization": f"Bearer {token.get_secret_value()}"} if token else {}


def judge(response: httpx.Response) -> tuple[str | None, str | None]:
    """(error code, problem or None). A 2xx is accepted; an error must be a 4xx envelope with code VAL001."""
    code = None
    try:
        payload = response.json()
        error = payload.get("error") if isinstance(payload, dict) else None
        code = error.get("code") if isinstance(error, dict) else None
    except ValueError:
        payload = None
    if response.status_code < 300:
        return code, None
    if response.status_code >= 500:
        return code, f"server error: {response.text[:200]}"
    if code != "VAL001":
        return code, f"a {response.status_code} without VAL001: {response.text[:200]}"
    return code, None


def fuzz(urls: dict[str, str], count: int = 600, seed: int = 13, log: Any = None) -> Report:
    """Send `count` malformed requests in turn over ENDPOINTS, then check every service's /health."""
    rng = random.Random(seed)
    sample = make_sample()
    report = Report()
    with httpx.Client(timeout=REQUEST_TIMEOUT) as client:
        for i in range(count):
            service, path = ENDPOINTS[i % len(ENDPOINTS)]
            kind, request = build_request(service, path, rng, sample)
            started = time.perf_counter()
            try:
                headers = {"X-Request-ID": f"fuzz-{seed}-{i}", **auth_headers(path), **request.pop("headers", {})}
                response = client.post(f"{urls[service]}{path}", headers=headers, **request)
            except httpx.HTTPError as exc:  # refused, reset, timed out: the service crashed or hung
                report.outcomes.append(Outcome(f"{service}{path}", kind, None, None, time.perf_counter() - started,
                                               f"{type(exc).__name__}: {exc}"))
                continue
            code, problem = judge(response)
            report.outcomes.append(Outcome(f"{service}{path}", kind, response.status_code, code, time.perf_counter() - started,
                                           problem))
            if log and (i + 1) % 100 == 0:
                print(f"  fuzz {i + 1}/{count}", file=log, flush=True)
        for service, url in urls.items():
            try:
                status = client.get(f"{url}/health", timeout=10).json().get("status")
            except (httpx.HTTPError, ValueError) as exc:
                status = f"{type(exc).__name__}"
            if status != "healthy":
                report.unhealthy.append(f"{service} ({status})")
    return report


def env_urls() -> dict[str, str]:
    from iris_common.settings import SERVICE_NAMES, ClientSettings

    settings = ClientSettings()
    return {name: settings.urls(name)[0] for name in SERVICE_NAMES}


def copied_models(models: Path, into: Path) -> Path:
    """A copy of the models folder (tens of MB) for services that take fuzzed /train requests."""
    target = into / "models"
    shutil.copytree(models, target, symlinks=True)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=600)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--use-env", action="store_true", help="fuzz the services *_URL point at instead of starting them")
    parser.add_argument("--json", type=Path, default=None, help="write every request's outcome here")
    args = parser.parse_args(argv)
    services: dict[str, Any] = {}
    work = Path(tempfile.mkdtemp(prefix="fuzz-requests-"))
    try:
        if args.use_env:
            urls = env_urls()
        else:
            from iris_common.settings import ServiceSettings
            from tests.service_processes import start_all

            models = ServiceSettings().models_dir
            if not models.is_dir():
                print(f"cannot run: no models under {models} (run .venv/bin/iris setup)")
                return 0
            (work / "logs").mkdir()
            print("starting the four services (on a copy of the models) ...", flush=True)
            services = start_all(work / "logs", {"IRIS_MODELS_DIR": str(copied_models(models, work)),
                                                 "IRIS_HOME": str(work / "home")})
            urls = {name: svc.url for name, svc in services.items()}
        report = fuzz(urls, args.count, args.seed, log=sys.stdout)
    finally:
        for svc in services.values():
            svc.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(report.summary())
    if args.json:
        args.json.write_text(json.dumps([o.__dict__ for o in report.outcomes], indent=1), encoding="utf-8")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
