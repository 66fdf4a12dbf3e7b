"""Settings of the image-processor (common IRIS knobs plus the thresholds of its decisions)."""

from pydantic import Field

from iris_common.settings import ServiceSettings

from image_processor.core.enhance import EnhanceThresholds
from image_processor.core.pipeline import PipelineConfig


class ImageProcessorSettings(ServiceSettings):
    """Env vars prefixed IMAGE_PROCESSOR_ are this service's own; the rest come from ServiceSettings."""

    auto_orient: bool = Field(default=True, alias="IMAGE_PROCESSOR_AUTO_ORIENT")
    max_skew_angle: float = Field(default=25.0, gt=0, le=44, alias="IMAGE_PROCESSOR_MAX_SKEW_ANGLE")
    min_skew_angle: float = Field(default=1.0, ge=0, alias="IMAGE_PROCESSOR_MIN_SKEW_ANGLE")
    min_skew_confidence: float = Field(default=1.2, ge=1.0, alias="IMAGE_PROCESSOR_MIN_SKEW_CONFIDENCE")
    outline_min_area_ratio: float = Field(default=0.15, gt=0, lt=1, alias="IMAGE_PROCESSOR_OUTLINE_MIN_AREA")
    outline_max_area_ratio: float = Field(default=0.95, gt=0, le=1, alias="IMAGE_PROCESSOR_OUTLINE_MAX_AREA")
    outline_min_contrast: float = Field(default=30.0, ge=0, alias="IMAGE_PROCESSOR_OUTLINE_MIN_CONTRAST")
    outline_min_edge_contrast: float = Field(default=25.0, alias="IMAGE_PROCESSOR_OUTLINE_MIN_EDGE_CONTRAST")
    unwarp_min_corner_skew: float = Field(default=15.0, ge=0, lt=90, alias="IMAGE_PROCESSOR_UNWARP_MIN_CORNER_SKEW")
    noise_sigma_threshold: float = Field(default=6.0, gt=0, alias="IMAGE_PROCESSOR_NOISE_SIGMA")
    unevenness_threshold: float = Field(default=1.5, gt=0, alias="IMAGE_PROCESSOR_UNEVENNESS")
    min_text_contrast: float = Field(default=40.0, ge=0, alias="IMAGE_PROCESSOR_MIN_TEXT_CONTRAST")

    def pipeline_config(self, *, apply_unwarping: bool, enhance_quality: bool) -> PipelineConfig:
        return PipelineConfig(
            apply_unwarping=apply_unwarping,
            enhance_quality=enhance_quality,
            auto_orient=self.auto_orient,
            max_skew_angle=self.max_skew_angle,
            min_skew_angle=self.min_skew_angle,
            min_skew_confidence=self.min_skew_confidence,
            outline_min_area_ratio=self.outline_min_area_ratio,
            outline_max_area_ratio=self.outline_max_area_ratio,
            outline_min_contrast=self.outline_min_contrast,
            outline_min_edge_contrast=self.outline_min_edge_contrast,
            unwarp_min_corner_skew=self.unwarp_min_corner_skew,
            thresholds=EnhanceThresholds(
                noise_sigma=self.noise_sigma_threshold,
                unevenness=self.unevenness_threshold,
                min_text_contrast=self.min_text_contrast,
            ),
        )
