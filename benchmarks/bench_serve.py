"""Load test of `lumenocr serve` on loopback, side by side with RapidOCR's `rapidocr_api`.

Both servers run at the same time (same weights: PP-OCRv6 small; each at its defaults) and are
measured in turn, level by level, on the same real images (ICDAR 2015 test photos), so the
background load of this shared machine hits both alike:

* throughput and p50/p95/p99 latency at concurrency 1, 4 and 16 (closed loop: each client
  sends its next request when the last one is answered), and the number of 5xx answers;
* memory: RSS of the server process after the first 200 and after 2,000 requests of small
  real images (ICDAR 2015 word crops through the whole system, concurrency 4), to catch a
  leak without spending an hour of CPU.

rapidocr_api must be installed in a separate virtual environment (it pulls its own stack):

    python3 -m venv /tmp/peers && /tmp/peers/bin/pip install rapidocr_api==0.2.0
    python benchmarks/bench_serve.py --peer-python /tmp/peers/bin/python

Writes benchmarks/results/serve_load.md and serve_load.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
RESULTS = REPO / "benchmarks" / "results"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Server:
    """A server in its own process, and how to send it one image."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        port: int,
        route: str,
        field: str,
        ready_path: str,
        env: dict | None = None,
    ):
        self.name, self.port, self.route, self.field, self.ready_path = name, port, route, field, ready_path
        self.url = f"http://127.0.0.1:{port}"
        self.log = open(RESULTS / f".{name}.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            argv, stdout=self.log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )

    def wait_ready(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: see {self.log.name}")
            try:
                if httpx.get(self.url + self.ready_path, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"{self.name} not ready after {timeout} s")

    def post(self, client: httpx.Client, name: str, data: bytes) -> tuple[int, float]:
        t0 = time.perf_counter()
        r = client.post(self.url + self.route, files={self.field: (name, data, "application/octet-stream")})
        return r.status_code, time.perf_counter() - t0

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def run_load(server: Server, images: list[tuple[str, bytes]], concurrency: int, requests: int) -> dict:
    """``requests`` requests from ``concurrency`` closed-loop clients, images in turn."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    counter = iter(range(requests))

    def client_loop() -> None:
        with httpx.Client(timeout=600) as client:
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                name, data = images[i % len(images)]
                try:
                    status, secs = server.post(client, name, data)
                except httpx.HTTPError:
                    status, secs = 599, 0.0
                with lock:
                    statuses[status] = statuses.get(status, 0) + 1
                    if status == 200:
                        latencies.append(secs)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for f in [pool.submit(client_loop) for _ in range(concurrency)]:
            f.result()
    wall = time.perf_counter() - t0
    lat = sorted(latencies)

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(round(p / 100 * (len(lat) - 1))))] * 1000 if lat else float("nan")

    return {
        "system": server.name,
        "concurrency": concurrency,
        "requests": requests,
        "wall_s": round(wall, 2),
        "throughput_rps": round(len(lat) / wall, 3),
        "p50_ms": round(pct(50), 1),
        "p95_ms": round(pct(95), 1),
        "p99_ms": round(pct(99), 1),
        "mean_ms": round(statistics.fmean(lat) * 1000, 1) if lat else None,
        "status": {str(k): v for k, v in sorted(statuses.items())},
        "5xx": sum(v for k, v in statuses.items() if k >= 500),
    }


def memory_run(
    server: Server, crops: list[tuple[str, bytes]], total: int, first: int, concurrency: int
) -> dict:
    out = {"system": server.name, "requests": total, "concurrency": concurrency}
    out["rss_start_mb"] = round(rss_mb(server.proc.pid), 1)
    a = run_load(server, crops, concurrency, first)
    out["rss_after_first_mb"] = round(rss_mb(server.proc.pid), 1)
    b = run_load(server, crops, concurrency, total - first)
    out["rss_after_all_mb"] = round(rss_mb(server.proc.pid), 1)
    out["growth_pct"] = round(100 * (out["rss_after_all_mb"] / out["rss_after_first_mb"] - 1), 2)
    out["5xx"] = a["5xx"] + b["5xx"]
    out["status"] = {k: a["status"].get(k, 0) + b["status"].get(k, 0) for k in {*a["status"], *b["status"]}}
    out["throughput_rps"] = round((first + total - first) / (a["wall_s"] + b["wall_s"]), 2)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=int, default=24, help="ICDAR 2015 test images used (24)")
    ap.add_argument("--requests", type=int, default=48, help="requests per system and concurrency level (48)")
    ap.add_argument("--levels", default="1,4,16")
    ap.add_argument("--memory-requests", type=int, default=2000)
    ap.add_argument("--memory-first", type=int, default=200)
    ap.add_argument("--peer-python", help="python of the venv holding rapidocr_api (omit: lumenocr only)")
    ap.add_argument(
        "--workers-variant",
        action="store_true",
        help="also measure `--workers 2 --max-concurrency 1` (processes instead of threads)",
    )
    ap.add_argument(
        "--peer-memory",
        action="store_true",
        help="also run the memory part on rapidocr_api (slow: it upscales small images to 736 px)",
    )
    ap.add_argument(
        "--log-level", default="warning", help="the lumenocr servers' log level (logs: results/.NAME.log)"
    )
    ap.add_argument("--out", default="serve_load")
    args = ap.parse_args(argv)
    # A plain `kill` must still stop the servers this script started (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    photos_dir = DATA / "icdar2015_test" / "images"
    crops_dir = DATA / "icdar2015_rec_test" / "crops"
    if not photos_dir.is_dir() or not crops_dir.is_dir():
        sys.exit(f"needs {photos_dir} and {crops_dir}")
    photos = [(p.name, p.read_bytes()) for p in sorted(photos_dir.iterdir())[: args.images]]
    crops = [(p.name, p.read_bytes()) for p in sorted(crops_dir.iterdir())[:200]]
    levels = [int(x) for x in args.levels.split(",")]

    env = {"PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    servers: list[Server] = []
    p1 = free_port()
    servers.append(
        Server(
            "lumenocr",
            [
                sys.executable,
                "-m",
                "lumenocr.cli.main",
                "serve",
                "--port",
                str(p1),
                "--max-queue",
                "64",
                "--log-level",
                args.log_level,
            ],
            p1,
            "/v1/ocr",
            "file",
            "/readyz",
            env,
        )
    )
    if args.workers_variant:
        p3 = free_port()
        servers.append(
            Server(
                "lumenocr-2proc",
                [
                    sys.executable,
                    "-m",
                    "lumenocr.cli.main",
                    "serve",
                    "--port",
                    str(p3),
                    "--workers",
                    "2",
                    "--max-concurrency",
                    "1",
                    "--max-queue",
                    "64",
                    "--log-level",
                    args.log_level,
                ],
                p3,
                "/v1/ocr",
                "file",
                "/readyz",
                env,
            )
        )
    if args.peer_python:
        p2 = free_port()
        peer_cmd = [
            args.peer_python,
            "-c",
            "from rapidocr_api.main import main; main()",
            "-ip",
            "127.0.0.1",
            "-p",
            str(p2),
        ]
        servers.append(Server("rapidocr_api", peer_cmd, p2, "/ocr", "image_file", "/"))
    try:
        for s in servers:
            s.wait_ready()
        for s in servers:  # warm-up: first requests allocate arenas
            run_load(s, photos[:2], 1, 2)
        rows = []
        for level in levels:
            order = servers if level % 2 else servers[::-1]  # alternate who goes first
            for s in order:
                row = run_load(s, photos, level, args.requests)
                print(json.dumps(row), flush=True)
                rows.append(row)
        memory = []
        for s in servers:
            if (
                args.memory_requests <= 0
                or s.name == "lumenocr-2proc"
                or (s.name == "rapidocr_api" and not args.peer_memory)
            ):
                continue  # RSS of one process is the question; the 2-process variant has two
            m = memory_run(s, crops, args.memory_requests, args.memory_first, 4)
            print(json.dumps(m), flush=True)
            memory.append(m)
    finally:
        for s in servers:
            s.stop()

    RESULTS.mkdir(parents=True, exist_ok=True)
    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_avg_end": os.getloadavg(),
        "images": len(photos),
        "command": "python benchmarks/bench_serve.py " + " ".join(argv if argv is not None else sys.argv[1:]),
    }
    (RESULTS / f"{args.out}.json").write_text(
        json.dumps({"meta": meta, "load": rows, "memory": memory}, indent=1)
    )
    lines = [
        "# `lumenocr serve` load test (loopback)",
        "",
        f"{meta['date']}, {meta['cpus']} CPUs shared with other jobs (load average at the end "
        f"{meta['load_avg_end'][0]:.1f}), Python {meta['python']}. Command: `{meta['command']}`.",
        f"Images: the first {len(photos)} ICDAR 2015 test photos (1280x720 JPEG), sent in turn, "
        f"{args.requests} requests per system and level; closed-loop clients. Each server at its defaults "
        '(lumenocr: 1 process, 2 concurrent requests x 1 thread, queue 64, engine "auto" (OpenVINO when installed); rapidocr_api 0.2.0: '
        "FastAPI sync route on one RapidOCR, PP-OCRv6 small like lumenocr).",
        "",
        "Status 599 counts requests that got no answer at all (client timeout of 600 s, or the "
        "connection reset); throughput and percentiles are over the answered (200) requests.",
        "",
        "| concurrency | system | throughput req/s | p50 ms | p95 ms | p99 ms | 5xx | statuses |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['concurrency']} | {r['system']} | {r['throughput_rps']:.2f} | {r['p50_ms']:.0f} | "
            f"{r['p95_ms']:.0f} | {r['p99_ms']:.0f} | {r['5xx']} | {r['status']} |"
        )
    peer = {r["concurrency"]: r for r in rows if r["system"] == "rapidocr_api"}
    ours = {r["concurrency"]: r for r in rows if r["system"] == "lumenocr"}
    if peer:
        lines += [
            "",
            "| concurrency | lumenocr / rapidocr_api throughput | lumenocr / rapidocr_api p50 latency |",
            "|---|---|---|",
        ]
        for c in levels:
            if c in peer and c in ours and peer[c]["throughput_rps"]:
                lines.append(
                    f"| {c} | {ours[c]['throughput_rps'] / peer[c]['throughput_rps']:.2f} | "
                    f"{ours[c]['p50_ms'] / peer[c]['p50_ms']:.2f} |"
                )
    lines += [
        "",
        f"Memory: {args.memory_requests} requests of small real images (the first 200 ICDAR 2015 "
        "word crops in turn, whole system), 4 clients; RSS of the server process.",
        "",
        "| system | RSS at start MB | after first 200 MB | after 2,000 MB | growth | 5xx | req/s |",
        "|---|---|---|---|---|---|---|",
    ]
    for m in memory:
        lines.append(
            f"| {m['system']} | {m['rss_start_mb']} | {m['rss_after_first_mb']} | {m['rss_after_all_mb']} | "
            f"{m['growth_pct']:+.1f}% | {m['5xx']} | {m['throughput_rps']} |"
        )
    (RESULTS / f"{args.out}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
