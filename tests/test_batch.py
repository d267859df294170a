"""lumenocr.batch: planning, sharding, crash-safe output, resume after SIGKILL, the worker pool,
and bad inputs inside a batch (through the real CLI, on generated images whose text is known)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import cv2
import pytest

from lumenocr.batch.plan import (
    Unit,
    group_tasks,
    in_shard,
    parse_shard,
    plan_units,
    read_list,
    remaining,
    shard,
)
from lumenocr.batch.resume import AppendJsonlWriter, load_done, write_failed_list
from lumenocr.errors import ConfigError
from lumenocr.vis.sample import render_lines

REPO = Path(__file__).resolve().parents[1]
WORDS = [
    "alpha river 12",
    "bright summer 345",
    "copper lantern",
    "delta orchard 6",
    "emerald signal",
    "forest window 78",
    "granite harbor",
    "hollow meadow 9",
    "ivory bridge 101",
    "jasper valley",
]


def _model_available() -> bool:
    from lumenocr.cli.models import model_status
    from lumenocr.zoo import DEFAULT_MODEL, get_spec

    return model_status(get_spec(DEFAULT_MODEL))[0]


needs_model = pytest.mark.skipif(
    not _model_available(), reason="the default zoo model's package is not installed"
)


def _cli(*argv, **kw) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen(
        [sys.executable, "-m", "lumenocr.cli.main", "ocr", *map(str, argv)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        **kw,
    )


def _run_cli(*argv, timeout: float = 180) -> tuple[int, str, str]:
    proc = _cli(*argv)
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _strip(records: list[dict]) -> list[tuple]:
    """What must match between runs (not the timing)."""
    return [(r["image"], r["page"], r["boxes"]) for r in records]


@pytest.fixture(scope="module")
def images(tmp_path_factory) -> list[Path]:
    d = tmp_path_factory.mktemp("batch_inputs")
    paths = []
    for i, text in enumerate(WORDS):
        p = d / f"img_{i:02d}.png"
        assert cv2.imwrite(str(p), render_lines([text], font_size=28, margin=12))
        paths.append(p)
    return paths


# --- planning, sharding, lists ----------------------------------------------------------------------
def test_shards_partition_the_list_and_do_not_depend_on_order():
    files = [f"scans/page_{i:05d}.png" for i in range(1000)]
    parts = [shard(files, k, 4) for k in range(1, 5)]
    assert sorted(f for p in parts for f in p) == sorted(files)  # every input once
    assert all(150 < len(p) < 350 for p in parts)  # roughly even
    shuffled = list(reversed(files)) + ["scans/new.png"]
    assert set(shard(shuffled, 2, 4)) - {"scans/new.png"} == set(parts[1])  # same file, same shard
    assert in_shard("x", 1, 1)


@pytest.mark.parametrize("spec", ["0/4", "5/4", "1/0", "a/b", "3", "1/-2"])
def test_bad_shard_specs_are_refused(spec):
    with pytest.raises(ConfigError, match="K/N"):
        parse_shard(spec)


def test_read_list_skips_blanks_and_comments(tmp_path):
    f = tmp_path / "list.txt"
    f.write_text("# inputs\n a.png \n\nhttp://host/b.jpg\n#c.png\n", encoding="utf-8")
    assert read_list(str(f)) == ["a.png", "http://host/b.jpg"]
    with pytest.raises(ConfigError, match="no such file"):
        read_list(str(tmp_path / "nope.txt"))


def test_pdf_pages_are_units_and_done_ones_are_skipped(tmp_path):
    from PIL import Image

    pdf = tmp_path / "doc.pdf"
    pages = [Image.new("RGB", (100, 50), "white") for _ in range(3)]
    pages[0].save(pdf, save_all=True, append_images=pages[1:])
    files = [str(tmp_path / "a.png"), str(pdf), str(tmp_path / "clip.mp4")]
    units = plan_units(files)
    assert [(u.index, u.page, u.video) for u in units] == [
        (0, None, False),
        (1, 0, False),
        (1, 1, False),
        (1, 2, False),
        (2, None, True),
    ]
    todo = remaining(units, {(str(pdf), 1), (files[0], None)})
    assert [(u.index, u.page) for u in todo] == [(1, 0), (1, 2), (2, None)]


def test_rec_mode_groups_whole_inputs_only():
    units = [Unit(0, "a"), Unit(1, "b"), Unit(2, "c.pdf", 0), Unit(3, "d"), Unit(4, "e"), Unit(5, "f")]
    tasks = group_tasks(units, chunk=2)
    assert [[u.source for u in t.units] for t in tasks] == [["a", "b"], ["c.pdf"], ["d", "e"], ["f"]]
    assert [t.number for t in tasks] == [0, 1, 2, 3]


# --- crash-safe output ------------------------------------------------------------------------------
def test_torn_last_line_is_cut_and_whole_lines_kept(tmp_path):
    out = tmp_path / "out.jsonl"
    with AppendJsonlWriter(str(out)) as w:
        w.write({"image": "a.png", "page": None, "boxes": []})
        w.write_block([{"image": "doc.pdf", "page": 0}, {"image": "doc.pdf", "page": 1}])
    whole = out.read_bytes()
    out.write_bytes(whole + b'{"image": "b.png", "pa')  # a write cut short
    assert load_done(str(out)) == {("a.png", None), ("doc.pdf", 0), ("doc.pdf", 1)}
    assert out.read_bytes() == whole
    out.write_bytes(whole + b"{not json}\n")  # an unparsable last line is torn too
    assert len(load_done(str(out))) == 3 and out.read_bytes() == whole
    out.write_bytes(b"garbage\n" + whole)  # but a bad line in the middle is not ours to cut
    with pytest.raises(ConfigError, match="line 1"):
        load_done(str(out))


def test_failed_list_is_written_and_removed_when_nothing_fails(tmp_path):
    out = str(tmp_path / "o.jsonl")
    path = write_failed_list(out, ["x.png", "http://h/y.jpg"])
    assert path and read_list(path) == ["x.png", "http://h/y.jpg"]
    assert write_failed_list(out, []) is None and not os.path.exists(path)


# --- the real CLI -----------------------------------------------------------------------------------
def _children(pid: int) -> list[int]:
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            kids += [int(x) for x in (task / "children").read_text().split()]
    return kids


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


@needs_model
@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_sigkill_then_resume_equals_an_uninterrupted_run(images, tmp_path):
    folder = images[0].parent
    full = tmp_path / "full.jsonl"
    rc, _, err = _run_cli(folder, "-o", full, "--workers", "1", "-q")
    assert rc == 0, err
    expected = _records(full)
    assert len(expected) == len(WORDS)

    part = tmp_path / "part.jsonl"
    proc = _cli(folder, "-o", part, "--workers", "2", "--threads", "1")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if part.exists() and part.read_bytes().count(b"\n") >= 3:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the run ended before it could be killed: " + proc.communicate()[1]
    workers = _children(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    kept = part.read_bytes()
    assert kept.endswith(b"\n")  # whole lines only: every record was one write()
    n_kept = kept.count(b"\n")
    assert 3 <= n_kept < len(WORDS)
    deadline = time.monotonic() + 15  # the worker processes die with their parent
    while time.monotonic() < deadline and any(_alive(p) for p in workers):
        time.sleep(0.1)
    assert workers and not any(_alive(p) for p in workers)

    with open(part, "ab") as f:  # and should the kernel ever tear a line, resume cuts it off
        f.write(b'{"image": "' + str(folder).encode() + b'/img_09.png", "pag')
    rc, _, err = _run_cli(folder, "-o", part, "--resume", "--workers", "2", "--threads", "1")
    assert rc == 0, err
    assert f"{n_kept} skipped (already done)" in err and f"{len(WORDS) - n_kept} done" in err
    resumed = _records(part)
    assert _strip(resumed) == _strip(expected)  # record for record, in input order, none twice
    texts = [" ".join(b["text"] for b in r["boxes"]) for r in resumed]
    assert sum(t == w for t, w in zip(texts, WORDS)) >= len(WORDS) - 1


class _StallingServer:
    """Accepts connections and never answers (a URL that times out)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.conns: list[socket.socket] = []
        self.stop = threading.Event()
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/scan.png"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
                self.conns.append(conn)
            except OSError:
                continue

    def close(self) -> None:
        self.stop.set()
        for c in self.conns:
            c.close()
        self.sock.close()


def _pdf_with_a_broken_page(path: Path) -> None:
    """Three pages with text; the page tree's second kid is an image, not a page, so PDFium
    cannot load page 1 while pages 0 and 2 read normally."""
    from PIL import Image

    ims = [
        Image.fromarray(cv2.cvtColor(render_lines([t], font_size=36), cv2.COLOR_BGR2RGB)) for t in WORDS[:3]
    ]
    ims[0].save(path, save_all=True, append_images=ims[1:], resolution=100)
    data = path.read_bytes()
    kids = data[data.index(b"/Kids") : data.index(b"]", data.index(b"/Kids")) + 1]
    refs = kids[kids.index(b"[") + 1 : -1].split(b"R")
    image_obj = data[: data.index(b"/Subtype /Image")].rsplit(b" obj", 1)[0].rsplit(b"\n", 1)[-1].split()[0]
    second = refs[1].split()[0]
    assert len(image_obj) == len(second)  # same length: the xref offsets stay right
    bad = kids.replace(b" " + second + b" 0 R", b" " + image_obj + b" 0 R", 1)
    path.write_bytes(data.replace(kids, bad))


def _broken_video(path: Path) -> None:
    """An MJPEG AVI cut in the middle of its stream."""
    tmp = path.with_suffix(".full.avi")
    vw = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"MJPG"), 10, (320, 96))
    assert vw.isOpened()
    frame = render_lines(["broken stream"], font_size=30)
    frame = cv2.resize(frame, (320, 96))
    for _ in range(40):
        vw.write(frame)
    vw.release()
    data = tmp.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    tmp.unlink()


@needs_model
def test_bad_inputs_inside_a_batch_are_reported_counted_and_listed(images, tmp_path):
    pdf = tmp_path / "report.pdf"
    _pdf_with_a_broken_page(pdf)
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00broken" * 50)
    video = tmp_path / "clip.avi"
    _broken_video(video)
    server = _StallingServer()
    good = [str(p) for p in images[:3]]
    listing = tmp_path / "inputs.txt"
    listing.write_text(
        "\n".join([good[0], str(corrupt), str(pdf), server.url, good[1], str(video), good[2]]) + "\n"
    )
    out = tmp_path / "out.jsonl"
    try:
        t0 = time.monotonic()
        rc, _, err = _run_cli("--from-list", listing, "-o", out, "--workers", "2", "--timeout", "1.5")
        elapsed = time.monotonic() - t0
    finally:
        server.close()
    assert rc == 1 and "Traceback" not in err
    records = _records(out)
    by_key = {(r["image"], r["page"]): r for r in records}
    for i, p in enumerate(good):
        assert " ".join(b["text"] for b in by_key[(p, None)]["boxes"]) == WORDS[i]
    assert {k[1] for k in by_key if k[0] == str(pdf)} == {0, 2}  # the readable pages of the PDF
    assert " ".join(b["text"] for b in by_key[(str(pdf), 2)]["boxes"]) == WORDS[2]
    spans = [r for r in records if r["image"] == str(video)]
    assert spans and spans[0]["text"] == "broken stream"  # what was read before the break is kept
    assert f"{corrupt}:" in err
    assert f"{pdf} (page 1): cannot render PDF page 1" in err
    assert f"{server.url}: download timed out after 1.5 s" in err
    assert f"{video}: video stream broken at" in err
    assert "7 input(s): 3 done, 0 skipped (already done), 4 failed" in err
    failed = out.with_name(out.name + ".failed.txt")
    assert read_list(str(failed)) == [str(corrupt), str(pdf), server.url, str(video)]
    assert elapsed < 120

    # The failed list feeds back in: with --resume only what is missing is tried again.
    rc, _, err = _run_cli("--from-list", failed, "-o", out, "--resume", "--workers", "1", "--timeout", "0.5")
    assert rc == 1
    assert "4 input(s): 0 done, 1 skipped (already done), 3 failed" in err  # the video's spans are in
    assert f"{pdf} (page 1)" in err and f"{pdf} (page 0)" not in err
    assert len(_records(out)) == len(records)  # nothing written twice


_AFFINITY_PROBE = """
import json, os, sys, threading
start = sorted(os.sched_getaffinity(0))
from lumenocr import OCR
ocr = OCR(threads=1)  # as a pool worker builds it: fewer threads than CPUs
seen, stop = set(), threading.Event()
def watch():  # OpenVINO pins a thread while it runs inference and restores it after: look meanwhile
    me = threading.get_native_id()
    while not stop.is_set():
        for t in os.listdir("/proc/self/task"):
            if int(t) != me:
                try:
                    seen.add(tuple(sorted(os.sched_getaffinity(int(t)))))
                except OSError:
                    pass
        stop.wait(0.001)
watcher = threading.Thread(target=watch)
watcher.start()
for _ in range(3):
    ocr(sys.argv[1])
stop.set()
watcher.join()
print(json.dumps({"start": start, "seen": sorted(seen)}))
"""


@needs_model
@pytest.mark.skipif(
    not sys.platform.startswith("linux") or len(os.sched_getaffinity(0)) < 2, reason="needs Linux, >= 2 CPUs"
)
def test_single_threaded_worker_is_not_pinned_to_one_cpu(images):
    # OpenVINO pins the threads of every process to the first CPUs of its mask while they
    # infer: all workers of a pool ran on CPU 0 and the "all-core" batch on one core. A
    # worker with fewer threads than CPUs must keep its whole mask, whatever engine "auto" picks.
    out = subprocess.run(
        [sys.executable, "-c", _AFFINITY_PROBE, str(images[0])],
        capture_output=True, text=True, timeout=120, cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["seen"] == [seen["start"]], seen


@needs_model
def test_pool_library_api_orders_streams_and_recycles(images, tmp_path):
    from lumenocr.batch import BatchJob, BatchOptions, run_batch

    class Sink:
        def __init__(self):
            self.records: list[dict] = []

        def write(self, record, text=""):
            self.records.append(record)

    files = [str(p) for p in images[:6]] + [str(tmp_path / "missing.png")]
    seq, ordered, streamed = Sink(), Sink(), Sink()
    s1 = run_batch(files, BatchJob(), {"threads": 1}, seq)
    s2 = run_batch(files, BatchJob(), {"threads": 1}, ordered, options=BatchOptions(workers=2, recycle=2))
    s3 = run_batch(
        files, BatchJob(), {"threads": 1}, streamed, options=BatchOptions(workers=2, ordered=False)
    )
    assert s1.failed == s2.failed == s3.failed == [files[-1]]
    assert s1.done == s2.done == s3.done == 6
    assert _strip(ordered.records) == _strip(seq.records)
    assert sorted(r["index"] for r in streamed.records) == list(range(6))
    for r in streamed.records:
        assert r["image"] == files[r["index"]]
    assert sorted(_strip(streamed.records)) == sorted(_strip(seq.records))


@needs_model
def test_a_model_error_in_the_workers_stops_the_batch_with_its_message(images, tmp_path):
    # Workers build their own OCR: an error there (here a dictionary that does not fit the
    # recognizer) must reach the caller as that error, not as every input "failed because its
    # worker died" (an initializer that raises breaks the pool).
    from lumenocr.batch import BatchJob, BatchOptions, run_batch
    from lumenocr.errors import DictionaryMismatchError

    keys = tmp_path / "keys.txt"
    keys.write_text("a\nb\nc\n", encoding="utf-8")
    written: list[dict] = []

    class Sink:
        def write(self, record, text=""):
            written.append(record)

    reports: list[str] = []
    with pytest.raises(DictionaryMismatchError, match="does not belong to this model"):
        run_batch(
            [str(p) for p in images[:4]], BatchJob(), {"threads": 1, "dictionary": str(keys)}, Sink(),
            options=BatchOptions(workers=2), report=reports.append,
        )  # fmt: skip
    assert written == [] and reports == []

    # The command starts its workers before it creates any output, and stops there.
    out = tmp_path / "never.jsonl"
    rc, _, err = _run_cli(*images[:4], "--workers", "2", "--dict", keys, "-o", out, timeout=120)
    assert rc == 2 and "does not belong to this model" in err and "Traceback" not in err, err[-2000:]
    assert not out.exists()


@needs_model
def test_worker_pool_starts_every_worker_at_once(images):
    # The workers load their models side by side as soon as the pool exists (a spawning
    # ProcessPoolExecutor would otherwise start one process per submitted call).
    import multiprocessing

    from lumenocr.batch.pool import WorkerPool

    before = set(multiprocessing.active_children())
    with WorkerPool({"threads": 1}, 2) as pool:
        pool.ready()
        assert len(set(multiprocessing.active_children()) - before) == 2
    assert set(multiprocessing.active_children()) <= before
