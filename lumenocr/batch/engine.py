"""OCR a sequence of inputs with one :class:`~lumenocr.OCR`, isolating each input's errors.

Input errors (a corrupt file, an unreadable PDF page, an odd image the pipeline trips on)
become :class:`Outcome` objects with an ``error``; model and configuration errors propagate,
since they would fail every input alike.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from lumenocr.batch.job import BatchJob, Outcome
from lumenocr.batch.plan import Task
from lumenocr.errors import InputError, LumenOCRError


def run_task(ocr, job: BatchJob, task: Task) -> list[Outcome]:
    """Read one task (see :mod:`lumenocr.batch.plan`): a page, an image, a video, or a few
    whole inputs recognised together in ``rec`` mode."""
    outcomes: list[Outcome] = []
    for unit in task.units:
        if unit.video:
            from lumenocr.video import video_outcome

            outcomes.append(video_outcome(ocr, job, unit.source))
        elif unit.page is not None:
            one_page = dataclasses.replace(job, load=dataclasses.replace(job.load, pages=(unit.page,)))
            outcomes.extend(process(ocr, one_page, [(unit.source, unit.stem)]))
    whole = [(u.source, u.stem) for u in task.units if not u.video and u.page is None]
    if whole:
        outcomes.extend(process(ocr, job, whole))
    return outcomes


def process(ocr, job: BatchJob, items: Sequence[tuple[str, str | None]]) -> Iterator[Outcome]:
    """OCR each ``(path, picture_stem)`` in order, one :class:`Outcome` per page or failure.

    ``picture_stem`` names the drawn picture when ``job.vis_dir`` is set (see
    :func:`picture_stems`). In ``rec`` mode pages are recognised ``job.rec_chunk`` at a time.
    """
    from lumenocr.io.image import LoadFailure
    from lumenocr.io.sources import load_all

    stems = dict(items)
    pending: list = []
    pages = load_all([path for path, _ in items], job.load)
    while True:
        t0 = time.perf_counter()
        item = next(pages, None)
        if item is None:
            break
        load_s = time.perf_counter() - t0
        if isinstance(item, LoadFailure):
            yield from _recognise(ocr, job, pending, stems)
            pending = []
            yield Outcome(item.source, item.page, error=_message(item.error, item.source))
        elif job.mode == "rec":
            pending.append((item, load_s))
            if len(pending) >= job.rec_chunk:
                yield from _recognise(ocr, job, pending, stems)
                pending = []
        else:
            yield _ocr_page(ocr, job, item, load_s, stems.get(item.source))
    yield from _recognise(ocr, job, pending, stems)


def _message(error: Exception, source: str) -> str:
    """The error text without a repeated ``<source>:`` prefix (the reporter adds it)."""
    msg = str(error)
    return msg[len(source) + 2 :] if msg.startswith(f"{source}: ") else msg


def _ocr_page(ocr, job: BatchJob, page, load_s: float, stem: str | None) -> Outcome:

    t0 = time.perf_counter()
    try:
        result = ocr.ocr_image(page.image, source=page.source, page=page.page)
    except Exception as e:  # noqa: BLE001 - a bug on one odd image must not stop a batch of thousands
        if is_config_error(e):
            raise
        return Outcome(page.source, page.page, error=failure_message(e, page.source))
    result.seconds = load_s + time.perf_counter() - t0
    text = {"md": result.to_markdown, "html": result.to_html}.get(job.text_format, lambda: result.text)()
    outcome = Outcome(page.source, page.page, result.to_dict(job.boxes, det_only=job.mode == "det"), text)
    if job.vis_dir and stem is not None:
        outcome.error = _save_picture(job, page, result, stem)
    return outcome


def failure_message(e: Exception, source: str) -> str:
    """What to report for an input that failed during OCR."""
    if isinstance(e, InputError):
        return _message(e, source)
    return f"internal error ({type(e).__name__}: {e}); please report it"


def is_config_error(e: Exception) -> bool:
    """A lumenocr error that is not about one input: it would fail every input alike."""
    return isinstance(e, LumenOCRError) and not isinstance(e, InputError)


def _recognise(ocr, job: BatchJob, chunk: list, stems: dict) -> Iterator[Outcome]:
    """Recognise whole images as text lines, a chunk per batch (one at a time if a batch fails)."""
    from lumenocr.io.writers import rec_record

    if not chunk:
        return
    t0 = time.perf_counter()
    try:
        recs = ocr.recognize_crops([page.image for page, _ in chunk])
        share = (time.perf_counter() - t0) / len(chunk)  # each crop's part of its batch's time
    except Exception as e:  # noqa: BLE001
        if is_config_error(e):
            raise
        if len(chunk) > 1:
            for one in chunk:  # find the bad one; the others still get read
                yield from _recognise(ocr, job, [one], stems)
            return
        page = chunk[0][0]
        yield Outcome(page.source, page.page, error=failure_message(e, page.source))
        return
    for (page, load_s), rec in zip(chunk, recs):
        out = Outcome(
            page.source, page.page, rec_record(page.source, rec, load_s + share, page.page), rec.text
        )
        stem = stems.get(page.source)
        if job.vis_dir and stem is not None:
            from lumenocr.results import OCRResult, TextLine

            h, w = page.image.shape[:2]
            box = [[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]]
            result = OCRResult(
                [TextLine(box, rec.text, rec.score)], (h, w), source=page.source, page=page.page
            )
            out.error = _save_picture(job, page, result, stem)
        yield out


def _save_picture(job: BatchJob, page, result, stem: str) -> str | None:
    from lumenocr.vis import draw_result, save_picture

    assert job.vis_dir is not None
    name = stem if page.page is None else f"{stem}_p{page.page}"
    ext = ".jpg" if Path(page.source).suffix.lower() in (".jpg", ".jpeg") else ".png"
    try:
        picture = draw_result(page.image, result, job.font, words=job.boxes == "words")
        save_picture(Path(job.vis_dir) / (name + ext), picture)
    except OSError as e:
        return f"result written, but its picture could not be saved: {e.strerror or e}"
    return None


def picture_stems(files: Sequence[str]) -> list[str]:
    """A distinct file stem per input for pictures (``a/x.png`` and ``b/x.png`` -> ``x``, ``x-2``)."""
    used: set[str] = set()
    out = []
    for f in files:
        base = Path(f.split("?")[0].rstrip("/")).stem or "image"
        stem, n = base, 1
        while stem.lower() in used:
            n += 1
            stem = f"{base}-{n}"
        used.add(stem.lower())
        out.append(stem)
    return out
