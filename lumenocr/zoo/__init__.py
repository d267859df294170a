"""Model zoo: named pretrained models shipped inside PyPI wheels."""

from lumenocr.zoo.registry import DEFAULT_MODEL, MODELS, ComponentSpec, FileRef, ModelSpec
from lumenocr.zoo.resolve import get_spec, installed_models, locate

__all__ = [
    "DEFAULT_MODEL",
    "MODELS",
    "ComponentSpec",
    "FileRef",
    "ModelSpec",
    "get_spec",
    "installed_models",
    "locate",
]
