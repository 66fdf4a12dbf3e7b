"""Settings read once from the environment (names from the original IRIS design).

`ServiceSettings` is what a service needs to serve; `ClientSettings` is what a caller (the CLI, the flow)
needs to reach the four services. Services subclass `ServiceSettings` for their own knobs. Both read the bearer
tokens (`TokenSettings`): IRIS_API_TOKEN / IRIS_ADMIN_TOKEN, else the files `iris setup` writes under
$IRIS_HOME/secrets.
"""

import hmac
import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from iris_common.contract.embeddings import DEFAULT_EMBED_MAX_BATCH
from iris_common.threads import compute_slots, documents_in_flight

SERVICE_NAMES = ("image-processor", "ml-embeddings", "ml-classifier", "ocr-extractor")
DEFAULT_PORTS = {"image-processor": 8001, "ml-embeddings": 8002, "ml-classifier": 8003, "ocr-extractor": 8004}


def split_urls(value: str) -> list[str]:
    """Split a *_URL setting: 'http://a:8004/, http://b:8004' -> ['http://a:8004', 'http://b:8004']."""
    return [url.strip().rstrip("/") for url in value.split(",") if url.strip()]


def default_iris_home() -> Path:
    return Path.home() / ".iris"


class IrisHomeSettings(BaseSettings):
    """IRIS_HOME: where models, logs, pid files, results and client state live (default ~/.iris)."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", protected_namespaces=())

    iris_home: Path = Field(default_factory=default_iris_home, alias="IRIS_HOME")

    @property
    def state_dir(self) -> Path:
        return self.iris_home / "state"


# the token files under $IRIS_HOME/secrets (0600), written by `iris setup` when missing; the env var wins over the file
TOKEN_FILES = {"api_token": "api-token", "admin_token": "admin-token"}
TOKEN_VARIABLES = {"api_token": "IRIS_API_TOKEN", "admin_token": "IRIS_ADMIN_TOKEN"}
PLACEHOLDER_PREFIX = "REPLACE-"  # the values of the Kubernetes Secret template, refused as tokens


class TokenSettings(IrisHomeSettings):
    """The bearer tokens. IRIS_API_TOKEN: every caller of a service (the flow, the CLI); IRIS_ADMIN_TOKEN: model
    changes (ml-classifier's /train and /model/activate). Each comes from its env var, else from
    $IRIS_HOME/secrets/<api-token|admin-token>. IRIS_AUTH=off serves without authentication (explicitly only)."""

    api_token: SecretStr | None = Field(default=None, alias="IRIS_API_TOKEN")
    admin_token: SecretStr | None = Field(default=None, alias="IRIS_ADMIN_TOKEN")
    auth: Literal["on", "off"] = Field(default="on", alias="IRIS_AUTH")

    @field_validator("api_token", "admin_token", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _tokens_from_files(self) -> "TokenSettings":
        for name, file_name in TOKEN_FILES.items():
            if getattr(self, name) is None and (token := _read_token(self.secrets_dir / file_name)):
                setattr(self, name, SecretStr(token))
        return self

    @property
    def secrets_dir(self) -> Path:
        return self.iris_home / "secrets"

    @property
    def auth_enabled(self) -> bool:
        return self.auth == "on"

    def authorization(self, *, admin: bool = False) -> dict[str, str]:
        """The Authorization header a caller sends: the API token (the admin token with `admin`); {} when unset."""
        token = self.admin_token if admin else self.api_token
        return {"Authorization": f"Bearer {token.get_secret_value()}"} if token is not None else {}

    def auth_problem(self, *, needs_admin: bool = True) -> str | None:
        """Why a service may not start with these settings (None: it may): a token it needs is missing, or the two
        are the same. A service without admin routes (`needs_admin=False`) needs only IRIS_API_TOKEN."""
        if not self.auth_enabled:
            return None
        needed = [n for n in TOKEN_FILES if needs_admin or n == "api_token"]
        missing = [TOKEN_VARIABLES[n] for n in needed if getattr(self, n) is None]
        if missing:
            files = " and ".join(str(self.secrets_dir / TOKEN_FILES[n]) for n in needed)
            return (f"authentication is on and {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set: "
                    f"set {' and '.join(TOKEN_VARIABLES[n] for n in needed)}, or run `iris setup` (it writes {files}), "
                    "or set IRIS_AUTH=off to serve without authentication")
        placeholders = [TOKEN_VARIABLES[n] for n in needed
                        if (t := getattr(self, n)) is not None and t.get_secret_value().startswith(PLACEHOLDER_PREFIX)]
        if placeholders:
            return (f"{' and '.join(placeholders)} still {'holds' if len(placeholders) == 1 else 'hold'} the placeholder of deployments/kubernetes/"
                    "tokens-secret.yaml.template: put a real token in (secrets.token_urlsafe(32))")
        if self.api_token is not None and self.admin_token is not None and hmac.compare_digest(
                self.api_token.get_secret_value().encode(), self.admin_token.get_secret_value().encode()):
            return "IRIS_API_TOKEN and IRIS_ADMIN_TOKEN are the same token: the admin token must differ"
        return None


def _read_token(path: Path) -> str | None:
    try:
        return path.read_text().strip() or None
    except (FileNotFoundError, NotADirectoryError):
        return None


def ensure_token_files(secrets_dir: Path) -> dict[str, str]:
    """Write a new random token (secrets.token_urlsafe(32)) to each missing token file, readable by its owner only
    (the folder 0700, the files 0600); an existing file is kept. Returns file name -> "created" | "kept"."""
    secrets_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(secrets_dir, 0o700)
    done = {}
    for file_name in TOKEN_FILES.values():
        path = secrets_dir / file_name
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            done[file_name] = "kept"
            continue
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(32) + "\n")
        done[file_name] = "created"
    return done


class ServiceSettings(TokenSettings):
    """Common knobs of every service. Env vars are unprefixed, as in the original design."""

    models_dir_override: Path | None = Field(default=None, alias="IRIS_MODELS_DIR")
    max_file_size_mb: float = Field(default=25.0, gt=0, alias="MAX_FILE_SIZE_MB")
    max_image_pixels: int = Field(default=60_000_000, gt=0, alias="MAX_IMAGE_PIXELS")
    min_image_side: int = Field(default=32, ge=1, alias="MIN_IMAGE_SIDE")
    max_pdf_pages: int = Field(default=20, ge=1, alias="MAX_PDF_PAGES")
    enable_metrics: bool = Field(default=True, alias="ENABLE_METRICS")
    enable_request_tracking: bool = Field(default=True, alias="ENABLE_REQUEST_TRACKING")
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")
    log_format: str = Field(default="json", alias="LOG_FORMAT", pattern="^(json|text)$")
    # threads per model call; the service runs cores // this many calls at once (iris_common.threads)
    cpu_threads: int = Field(default=1, ge=1, alias="IRIS_CPU_THREADS")
    # onnxruntime's CPU memory arena (every session of the services: OCR, orientation reader, page encoder) keeps the
    # largest working set a session has ever needed, so RSS climbs in steps with larger inputs and stays there.
    # Off (benchmarks/long_batch_memory.py, document 100 to 1,000): ocr-extractor +19 % -> +6 %; ml-embeddings
    # 831 -> 478 MB and +12.8 % -> +0.7 % (README); two OCR engines read 69.6 instead of 72.3 receipts/min
    cpu_mem_arena: bool = Field(default=False, alias="IRIS_CPU_MEM_ARENA")

    @property
    def compute_slots(self) -> int:
        return compute_slots(self.cpu_threads)

    @property
    def models_dir(self) -> Path:
        return self.models_dir_override or self.iris_home / "models"

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_size_mb * 1024 * 1024)


class ClientSettings(TokenSettings):
    """Where the services are and how patiently to call them (per-service timeouts, retries, breaker).

    Each *_URL is one base URL or a comma-separated list of replicas of that service
    ("http://a:8004,http://b:8004"); `IrisClient` spreads its calls over them (`iris_common.client.replicas`).
    """

    image_processor_url: str = Field(default="http://127.0.0.1:8001", alias="IMAGE_PROCESSOR_URL")
    ml_embeddings_url: str = Field(default="http://127.0.0.1:8002", alias="ML_EMBEDDINGS_URL")
    ml_classifier_url: str = Field(default="http://127.0.0.1:8003", alias="ML_CLASSIFIER_URL")
    ocr_extractor_url: str = Field(default="http://127.0.0.1:8004", alias="OCR_EXTRACTOR_URL")

    image_processor_timeout: float = Field(default=30.0, gt=0, alias="IMAGE_PROCESSOR_TIMEOUT")
    ml_embeddings_timeout: float = Field(default=30.0, gt=0, alias="ML_EMBEDDINGS_TIMEOUT")
    ml_classifier_timeout: float = Field(default=30.0, gt=0, alias="ML_CLASSIFIER_TIMEOUT")
    ocr_extractor_timeout: float = Field(default=120.0, gt=0, alias="OCR_EXTRACTOR_TIMEOUT")

    image_processor_max_retries: int = Field(default=3, ge=0, alias="IMAGE_PROCESSOR_MAX_RETRIES")
    ml_embeddings_max_retries: int = Field(default=3, ge=0, alias="ML_EMBEDDINGS_MAX_RETRIES")
    ml_classifier_max_retries: int = Field(default=3, ge=0, alias="ML_CLASSIFIER_MAX_RETRIES")
    ocr_extractor_max_retries: int = Field(default=2, ge=0, alias="OCR_EXTRACTOR_MAX_RETRIES")

    circuit_breaker_failure_threshold: int = Field(default=5, ge=1, alias="CIRCUIT_BREAKER_FAILURE_THRESHOLD")
    circuit_breaker_recovery_timeout: float = Field(default=30.0, gt=0, alias="CIRCUIT_BREAKER_RECOVERY_TIMEOUT")
    # how long a document's phase waits out an unavailable service (SVC001, an open breaker) before the document is
    # quarantined: retried once per recovery period (iris_flows.policies.outage_delays); 0: no outage retries
    outage_budget_seconds: float = Field(default=600.0, ge=0, alias="IRIS_OUTAGE_BUDGET_SECONDS")
    max_connections: int = Field(default=20, ge=1, alias="MAX_CONNECTIONS")
    max_keepalive_connections: int = Field(default=10, ge=0, alias="MAX_KEEPALIVE_CONNECTIONS")
    health_check_timeout: float = Field(default=5.0, gt=0, alias="HEALTH_CHECK_TIMEOUT")
    # pages per /embed request in a batch run (0: one request per document, as `process_document` alone does)
    embed_batch_size: int = Field(default=16, ge=0, le=DEFAULT_EMBED_MAX_BATCH, alias="EMBED_BATCH_SIZE")
    # documents a batch keeps in flight; 0: two per core (iris_common.threads)
    concurrency: int = Field(default=0, ge=0, alias="IRIS_CONCURRENCY")

    @field_validator("image_processor_url", "ml_embeddings_url", "ml_classifier_url", "ocr_extractor_url")
    @classmethod
    def _replica_list(cls, value: str) -> str:
        if not split_urls(value):
            raise ValueError("expected a base URL or a comma-separated list of them")
        return value

    @model_validator(mode="after")
    def _documents_in_flight(self) -> "ClientSettings":
        if self.concurrency == 0:
            self.concurrency = documents_in_flight()
        return self

    @property
    def breaker_state_file(self) -> Path:
        return self.state_dir / "breakers.json"

    def _key(self, service: str) -> str:
        if service not in SERVICE_NAMES:
            raise KeyError(f"unknown service {service!r}; expected one of {SERVICE_NAMES}")
        return service.replace("-", "_")

    def urls(self, service: str) -> list[str]:
        """The base URLs of the service's replicas, in the order configured (one, usually)."""
        return split_urls(getattr(self, f"{self._key(service)}_url"))

    def url(self, service: str) -> str:
        """The first replica: what `iris up` starts locally and what tools that talk to one instance use."""
        return self.urls(service)[0]

    def timeout(self, service: str) -> float:
        return getattr(self, f"{self._key(service)}_timeout")

    def max_retries(self, service: str) -> int:
        return getattr(self, f"{self._key(service)}_max_retries")
