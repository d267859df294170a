"""``lumenocr ocr`` and ``lumenocr models`` end to end, on generated text images whose text is known."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from lumenocr.cli.main import main
from lumenocr.metrics.text import edit_distance
from lumenocr.vis.sample import SAMPLE_LINES, drawable_lines, render_lines

REPO = Path(__file__).resolve().parents[1]


def _has_cjk_font() -> bool:
    from lumenocr.vis import fonts

    return fonts.covers(fonts.get_font(24), "光学字符识别欢迎使用")


HAS_CJK_FONT = _has_cjk_font()

TEXTS = {
    "receipt.png": ["Total amount 42.50", "Thank you for shopping"],
    "notice.jpg": ["Please keep the door closed"],
}
if HAS_CJK_FONT:  # without one the generated Chinese image would hold missing-glyph boxes
    TEXTS["chinese.png"] = ["光学字符识别", "欢迎使用"]
CONTRACT = {"image": str, "page": (int, type(None)), "boxes": list, "seconds": float}


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def cer(gt: str, pred: str) -> float:
    gt, pred = _norm(gt), _norm(pred)
    return edit_distance(gt, pred) / max(len(gt), 1)


def _model_available() -> bool:
    from lumenocr.cli.models import model_status
    from lumenocr.zoo import DEFAULT_MODEL, get_spec

    return model_status(get_spec(DEFAULT_MODEL))[0]


pytestmark = pytest.mark.skipif(
    not _model_available(), reason="the default zoo model's package is not installed"
)


def _write(path: Path, img: np.ndarray) -> None:
    assert cv2.imwrite(str(path), img)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """3 good images, a corrupt one, an empty one and a non-image file."""
    d = tmp_path_factory.mktemp("inputs")
    for name, lines in TEXTS.items():
        _write(d / name, render_lines(lines, font_size=30))
    (d / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 20)
    (d / "empty.jpg").write_bytes(b"")
    (d / "notes.txt").write_text("not an image", encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def folder_run(folder, tmp_path_factory):
    """The real entry point in a subprocess, over the whole folder."""
    out = tmp_path_factory.mktemp("out") / "results.jsonl"
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run(
        [sys.executable, "-m", "lumenocr.cli.main", "ocr", str(folder), "--output", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    return proc, records


def _run(capsys, *argv) -> tuple[int, str, str]:
    rc = main(["ocr", *map(str, argv)])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def _jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_bad_files_are_reported_and_the_rest_processed(folder_run, folder):
    proc, records = folder_run
    assert proc.returncode == 1, proc.stderr
    assert sorted(Path(r["image"]).name for r in records) == sorted(TEXTS)
    err = proc.stderr
    assert f"{folder / 'corrupt.png'}:" in err and f"{folder / 'empty.jpg'}: file is empty" in err
    assert f"2 of {len(TEXTS) + 2} inputs failed" in err
    assert "Traceback" not in err
    assert "notes.txt" in err  # skipped non-image files are mentioned, not silently dropped


def test_folder_results_have_the_rendered_text(folder_run):
    _, records = folder_run
    for r in records:
        expected = " ".join(TEXTS[Path(r["image"]).name])
        got = " ".join(b["text"] for b in r["boxes"])
        assert cer(expected, got) < 0.05, (expected, got)


def test_jsonl_objects_follow_the_contract(folder_run, folder):
    _, records = folder_run
    for r in records:
        assert set(r) == set(CONTRACT)
        for key, typ in CONTRACT.items():
            assert isinstance(r[key], typ), key
        assert r["image"].startswith(str(folder))  # the path as the folder was given
        assert r["page"] is None and r["seconds"] > 0
        for b in r["boxes"]:
            assert set(b) == {"points", "text", "score"}
            assert isinstance(b["text"], str) and isinstance(b["score"], float) and 0 < b["score"] <= 1
            assert len(b["points"]) >= 4 and all(len(p) == 2 for p in b["points"])
            assert all(isinstance(v, float) for p in b["points"] for v in p)


def test_txt_is_in_reading_order(tmp_path, capsys):
    # Two columns on two rows: reading order is row by row, left to right.
    left = render_lines(["Alpha one", "Gamma three"], font_size=30, line_gap=1.5)
    right = render_lines(["Beta two", "Delta four"], font_size=30, line_gap=1.5)
    h = max(left.shape[0], right.shape[0])

    def pad(im):
        return cv2.copyMakeBorder(im, 0, h - im.shape[0], 0, 0, cv2.BORDER_CONSTANT, value=(255, 255, 255))

    gap = np.full((h, 120, 3), 255, np.uint8)
    _write(tmp_path / "cols.png", np.hstack([pad(left), gap, pad(right)]))
    rc, out, err = _run(capsys, tmp_path / "cols.png", "--format", "txt")
    assert rc == 0, err
    assert out == "Alpha one Beta two\nGamma three Delta four\n"


def test_sample_image_is_read_back(tmp_path, capsys):
    """The README's first command: the generated sample is recognised with CER < 5%."""
    sample = tmp_path / "sample.png"
    subprocess.run(
        [sys.executable, str(REPO / "scripts" / "make_sample.py"), str(sample)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    rc, out, err = _run(capsys, sample, "--format", "txt", "--vis", tmp_path / "vis")
    assert rc == 0, err
    lines = drawable_lines(SAMPLE_LINES)  # all of them when a CJK font is installed
    assert len(lines) == len(SAMPLE_LINES) or not HAS_CJK_FONT
    assert cer("\n".join(lines), out) < 0.05, out
    assert out.count("\n") == len(lines)  # one output line per rendered line, in order
    assert (tmp_path / "vis" / "sample.png").is_file()


def test_rec_only_reads_a_crop(tmp_path, capsys):
    crop = render_lines(["Recognize me 123"], font_size=32, margin=6)
    _write(tmp_path / "crop.png", crop)
    rc, out, err = _run(capsys, tmp_path / "crop.png", "--rec-only")
    assert rc == 0, err
    (rec,) = _jsonl(out)
    assert set(rec) == {"image", "text", "score", "seconds"}
    assert rec["image"] == str(tmp_path / "crop.png") and rec["text"] == "Recognize me 123"
    assert 0.5 < rec["score"] <= 1 and rec["seconds"] > 0


def test_rec_only_batches_keep_input_order(tmp_path, capsys):
    words = ["apple", "banana split", "cherry pie recipe", "date", "elderberry wine"]
    for i, w in enumerate(words):
        _write(tmp_path / f"w{i}.png", render_lines([w], font_size=28, margin=5))
    (tmp_path / "w2b.png").write_bytes(b"broken")  # sorts between w2 and w3
    rc, out, err = _run(capsys, tmp_path, "--rec-only", "--rec-batch", "2", "-q")
    assert rc == 1 and "w2b.png" in err
    assert [r["text"] for r in _jsonl(out)] == words


def test_det_only_gives_boxes_with_detection_scores(folder, capsys):
    rc, out, err = _run(capsys, folder / "receipt.png", "--det-only")
    assert rc == 0, err
    (rec,) = _jsonl(out)
    assert len(rec["boxes"]) == len(TEXTS["receipt.png"])
    assert all(b["text"] == "" and 0 < b["score"] <= 1 for b in rec["boxes"])


def test_words_gives_one_box_per_word(folder, capsys):
    rc, out, err = _run(capsys, folder / "receipt.png", "--words")
    assert rc == 0, err
    (rec,) = _jsonl(out)
    expected = " ".join(TEXTS["receipt.png"]).split()
    assert [b["text"] for b in rec["boxes"]] == expected
    xs = [np.mean(b["points"], axis=0)[0] for b in rec["boxes"][:3]]
    assert xs == sorted(xs)  # words of a line left to right


def test_nested_words(folder, capsys):
    rc, out, _ = _run(capsys, folder / "receipt.png", "--nested-words")
    (rec,) = _jsonl(out)
    assert [w["text"] for w in rec["boxes"][0]["words"]] == TEXTS["receipt.png"][0].split()


def test_vis_writes_one_picture_per_image(folder, tmp_path, capsys):
    vis = tmp_path / "vis"
    rc, _, err = _run(capsys, folder / "receipt.png", folder / "notice.jpg", "--vis", vis, "-q")
    assert rc == 0, err
    assert sorted(p.name for p in vis.iterdir()) == ["notice.jpg", "receipt.png"]
    pic = cv2.imread(str(vis / "receipt.png"))
    src = cv2.imread(str(folder / "receipt.png"))
    assert pic.shape[0] == src.shape[0] and pic.shape[1] > 2 * src.shape[1]


def test_pdf_pages_are_separate_records(tmp_path, capsys):
    from PIL import Image

    pages = [render_lines([t], font_size=40) for t in ("First page text", "Second page text")]
    ims = [Image.fromarray(cv2.cvtColor(p, cv2.COLOR_BGR2RGB)) for p in pages]
    pdf = tmp_path / "doc.pdf"
    ims[0].save(pdf, save_all=True, append_images=ims[1:], resolution=100)
    rc, out, err = _run(capsys, pdf, "--format", "json")
    assert rc == 0, err
    data = json.loads(out)
    assert [r["page"] for r in data] == [0, 1]
    assert [" ".join(b["text"] for b in r["boxes"]) for r in data] == ["First page text", "Second page text"]


def test_workers_give_the_same_results(folder, capsys):
    rc1, out1, _ = _run(capsys, folder, "-q", "--workers", "1")
    rc2, out2, _ = _run(capsys, folder, "-q", "--workers", "2")
    assert rc1 == rc2 == 1

    def strip(out):
        return [(r["image"], r["boxes"]) for r in _jsonl(out)]

    assert strip(out1) == strip(out2) and len(strip(out1)) == len(TEXTS)


def test_unknown_model_is_exit_2_with_a_clear_message(folder, capsys):
    rc, out, err = _run(capsys, folder / "receipt.png", "--model", "no-such-model")
    assert rc == 2 and out == ""
    assert "unknown model 'no-such-model'" in err and "ppocrv6-small" in err


def test_dictionary_of_the_wrong_size_is_exit_2(folder, tmp_path, capsys):
    d = tmp_path / "keys.txt"
    d.write_text("a\nb\nc\n", encoding="utf-8")
    out_file = tmp_path / "never.jsonl"
    rc, _, err = _run(capsys, folder / "receipt.png", "--dict", d, "-o", out_file)
    assert rc == 2 and "dictionary" in err and str(d) in err
    assert not out_file.exists()  # no half-made output for a configuration error


def test_missing_inputs(folder, tmp_path, capsys):
    rc, _, err = _run(capsys, tmp_path / "nope.png")
    assert rc == 2 and "nope.png: no such file" in err and "nothing to read" in err
    rc, out, err = _run(capsys, tmp_path / "nope.png", folder / "notice.jpg")
    assert rc == 1 and len(_jsonl(out)) == 1 and "1 of 2 inputs failed" in err


def test_invalid_knob_is_exit_2(folder, capsys):
    rc, _, err = _run(capsys, folder / "receipt.png", "--thresh", "2")
    assert rc == 2 and "thresh" in err


def test_models_list_and_verify(capsys, monkeypatch):
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "ppocrv6-small" in out and "installed" in out
    assert main(["models", "verify"]) == 0
    assert "ok" in capsys.readouterr().out


def test_models_verify_fails_on_a_checksum_mismatch(capsys, monkeypatch):
    import dataclasses

    from lumenocr.zoo import MODELS

    spec = MODELS["ppocrv6-small"]
    bad_file = dataclasses.replace(spec.cls.file, sha256="0" * 64)
    bad = dataclasses.replace(
        spec, name="tampered", aliases=(), cls=dataclasses.replace(spec.cls, file=bad_file)
    )
    monkeypatch.setitem(MODELS, "tampered", bad)
    assert main(["models", "verify"]) == 1
    captured = capsys.readouterr()
    assert "mismatch" in captured.out and "SHA-256" in captured.err


def test_results_before_a_fatal_error_are_kept(folder, tmp_path, capsys, monkeypatch):
    """JSONL is flushed per image: a run that dies late keeps what it wrote."""
    import lumenocr.batch.engine as cli_ocr
    from lumenocr.errors import ModelError

    real = cli_ocr._ocr_page
    calls = []

    def failing_second_time(*a, **kw):
        calls.append(1)
        if len(calls) == 2:
            raise ModelError("simulated model failure")
        return real(*a, **kw)

    monkeypatch.setattr(cli_ocr, "_ocr_page", failing_second_time)
    out = tmp_path / "partial.jsonl"
    rc, _, err = _run(capsys, folder / "receipt.png", folder / "notice.jpg", "-o", out, "-q")
    assert rc == 2 and "simulated model failure" in err
    (first,) = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert first["image"] == str(folder / "receipt.png") and first["boxes"]


@pytest.mark.parametrize(
    ("argv", "flags"),
    [
        (["--rec-only", "--thresh", "0.2"], "--thresh"),
        (["--rec-only", "--text-score", "0.3", "--no-cls"], "--no-cls, --text-score"),
        (["--det-only", "--beam", "4"], "--beam"),
        (["--det-only", "--words"], "--words"),
    ],
)
def test_options_a_mode_would_ignore_are_refused(folder, capsys, argv, flags):
    rc, out, err = _run(capsys, folder / "receipt.png", *argv)
    assert rc == 2 and out == ""
    assert f"{flags} ha" in err and "no effect with --" in err


def test_models_verify_fails_on_a_file_missing_from_an_installed_package(capsys, monkeypatch):
    import dataclasses

    from lumenocr.zoo import MODELS

    spec = MODELS["ppocrv6-small"]
    gone = dataclasses.replace(spec.det.file, path="rapidocr/models/no_such_model.onnx")
    bad = dataclasses.replace(spec, name="broken", aliases=(), det=dataclasses.replace(spec.det, file=gone))
    monkeypatch.setitem(MODELS, "broken", bad)
    assert main(["models", "verify", "--json"]) == 1
    rows = json.loads(capsys.readouterr().out)
    assert {r["status"] for r in rows if r["model"] == "broken"} == {"missing", "ok"}
