"""One Prefect task per pipeline phase; each calls one service through the shared `IrisClient`."""

from iris_flows.tasks.classify import classify
from iris_flows.tasks.cluster import cluster
from iris_flows.tasks.embed import embed
from iris_flows.tasks.embed_batch import embed_batch
from iris_flows.tasks.extract import extract
from iris_flows.tasks.ocr import ocr
from iris_flows.tasks.preprocess import preprocess

__all__ = ["classify", "cluster", "embed", "embed_batch", "extract", "ocr", "preprocess"]
