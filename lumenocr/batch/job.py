"""What a batch is asked to do, and what comes back for each input: typed, picklable records."""

from __future__ import annotations

from dataclasses import dataclass, field

from lumenocr.io.image import LoadOptions
from lumenocr.video.options import VideoOptions

#: ``full``: detect and read; ``det``: boxes only; ``rec``: each input is one text line.
MODES = ("full", "det", "rec")

#: Text lines per recognizer batch in ``rec`` mode unless the job says otherwise.
REC_CHUNK = 8


@dataclass(frozen=True)
class BatchJob:
    """What to do with every input. Picklable: it travels to worker processes.

    ``boxes`` is one of :data:`lumenocr.io.writers.BOX_MODES`; ``vis_dir`` receives a drawn
    picture of each result (``font`` for its text); in ``rec`` mode inputs are recognised
    ``rec_chunk`` at a time.
    """

    mode: str = "full"
    boxes: str = "lines"
    load: LoadOptions = field(default_factory=LoadOptions)
    vis_dir: str | None = None
    font: str | None = None
    rec_chunk: int = REC_CHUNK
    #: What ``Outcome.text`` holds: ``text`` (rows in reading order), ``md`` or ``html``.
    text_format: str = "text"
    video: VideoOptions = field(default_factory=VideoOptions)


@dataclass
class Outcome:
    """The result of one image or page: a record to write, an error to report, or both
    (a record whose picture could not be saved).

    ``image`` is the input as given, ``page`` the 0-based page of a PDF/TIFF (``None`` for a
    single image or for a failure of the whole input), ``record`` the JSON object,
    ``text`` the page's text in reading order, ``error`` the reason it failed.
    """

    image: str
    page: int | None
    record: dict | None = None
    text: str = ""
    error: str | None = None
    records: list[dict] | None = None  # several records written as one piece (a video's text spans)

    @property
    def ok(self) -> bool:
        """True when a record was produced and nothing went wrong."""
        return (self.record is not None or self.records is not None) and self.error is None
