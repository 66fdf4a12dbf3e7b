"""How a batch runs its documents, from the environment (the nightly deployment's job variables set them).

IRIS_DISPATCH=local (the default) runs every document's phase tasks in the batch's own flow run: one machine, no
worker needed. IRIS_DISPATCH=<flow>/<deployment> (e.g. process-documents/process-documents) fans the batch out as
one flow run per IRIS_DOCUMENTS_PER_RUN documents to that deployment's work pool, each run holding a slot of the
global concurrency limit IRIS_DOCUMENT_RUNS_LIMIT (`iris deploy` creates both).
"""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

LOCAL = "local"


class BatchSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    dispatch: str = Field(default=LOCAL, alias="IRIS_DISPATCH", pattern=r"^(local|[\w.-]+/[\w.-]+)$")
    documents_per_run: int = Field(default=8, ge=1, le=1000, alias="IRIS_DOCUMENTS_PER_RUN")
    document_runs_limit: str = Field(default="iris-document-runs", min_length=1, alias="IRIS_DOCUMENT_RUNS_LIMIT")
    run_poll_seconds: float = Field(default=1.0, gt=0, alias="IRIS_RUN_POLL_SECONDS")
    # how long a batch waits for a document another live run has claimed before counting it failed
    claim_wait_seconds: float = Field(default=300.0, gt=0, alias="IRIS_CLAIM_WAIT_SECONDS")
    # how long a batch waits for one fanned-out run (also one no worker picks up) before cancelling and resubmitting it
    # read files whose resolved path is outside the input folder (symlinks pointing elsewhere); off by default
    follow_symlinks: bool = Field(default=False, alias="IRIS_FOLLOW_SYMLINKS")
    # documents the batch's clustering describes at most (an even sample of a larger batch; ml-embeddings'
    # CLUSTER_MAX_POINTS must allow it)
    cluster_sample: int = Field(default=5000, ge=2, alias="IRIS_CLUSTER_SAMPLE")
    run_timeout_seconds: float = Field(default=3600.0, gt=0, alias="IRIS_RUN_TIMEOUT_SECONDS")
