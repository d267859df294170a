"""``lumenocr ocr`` failure modes a new user hit: one clear line and a non-zero exit, never a
traceback; options the messages name exist on the command line."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import cv2
import pytest

from lumenocr.cli.main import main
from lumenocr.vis.sample import render_lines

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_io_image import png_claiming_size  # noqa: E402
from test_io_pdf import encrypted_pdf, make_pdf  # noqa: E402

sys.path.pop(0)


def _model_available() -> bool:
    from lumenocr.cli.models import model_status
    from lumenocr.zoo import DEFAULT_MODEL, get_spec

    return model_status(get_spec(DEFAULT_MODEL))[0]


pytestmark = pytest.mark.skipif(not _model_available(), reason="the default zoo model is not installed")


@pytest.fixture(scope="module")
def image(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("img") / "line.png"
    cv2.imwrite(str(path), render_lines(["Hardening check 42"], font_size=32))
    return path


def _run(capsys, *argv) -> tuple[int, str, str]:
    rc = main(["ocr", *map(str, argv), "--threads", "1"])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def _one_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err and "warnings.warn" not in err
    return lines[0]


# --- --vis --------------------------------------------------------------------------------------
def test_vis_that_is_a_file_is_a_usage_error(capsys, image, tmp_path):
    target = tmp_path / "pictures"
    target.write_text("a file")
    rc, out, err = _run(capsys, image, "--vis", target)
    assert rc == 2 and out == ""
    assert _one_line(err) == f"lumenocr ocr: error: --vis {target}: is a file, not a folder; give a folder"


def test_vis_that_cannot_be_created_is_a_usage_error(capsys, image, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    rc, out, err = _run(capsys, image, "--vis", blocker / "sub")
    assert rc == 2
    assert re.fullmatch(
        r"lumenocr ocr: error: --vis .*/file/sub: cannot create the folder: .+", _one_line(err)
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into read-only folders")
def test_vis_read_only_folder_is_a_usage_error(capsys, image, tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        rc, _, err = _run(capsys, image, "--vis", ro)
    finally:
        ro.chmod(0o700)
    assert rc == 2 and _one_line(err).endswith("the folder is not writable")


# --- output ------------------------------------------------------------------------------------
@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
def test_full_disk_is_one_clear_error(capsys, image):
    rc, _, err = _run(capsys, image, "-o", "/dev/full")
    assert rc == 2
    assert _one_line(err) == (
        "lumenocr ocr: error: cannot write to /dev/full: No space left on device; "
        "the first 0 result(s) were written, this one and any after it were not"
    )


def test_unknown_output_extension_is_refused(capsys, image, tmp_path):
    rc, _, err = _run(capsys, image, "-o", tmp_path / "out.csv")
    assert rc == 2 and "unknown extension '.csv'" in _one_line(err)
    assert not (tmp_path / "out.csv").exists()
    rc, _, err = _run(capsys, image, "-o", tmp_path / "out.csv", "--format", "jsonl", "-q")
    assert rc == 0, err
    assert json.loads((tmp_path / "out.csv").read_text())["boxes"]


# --- input options the messages name -----------------------------------------------------------
def test_too_large_image_names_max_pixels_and_the_option_works(capsys, image):
    rc, _, err = _run(capsys, image, "--max-pixels", "1000")
    assert rc == 1
    assert "raise it with --max-pixels" in err and "Traceback" not in err
    rc, out, _ = _run(capsys, image, "--max-pixels", "10000000", "--format", "txt")
    assert rc == 0 and "Hardening check 42" in out


def test_pillow_bomb_limit_gives_our_message(capsys, tmp_path):
    """Over Pillow's own limit (179 MP) the error is lumenocr's, naming --max-pixels; between
    Pillow's warning threshold (89 MP) and --max-pixels there is no stray Pillow warning."""
    (tmp_path / "huge.png").write_bytes(png_claiming_size(20_000, 10_000))
    rc, _, err = _run(capsys, tmp_path / "huge.png")
    assert rc == 1 and "Traceback" not in err and "warnings.warn" not in err
    line = err.splitlines()[0]
    assert "200,000,000 pixels" in line and "--max-pixels" in line and "DOS attack" not in line
    (tmp_path / "big.png").write_bytes(png_claiming_size(10_000, 9_500))  # 95 MP, broken data
    rc, _, err = _run(capsys, tmp_path / "big.png")
    assert rc == 1
    assert "DecompressionBomb" not in err and "warnings.warn" not in err and "Traceback" not in err


def test_pdf_password_and_pages_options(capsys, tmp_path):
    (tmp_path / "locked.pdf").write_bytes(encrypted_pdf("secret"))
    rc, _, err = _run(capsys, tmp_path / "locked.pdf")
    assert rc == 1 and "--pdf-password" in err
    rc, out, err = _run(capsys, tmp_path / "locked.pdf", "--pdf-password", "secret")
    assert rc == 0, err
    assert [r["page"] for r in map(json.loads, out.splitlines())] == [None] or out.strip()
    (tmp_path / "three.pdf").write_bytes(make_pdf(3))
    rc, out, err = _run(capsys, tmp_path / "three.pdf", "--pages", "2-3", "-q")
    assert rc == 0, err
    assert [json.loads(line)["page"] for line in out.splitlines()] == [1, 2]
    rc, _, err = _run(capsys, tmp_path / "three.pdf", "--pages", "3-1")
    assert rc == 2 and "bad page range" in _one_line(err)


# --- providers ---------------------------------------------------------------------------------
def test_unavailable_provider_warns_or_fails_when_demanded(capsys, image):
    import onnxruntime as ort

    if "CUDAExecutionProvider" in ort.get_available_providers():
        pytest.skip("CUDA is available here")
    rc, _, err = _run(capsys, image, "--providers", "cuda")
    assert rc == 2
    line = _one_line(err)
    assert "'cuda' is not available" in line and "--providers cuda,cpu" in line
    rc, out, err = _run(capsys, image, "--providers", "cuda,cpu", "--format", "txt")
    assert rc == 0 and "Hardening check 42" in out
    warned = [ln for ln in err.splitlines() if ln.strip()]
    assert len(warned) == 1 and warned[0].startswith("lumenocr ocr: warning: execution provider 'cuda'")
    assert "running on CPUExecutionProvider" in warned[0]


# --- README ------------------------------------------------------------------------------------
def test_readme_exit_codes_match_the_cli(capsys, tmp_path, image):
    """A missing input is exit 2 (nothing to read), and the README says so."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    sentence = re.search(r"exit code 0 means.*?error\.", readme, re.S).group(0)
    assert re.search(r"2 .*missing", " ".join(sentence.split())), sentence
    rc, _, _ = _run(capsys, tmp_path / "missing.png")
    assert rc == 2
    rc, _, _ = _run(capsys, tmp_path / "missing.png", image, "--format", "txt")
    assert rc == 1


# --- eval and synth ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_dataset(tmp_path_factory) -> Path:
    """Two generated images with word ground truth in PaddleOCR label format."""
    import numpy as np

    from lumenocr.io.labels import DetSample, write_det_labels

    root = tmp_path_factory.mktemp("ds")
    (root / "images").mkdir()
    samples = []
    for i, word in enumerate(["Alpha", "Beta"]):
        img = render_lines([word], font_size=40, margin=30)
        cv2.imwrite(str(root / "images" / f"{i}.png"), img)
        h, w = img.shape[:2]
        quad = np.array([[20, 20], [w - 20, 20], [w - 20, h - 20], [20, h - 20]], np.float32)
        samples.append(DetSample(f"images/{i}.png", [quad], [word], [False]))
    write_det_labels(root / "label.txt", samples)
    return root


def test_eval_with_a_picture_as_predictions_is_a_clear_error(capsys, tiny_dataset):
    rc = main(["eval", "e2e", "--gt", str(tiny_dataset), "--pred", str(tiny_dataset / "images" / "0.png")])
    err = capsys.readouterr().err
    assert rc == 2
    line = _one_line(err)
    assert "0.png: is not a predictions file (it looks like a PNG file)" in line and "--model" in line


def test_eval_headline_says_how_text_is_compared(capsys, tiny_dataset, tmp_path):
    pred = tmp_path / "pred.jsonl"
    pred.write_text(
        "".join(
            json.dumps(
                {"image": f"images/{i}.png", "boxes": [{"points": [[0, 0], [1, 0], [1, 1]], "text": t}]}
            )
            + "\n"
            for i, t in enumerate(["alpha", "beta"])
        )
    )
    assert main(["eval", "e2e", "--gt", str(tiny_dataset), "--pred", str(pred)]) == 0
    out = capsys.readouterr().out
    assert (
        "text match: exact, case-sensitive (the ICDAR 2015 protocol ignores case: --normalize icdar)" in out
    )
    assert main(["eval", "e2e", "--gt", str(tiny_dataset), "--pred", str(pred), "--normalize", "icdar"]) == 0
    assert "text match: case-insensitive alphanumerics" in capsys.readouterr().out


def _no_bar(stderr: str) -> None:
    assert "\r" not in stderr and "it/s" not in stderr and "img/s" not in stderr, stderr[:500]


def test_eval_and_synth_draw_no_progress_bar_into_logs(tiny_dataset, tmp_path):
    """stderr is a pipe (a log file): no bar updates, only the messages."""
    import subprocess

    env = dict(os.environ, PYTHONPATH=str(REPO))
    cmd = [sys.executable, "-m", "lumenocr.cli.main"]
    proc = subprocess.run(
        [*cmd, "eval", "e2e", "--gt", str(tiny_dataset), "--model", "ppocrv6-small", "--threads", "1"],
        capture_output=True, text=True, timeout=600, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    _no_bar(proc.stderr)
    proc = subprocess.run(
        [*cmd, "synth", "rec", "--count", "3", "--workers", "1", "--out", str(tmp_path / "lines")],
        capture_output=True, text=True, timeout=600, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    _no_bar(proc.stderr)
    assert "wrote 3 lines" in proc.stderr


def test_ctrl_c_says_what_was_written_and_resume_finishes_the_run(capsys, monkeypatch, tmp_path, image):
    import lumenocr.batch

    second = tmp_path / "second.png"
    cv2.imwrite(str(second), render_lines(["Second page 7"], font_size=32))
    out = tmp_path / "out.jsonl"
    real = lumenocr.batch.run_batch

    def interrupted(files, job, kwargs, sink, **kw):  # Ctrl-C after the first record
        sink.write({"image": files[0], "page": None, "boxes": [], "seconds": 0.0}, "")
        raise KeyboardInterrupt

    monkeypatch.setattr(lumenocr.batch, "run_batch", interrupted)
    rc, _, err = _run(capsys, image, second, "-o", out, "--workers", "1")
    assert rc == 130
    assert f"interrupted: 1 new record(s) are in {out}; the same command with --resume continues" in err
    monkeypatch.setattr(lumenocr.batch, "run_batch", real)
    rc, _, err = _run(capsys, image, second, "-o", out, "--workers", "1", "--resume")
    assert rc == 0, err
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["image"] for r in records] == [str(image), str(second)]  # each once, in order
    assert "Second page 7" in " ".join(b["text"] for b in records[1]["boxes"])
    # JSON cannot be resumed: the message says the file is incomplete, and the file stays valid JSON.
    monkeypatch.setattr(lumenocr.batch, "run_batch", interrupted)
    rc, _, err = _run(capsys, image, second, "-o", tmp_path / "out.json", "--workers", "1")
    assert rc == 130 and "the run is incomplete; only JSONL output (-o FILE.jsonl) can be resumed" in err
    assert [r["image"] for r in json.loads((tmp_path / "out.json").read_text())] == [str(image)]


def test_file_names_that_are_not_utf8_are_read_written_and_resumed(capsys, tmp_path, image):
    # A GBK or Latin-1 file name unpacked on Linux is bytes Python keeps as lone surrogates;
    # writing it into UTF-8 JSONL raised UnicodeEncodeError and stopped the whole batch.
    folder = tmp_path / "in"
    folder.mkdir()
    good = os.path.join(str(folder), os.fsdecode("报告".encode("gbk") + b".png"))
    bad = os.path.join(str(folder), os.fsdecode(b"\xe9t\xe9.png"))
    try:
        Path(good).write_bytes(image.read_bytes())
        Path(bad).write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)  # corrupt
    except (OSError, UnicodeEncodeError):
        pytest.skip("this file system refuses names that are not UTF-8")
    out = tmp_path / "out.jsonl"
    rc, _, err = _run(capsys, folder, "-o", out, "--workers", "1")
    assert rc == 1 and "Traceback" not in err  # the corrupt file failed, the other was read
    (record,) = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert record["image"] == good and "Hardening" in record["boxes"][0]["text"]
    failed = Path(f"{out}.failed.txt")
    assert failed.read_bytes() == os.fsencode(bad) + b"\n"  # the name's own bytes
    rc, _, err = _run(capsys, "--from-list", failed, "-o", out, "--resume", "--workers", "1")
    assert rc == 1 and "summary: 1 input(s): 0 done, 0 skipped (already done), 1 failed" in err
    assert "no such file" not in err  # the listed name was found again, and failed again
    rc, _, err = _run(capsys, good, "-o", out, "--resume", "--workers", "1")
    assert rc == 0 and "1 skipped (already done)" in err
    rc, text, err = _run(capsys, folder, "--format", "txt", "--workers", "1")  # names in text output
    assert rc == 1 and "Hardening" in text and "\\xe9t\\xe9.png: " in err, err
    assert "\\xb1\\xa8\\xb8\\xe6.png <==" in text  # the GBK name's bytes, shown as \\xNN
    pytest.importorskip("pyarrow")
    rc, _, err = _run(capsys, good, "-o", tmp_path / "out.parquet", "--workers", "1")
    assert rc == 0, err
