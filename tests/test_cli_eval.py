"""``lumenocr eval``: end to end through the CLI dispatcher."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lumenocr.cli.main import main
from lumenocr.io.labels import DetSample, RecSample, write_det_labels, write_rec_labels

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def rect(x0, y0, x1, y1):
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]


def box(points, text="", words=None):
    b = {"points": points, "text": text, "score": 0.9}
    if words is not None:
        b["words"] = words
    return b


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def dataset(tmp_path):
    """Two images with word-level ground truth; image a has a don't-care box."""
    a = DetSample(
        "images/a.jpg",
        [np.array(rect(0, 0, 40, 10)), np.array(rect(50, 0, 90, 10)), np.array(rect(0, 50, 40, 60))],
        ["Name:", "John", "###"],
        [False, False, True],
    )
    b = DetSample("images/b.jpg", [np.array(rect(0, 0, 30, 10))], ["Date"], [False])
    write_det_labels(tmp_path / "label.txt", [a, b])
    return tmp_path


def run(capsys, *argv):
    code = main(["eval", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_det_from_jsonl_matches_paths_tolerantly(dataset, tmp_path, capsys):
    pred = write_jsonl(
        tmp_path / "pred.jsonl",
        [
            # absolute path of the image: matched to images/a.jpg
            {"image": str(dataset / "images" / "a.jpg"), "page": None, "seconds": 0.1,
             "boxes": [box(rect(0, 0, 90, 10), "Name: John"), box(rect(1, 50, 39, 60), "junk")]},
            # bare file name: matched by its unique basename
            {"image": "b.jpg", "page": None, "seconds": 0.1, "boxes": [box(rect(0, 0, 30, 10), "Date")]},
        ],
    )  # fmt: skip
    out_json = tmp_path / "m.json"
    code, out, err = run(
        capsys, "det", "--gt", dataset / "label.txt", "--pred", pred, "--json", out_json, "--worst", 1
    )
    assert code == 0, err
    assert "hmean" in out
    assert "worst 1 image(s):\n    images/a.jpg  hmean 0.000  gt 2  pred 1  matched 0" in out
    m = json.loads(out_json.read_text())["metrics"]
    # Line box over two words: IoU 40/90 with each -> no match; the junk box lies in the don't-care region.
    assert (m["gt"], m["pred"], m["matched"], m["ignored_pred"]) == (3, 2, 1, 1)
    assert (m["precision"], m["recall"]) == (0.5, pytest.approx(1 / 3, abs=1e-6))
    assert [p["image"] for p in m["per_image"]] == ["images/a.jpg", "images/b.jpg"]


def test_words_option_scores_word_boxes(dataset, tmp_path, capsys):
    words = [box(rect(0, 0, 40, 10), "Name:"), box(rect(50, 0, 90, 10), "john")]
    pred = write_jsonl(
        tmp_path / "pred.jsonl",
        [
            {"image": "images/a.jpg", "boxes": [box(rect(0, 0, 90, 10), "Name: john", words)]},
            {
                "image": "images/b.jpg",
                "boxes": [box(rect(0, 0, 30, 10), "Date")],
            },  # no words: kept as the line
        ],
    )
    code, out, err = run(
        capsys, "e2e", "--gt", dataset, "--pred", pred, "--words", "--normalize", "icdar", "--json", "-"
    )
    assert code == 0, err
    assert "1 line box(es) carry no word boxes" in err
    m = json.loads(out)["metrics"]
    assert (m["gt"], m["pred"], m["matched"], m["correct"]) == (3, 3, 3, 3)
    code, out, _ = run(capsys, "e2e", "--gt", dataset, "--pred", pred, "--words", "--json", "-")
    assert json.loads(out)["metrics"]["correct"] == 2  # exact: "john" != "John"


def test_e2e_page_text(dataset, tmp_path, capsys):
    pred = write_jsonl(
        tmp_path / "pred.jsonl",
        [
            {"image": "images/a.jpg", "boxes": [box(rect(0, 0, 90, 10), "Name: Jon")]},
            {"image": "images/b.jpg", "boxes": [box(rect(0, 0, 30, 10), "Date")]},
        ],
    )
    code, out, err = run(capsys, "e2e", "--gt", dataset, "--pred", pred, "--page-text", "--json", "-")
    assert code == 0, err
    page = json.loads(out)["page_text"]
    # "Name: John" + "Date": 14 characters, one missing; 3 words, one wrong.
    assert (page["char_errors"], page["gt_chars"], page["word_errors"], page["gt_words"]) == (1, 14, 1, 3)


def test_missing_and_unknown_predictions_are_reported(dataset, tmp_path, capsys):
    pred = write_jsonl(
        tmp_path / "pred.jsonl",
        [
            {"image": "images/a.jpg", "boxes": [box(rect(0, 0, 40, 10))]},
            {"image": "other/zzz.jpg", "boxes": []},
        ],
    )
    code, out, err = run(capsys, "det", "--gt", dataset, "--pred", pred, "--json", "-")
    assert code == 0
    assert "1 ground-truth image(s) have no prediction" in err and "images/b.jpg" in err
    assert "1 prediction(s) name no ground-truth image" in err and "other/zzz.jpg" in err
    m = json.loads(out)["metrics"]
    assert (m["gt"], m["matched"]) == (3, 1)


def test_only_predicted_scores_the_images_that_were_run(dataset, tmp_path, capsys):
    pred = write_jsonl(
        tmp_path / "pred.jsonl", [{"image": "images/b.jpg", "boxes": [box(rect(0, 0, 30, 10))]}]
    )
    code, out, err = run(capsys, "det", "--gt", dataset, "--pred", pred, "--json", "-")
    assert json.loads(out)["metrics"]["recall"] == pytest.approx(1 / 3, abs=1e-6)  # image a counts as empty
    assert "--only-predicted" in err
    code, out, err = run(capsys, "det", "--gt", dataset, "--pred", pred, "--only-predicted", "--json", "-")
    assert code == 0
    assert "scoring 1 of 2" in err
    m = json.loads(out)["metrics"]
    assert (m["images"], m["gt"], m["recall"], m["precision"]) == (1, 1, 1.0, 1.0)


def test_rec(tmp_path, capsys):
    write_rec_labels(
        tmp_path / "label.txt",
        [RecSample("c/1.png", "Hello"), RecSample("c/2.png", "42"), RecSample("c/3.png", "x")],
    )
    pred = write_jsonl(
        tmp_path / "pred.jsonl",
        [{"image": "c/1.png", "text": "hello", "score": 0.9}, {"image": "c/2.png", "text": "42"}],
    )
    code, out, err = run(
        capsys, "rec", "--gt", tmp_path / "label.txt", "--pred", pred, "--json", tmp_path / "m.json"
    )
    assert code == 0, err
    assert "count as wrong" in err and "c/3.png" in err
    assert "accuracy" in out and "'H'->'h' 1" in out
    payload = json.loads((tmp_path / "m.json").read_text())
    assert payload["metrics"]["correct"] == 1
    assert payload["wrong_examples"] == [
        {"image": "c/1.png", "gt": "Hello", "pred": "hello"},
        {"image": "c/3.png", "gt": "x", "pred": ""},
    ]
    code, out, _ = run(
        capsys, "rec", "--gt", tmp_path / "label.txt", "--pred", pred, "--normalize", "icdar", "--json", "-"
    )
    assert json.loads(out)["metrics"]["correct"] == 2


def test_icdar_ground_truth_folder(tmp_path, capsys):
    gt = tmp_path / "gt"
    gt.mkdir()
    (gt / "gt_img_1.txt").write_text(
        "0,0,10,0,10,10,0,10,Hi, there\n20,0,30,0,30,10,20,10,###\n", encoding="utf-8"
    )
    (gt / "gt_img_2.txt").write_text("0,0,10,0,10,10,0,10,Yo\n", encoding="utf-8")
    pred = write_jsonl(
        tmp_path / "pred.jsonl",
        [
            {"image": "/somewhere/img_1.jpg", "boxes": [box(rect(0, 0, 10, 10), "HI, THERE")]},
            {"image": "img_2.jpg", "boxes": [box(rect(0, 0, 10, 10), "yo!")]},
        ],
    )
    code, out, err = run(capsys, "e2e", "--gt", gt, "--pred", pred, "--normalize", "icdar", "--json", "-")
    assert code == 0, err
    m = json.loads(out)["metrics"]
    assert (m["gt"], m["correct"], m["images"]) == (2, 2, 2)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["det", "--gt", "{d}/nope.txt", "--pred", "{d}/pred.jsonl"], "ground truth not found"),
        (["det", "--gt", "{d}/label.txt", "--pred", "{d}/nope.jsonl"], "predictions file not found"),
        (["det", "--gt", "{d}/label.txt", "--pred", "{d}/bad.jsonl"], "bad.jsonl:2: not valid JSON"),
        (
            ["det", "--gt", "{d}/label.txt", "--pred", "{d}/other.jsonl"],
            "no prediction matches any ground-truth image",
        ),
        (["rec", "--gt", "{d}/label.txt", "--pred", "{d}/pred.jsonl"], "needs a recognition label file"),
        (["det", "--gt", "{d}/label.txt", "--pred", "{d}/pred.jsonl", "--page-text"], "--page-text applies"),
        (["det", "--gt", "{d}/label.txt", "--pred", "{d}/pred.jsonl", "--iou", "0"], "--iou must be"),
        (
            ["det", "--gt", "{d}/label.txt", "--pred", "{d}/pred.jsonl", "--save-pred", "x.jsonl"],
            "needs --model",
        ),
        (["det", "--gt", "{d}/label.txt", "--pred", "{d}/dup.jsonl"], "refer to the same ground-truth image"),
    ],
)
def test_errors_are_one_line_messages(dataset, capsys, argv, message):
    write_jsonl(dataset / "pred.jsonl", [{"image": "images/a.jpg", "boxes": []}])
    (dataset / "bad.jsonl").write_text('{"image": "images/a.jpg", "boxes": []}\n{oops\n', encoding="utf-8")
    write_jsonl(dataset / "other.jsonl", [{"image": "elsewhere/z.jpg", "boxes": []}])
    write_jsonl(
        dataset / "dup.jsonl", [{"image": "images/a.jpg", "boxes": []}, {"image": "a.jpg", "boxes": []}]
    )
    code, _, err = run(capsys, *[a.format(d=dataset) for a in argv])
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_model_run_checks_images_before_loading_the_model(dataset, tmp_path, capsys):
    # The images of the fixture do not exist: the error names the first one, whatever the model name.
    code, _, err = run(capsys, "det", "--gt", dataset, "--model", "no-such-model")
    assert code == 2
    assert "images/a.jpg" in err and "not found" in err
    gt = tmp_path / "icdar"
    gt.mkdir()
    (gt / "gt_img_1.txt").write_text("0,0,10,0,10,10,0,10,Hi\n", encoding="utf-8")
    code, _, err = run(capsys, "det", "--gt", gt, "--model", "no-such-model")
    assert code == 2 and "pass --images FOLDER" in err
    (tmp_path / "imgs").mkdir()
    code, _, err = run(capsys, "det", "--gt", gt, "--model", "no-such-model", "--images", tmp_path / "imgs")
    assert code == 2 and "no image named img_1.*" in err


def test_gt_and_pred_or_model_are_required(capsys):
    with pytest.raises(SystemExit):
        main(["eval", "det", "--pred", "p.jsonl"])
    assert "--gt" in capsys.readouterr().err
    assert main(["eval", "det", "--gt", "x"]) == 2
    assert (
        "give --pred PREDICTIONS.jsonl, or --model NAME / --det-model / --rec-model"
        in capsys.readouterr().err
    )
    assert main(["eval", "rec", "--gt", "x", "--pred", "p.jsonl", "--rec-model", "r.onnx"]) == 2
    assert "do not go with --pred" in capsys.readouterr().err


def _model_available(name: str) -> bool:
    try:
        from lumenocr.zoo import installed_models

        return bool(installed_models().get(name))
    except Exception:
        return False


@pytest.mark.data
@pytest.mark.slow
def test_model_run_on_real_data_round_trips_through_jsonl(tmp_path, capsys):
    gt = DATA / "icdar2015_test"
    if not (gt / "label.txt").is_file():
        pytest.skip(f"real data not found at {gt}")
    if not _model_available("ppocrv6-small"):
        pytest.skip("model ppocrv6-small is not installed")
    saved = tmp_path / "pred.jsonl"
    args = ["e2e", "--gt", gt, "--limit", 4, "--words", "--normalize", "icdar", "--quiet"]
    code, out, err = run(capsys, *args, "--model", "ppocrv6-small", "--save-pred", saved, "--json", "-")
    assert code == 0, err
    from_model = json.loads(out)["metrics"]
    assert from_model["images"] == 4
    assert from_model["det_hmean"] > 0.4  # a sane detector finds most words on these images
    # Re-scoring the saved predictions gives exactly the same figures.
    code, out, err = run(capsys, *args, "--pred", saved, "--json", "-")
    assert code == 0, err
    assert json.loads(out)["metrics"] == from_model


@pytest.mark.data
@pytest.mark.slow
def test_ocr_cli_jsonl_is_what_eval_reads(tmp_path, capsys):
    """The contract between `lumenocr ocr --format jsonl` and `lumenocr eval --pred`."""
    gt = DATA / "icdar2015_test"
    if not (gt / "label.txt").is_file():
        pytest.skip(f"real data not found at {gt}")
    if not _model_available("ppocrv6-small"):
        pytest.skip("model ppocrv6-small is not installed")
    images = [str(gt / "images" / f"img_{i}.jpg") for i in (1, 2)]
    saved = tmp_path / "ocr.jsonl"
    assert main(["ocr", *images, "--nested-words", "-o", str(saved), "-q", "--model", "ppocrv6-small"]) == 0
    capsys.readouterr()
    args = ["e2e", "--gt", gt, "--words", "--normalize", "icdar", "--quiet", "--json", "-"]
    code, out, err = run(capsys, *args, "--pred", saved, "--only-predicted")
    assert code == 0, err
    from_ocr = json.loads(out)["metrics"]
    code, out, err = run(capsys, *args, "--model", "ppocrv6-small", "--limit", 2)
    assert code == 0, err
    from_model = json.loads(out)["metrics"]
    assert from_ocr["images"] == 2
    assert from_ocr == from_model


@pytest.mark.data
@pytest.mark.slow
def test_model_rec_on_real_crops(capsys):
    gt = DATA / "icdar2015_rec_test" / "label.txt"
    if not gt.is_file():
        pytest.skip(f"real data not found at {gt}")
    if not _model_available("ppocrv6-small"):
        pytest.skip("model ppocrv6-small is not installed")
    code, out, err = run(capsys, "rec", "--gt", gt, "--model", "ppocrv6-small", "--limit", 64, "--normalize", "icdar",
                         "--quiet", "--json", "-")  # fmt: skip
    assert code == 0, err
    m = json.loads(out)["metrics"]
    assert m["total"] == 64
    assert m["accuracy"] > 0.5


def test_normalize_choices_are_the_metric_modes():
    import argparse

    from lumenocr.cli import eval as eval_cli
    from lumenocr.metrics.text import MODES

    sub = argparse.ArgumentParser().add_subparsers()
    eval_cli.register(sub)
    parser = sub.choices["eval"]
    [action] = [a for a in parser._actions if a.dest == "normalize"]
    assert tuple(action.choices) == MODES
