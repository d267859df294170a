"""Document options and the stages they add to the line pipeline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lumenocr.errors import ConfigError
from lumenocr.pipeline.stages import Stage, insert_stage
from lumenocr.runtime.onnx import RuntimeOptions

#: ``layout`` values: off, layout model regions + column order, or white-space blocks only.
LAYOUT_MODES = ("off", "model", "columns")


@dataclass(frozen=True)
class DocumentOptions:
    """Which document stages run.

    orientation: turn 90/180/270-degree pages upright before detection (``None``: on when its
    model is installed). layout: ``"model"`` groups lines into layout regions (CDLA classes)
    ordered column by column; ``"columns"`` does the same from white space alone (no model);
    ``"off"`` keeps the flat line order. tables: read table structure (implies ``layout="model"``).
    """

    orientation: bool | None = None
    layout: str = "off"
    tables: bool = False

    def __post_init__(self) -> None:
        if self.layout not in LAYOUT_MODES:
            raise ConfigError(f"layout must be one of {', '.join(LAYOUT_MODES)}, got {self.layout!r}")

    @classmethod
    def make(
        cls, orientation: bool | None = None, layout: bool | str | None = False, tables: bool = False
    ) -> DocumentOptions:
        """Options from the API's forms: ``layout`` True/False/None or a mode name."""
        if isinstance(layout, bool) or layout is None:
            mode = "model" if layout else "off"
        else:
            mode = layout
        if tables and mode != "model":
            mode = "model"  # table regions come from the layout model
        return cls(orientation, mode, tables)


def orientation_available() -> bool:
    """Whether the page-orientation model's carrier wheel is installed (the file is not read)."""
    from lumenocr.zoo.documents import DOC_MODELS
    from lumenocr.zoo.resolve import is_installed

    return is_installed(DOC_MODELS["orientation"].file)


@dataclass(frozen=True)
class DocumentModels:
    """The models the document stages run (each ``None`` when its stage is off)."""

    orienter: Any = None  # document.orientation.PageOrienter
    layout: Any = None  # document.layout.LayoutDetector
    tables: Any = None  # document.table.TableRecognizer


def load_document_models(
    options: DocumentOptions, runtime: RuntimeOptions | None = None, detect: bool = True
) -> DocumentModels:
    """Load the models ``options`` ask for (``detect``: the pipeline detects lines, the only
    case where pages are turned). Separate from :func:`add_document_stages` so that the models
    can load in parallel with the line pipeline's."""
    orientation = options.orientation
    if orientation is None:
        orientation = orientation_available()
    orienter = layout = tables = None
    if orientation and detect:
        from lumenocr.document.orientation import PageOrienter

        orienter = PageOrienter.from_zoo(runtime=runtime)
    if options.layout == "model":
        from lumenocr.document.layout import LayoutDetector

        layout = LayoutDetector.from_zoo(runtime=runtime)
    if options.tables:
        from lumenocr.document.table import TableRecognizer

        tables = TableRecognizer.from_zoo(runtime=runtime)
    return DocumentModels(orienter, layout, tables)


def add_document_stages(
    stages: Sequence[Stage],
    options: DocumentOptions,
    runtime: RuntimeOptions | None = None,
    models: DocumentModels | None = None,
) -> tuple[Stage, ...]:
    """``stages`` (the line pipeline) with the document stages ``options`` ask for, running
    ``models`` (loaded here when not given)."""
    out = tuple(stages)
    detect = any(s.name == "detect" for s in out)
    if models is None:
        models = load_document_models(options, runtime, detect=detect)
    if models.orienter is not None and detect:
        from lumenocr.document.orientation import OrientationStage

        out = insert_stage(out, OrientationStage(models.orienter), before="detect")
    if options.layout != "off":
        from lumenocr.document.blocks import LayoutStage

        out = insert_stage(out, LayoutStage(models.layout), after="order")
    if options.tables:
        from lumenocr.document.table import TableStage

        out = insert_stage(out, TableStage(models.tables), after="layout")
    return out
