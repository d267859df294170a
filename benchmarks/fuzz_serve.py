"""Schema-driven fuzzing of `lumenocr serve` with Schemathesis (against its own OpenAPI document).

Schemathesis generates valid and invalid requests for every operation in /openapi.json (JSON and
multipart bodies, options out of range, wrong types, junk files) and checks that no answer is a
5xx. It lives in a separate virtual environment (its pytest plugin and pinned hypothesis stay out
of the project's test environment):

    python3 -m venv /tmp/fuzz && /tmp/fuzz/bin/pip install schemathesis==4.32.5
    python benchmarks/fuzz_serve.py --schemathesis /tmp/fuzz/bin/schemathesis

Writes benchmarks/results/serve_fuzz.md (cases tried, 5xx found) and keeps the NDJSON event log
beside it in benchmarks/results/.serve_fuzz/ (not committed).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--schemathesis", default="schemathesis", help="the schemathesis executable")
    ap.add_argument("--max-examples", type=int, default=500, help="cases per operation and phase (500)")
    ap.add_argument("--seed", type=int, default=20261130)
    args = ap.parse_args(argv)

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    work = RESULTS / ".serve_fuzz"
    work.mkdir(parents=True, exist_ok=True)
    log = open(work / "server.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lumenocr.cli.main",
            "serve",
            "--port",
            str(port),
            "--max-queue",
            "256",
            "--log-level",
            "warning",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"server did not start: see {work / 'server.log'}")
            time.sleep(0.5)
        events = work / "events.ndjson"
        cmd = [
            args.schemathesis,
            "run",
            f"{url}/openapi.json",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            str(args.max_examples),
            "--seed",
            str(args.seed),
            "--workers",
            "1",
            "--request-timeout",
            "120",
            "--suppress-health-check",
            "all",
            "--continue-on-failure",
            "--generation-database",
            "none",
            "--report",
            "ndjson",
            "--report-ndjson-path",
            str(events),
            "--no-color",
        ]
        t0 = time.perf_counter()
        run = subprocess.run(cmd, capture_output=True, text=True, cwd=work)  # its scratch files stay there
        wall = time.perf_counter() - t0
        alive = httpx.get(url + "/healthz", timeout=5).status_code == 200
    finally:
        server.terminate()
        server.wait(60)
        log.close()
    (work / "schemathesis.txt").write_text(run.stdout + run.stderr)
    # Count what was sent and answered, from the server's own access metrics would need the
    # server alive; the event log has every case with its response status.
    statuses: dict[int, int] = {}
    cases = 0
    for line in events.read_text().splitlines():
        for status in re.findall(r'"status_code":\s*(\d{3})', line):
            statuses[int(status)] = statuses.get(int(status), 0) + 1
            cases += 1
    fivexx = sum(n for s, n in statuses.items() if s >= 500)
    out = run.stdout.splitlines()
    start = next((i for i, ln in enumerate(out) if ln.startswith("Test cases:")), len(out))
    summary = [ln.strip() for ln in out[start : start + 3] if ln.strip()]
    lines = [
        "# Schema-driven fuzzing of `lumenocr serve`",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M')}; Schemathesis "
        f"{subprocess.run([args.schemathesis, '--version'], capture_output=True, text=True).stdout.split()[-1]} "
        f"against /openapi.json (all operations, all phases, positive and negative data), "
        f"check `not_a_server_error`, seed {args.seed}, at most {args.max_examples} cases per operation and phase.",
        f"Command: `python benchmarks/fuzz_serve.py --max-examples {args.max_examples} --seed {args.seed}`.",
        "",
        f"- requests answered: **{cases}** in {wall:.0f} s",
        f"- 5xx answers: **{fivexx}**",
        f"- status codes: {json.dumps({str(k): v for k, v in sorted(statuses.items())})}",
        f"- server still healthy afterwards: {alive}",
        f"- schemathesis exit code: {run.returncode}",
        "",
        "Schemathesis summary:",
        "",
        "```",
        *summary[-12:],
        "```",
    ]
    (RESULTS / "serve_fuzz.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0 if fivexx == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
