"""PyTorch models (the ``[train]`` extra): backbones, necks and heads assembled from a config."""

from lumenocr.models.builder import ModelConfig, OCRModel, build_model

__all__ = ["ModelConfig", "OCRModel", "build_model"]
