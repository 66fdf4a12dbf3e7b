"""HTTP routes of ml-embeddings: parse, call the encoder / clustering, wrap in the envelope."""

from typing import Annotated, Any

from fastapi import APIRouter, File, Request, UploadFile

from iris_common.contract.embeddings import ClusterRequest, ClusterResponse, EmbeddedItem, EmbedResponse
from iris_common.contract.envelope import Envelope
from iris_common.errors import InvalidInput
from iris_common.web.responses import envelope
from iris_common.web.uploads import read_pages
from iris_models.encoders.vectors import as_matrix
from ml_embeddings.api.deps import RuntimeDep, SettingsDep
from ml_embeddings.core.clustering import cluster, describe
from ml_embeddings.core.embedding import Page, embed_pages

router = APIRouter(tags=["embeddings"])


@router.post("/embed", response_model=Envelope[EmbedResponse])
def embed(
    request: Request,
    settings: SettingsDep,
    runtime: RuntimeDep,
    file: Annotated[UploadFile | None, File(description="one image or PDF")] = None,
    files: Annotated[list[UploadFile] | None, File(description="a batch of images")] = None,
) -> Any:
    """L2-normalised embeddings of one image (`file`) or a batch (`files`); every page of a PDF/TIFF is embedded."""
    uploads = ([file] if file is not None else []) + list(files or [])
    if not uploads:
        raise InvalidInput("send an image as multipart field `file`, or several as `files`")
    if len(uploads) > settings.embed_max_batch:
        raise InvalidInput(f"{len(uploads)} files sent; at most {settings.embed_max_batch} per request")
    encoder = runtime.encoder
    pages: list[Page] = []
    with runtime.slots:
        for upload in uploads:  # each file's pages are reduced as decoded: a batch never holds many full-size scans
            _, images = read_pages(upload, settings)
            pages.extend(Page(upload.filename, i, encoder.reduce(image)) for i, image in enumerate(images))
            del images
        vectors = embed_pages(encoder, pages)
    info = encoder.info
    items = [EmbeddedItem(filename=p.filename, page=p.page, embedding=v.tolist()) for p, v in zip(pages, vectors)]
    data = EmbedResponse(backend=info.backend, model_id=info.model_id, dimension=info.dimension, count=len(items), items=items)
    return envelope(request, data, metadata={"encoder": info.model_dump()})


@router.post("/cluster", response_model=Envelope[ClusterResponse])
def cluster_embeddings(request: Request, body: ClusterRequest, settings: SettingsDep, runtime: RuntimeDep) -> Any:
    """K-means of embeddings (given `k`, or k chosen by the best cosine silhouette) with the silhouette as quality."""
    if len(body.embeddings) > settings.cluster_max_points:
        raise InvalidInput(f"{len(body.embeddings)} embeddings sent; at most {settings.cluster_max_points} per request")
    expected = runtime.encoder.info.dimension if runtime.loaded else None
    matrix = as_matrix(body.embeddings, expected)
    for what, values in (("names", body.names), ("types", body.types), ("confidences", body.confidences)):
        if values is not None and len(values) != len(matrix):
            raise InvalidInput(f"{len(values)} {what} for {len(matrix)} embeddings: send one per embedding")
    result = cluster(matrix, body.k, max_k=settings.cluster_max_k, threads=settings.cpu_threads)
    described = describe(matrix, result, names=body.names, types=body.types, confidences=body.confidences,
                         min_confidence=body.min_confidence, outlier_factor=body.outlier_factor)
    data = ClusterResponse(
        k=result.k,
        labels=result.labels,
        centroids=result.centroids.tolist(),
        quality=result.quality,
        k_chosen_automatically=result.automatic,
        candidates={str(k): v for k, v in result.candidates.items()},
        clusters=described.clusters,
        new_type_candidates=described.candidates,
        distance_threshold=described.threshold,
    )
    return envelope(request, data, warnings=result.warnings)
