"""Make torchvision importable beside the CPU torch build (see shared notes, "Image embeddings").

torchvision 0.28's `_meta_registrations.py` registers fake kernels for `torchvision::nms` and `qnms`, but its
CUDA-linked C extension does not load beside torch 2.13+cpu, so those ops are undefined and `import torchvision`
fails. Defining the two op schemas first lets the pure-Python parts (transforms, used by open_clip and timm) import.
Import torch/torchvision/timm/open_clip only through `import_torch_stack()` so the fix happens exactly once.
"""

import logging
import sys
import threading
from types import ModuleType

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_library: object | None = None  # must stay alive: dropping the Library object unregisters the schemas
_SCHEMAS = {
    "nms": "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms": "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
}


def _define_missing_ops() -> None:
    global _library
    import torch

    lib = torch.library.Library("torchvision", "DEF")  # kept alive in a module global
    for schema in _SCHEMAS.values():
        lib.define(schema)
    _library = lib


def ensure_torchvision() -> ModuleType:
    """Import torchvision; if it fails on the missing nms schemas, define them and import again.

    Trying the plain import first keeps a torch/torchvision pair that works (e.g. a CUDA build) untouched.
    """
    with _lock:
        try:
            import torchvision
        except RuntimeError as exc:
            if "torchvision::" not in str(exc) or _library is not None:
                raise
            for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
                del sys.modules[name]  # drop the half-imported package before trying again
            _define_missing_ops()
            logger.info("defined torchvision::nms/qnms schemas so torchvision imports beside the CPU torch")
            import torchvision
        return torchvision


def import_timm() -> ModuleType:
    ensure_torchvision()
    import timm

    return timm


def import_open_clip() -> ModuleType:
    ensure_torchvision()
    import open_clip

    return open_clip
