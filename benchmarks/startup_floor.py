"""The floor of a whole-process OCR run on ONNX Runtime: only the work no implementation avoids.

Run by ``bench_startup.py`` as a fresh process, beside ``lumenocr ocr``: it imports numpy,
OpenCV and ONNX Runtime and nothing else (no lumenocr), creates the ONNX Runtime sessions of
the models lumenocr ran on the image, with lumenocr's session settings (threads, spinning,
memory arena, its cached optimised graphs), each in a thread of its own started at once
(session creation runs in native code), decodes the image with OpenCV meanwhile, and runs the model calls lumenocr made on that
image, in the same order and at the same input shapes (inputs: the image resized to each shape
and scaled to [-1, 1]). No pre- or post-processing beyond that, no output. Any OCR program that
runs these models on this image does at least this.

    python benchmarks/startup_floor.py PLAN.json

PLAN.json (written by ``bench_startup.py``, which records lumenocr's calls in process)::

    {"image": "...jpg", "models": [{"path": "...onnx", "threads": 2, "spinning": false,
                                    "arena": true, "optimized": true}, ...],
     "calls": [[model_index, [n, c, h, w]], ...]}
"""

from __future__ import annotations

import json
import sys
import threading

import cv2
import numpy as np
import onnxruntime as ort


def session(model: dict, out: list, i: int) -> None:
    so = ort.SessionOptions()
    so.log_severity_level = 3
    so.intra_op_num_threads = model["threads"]
    so.inter_op_num_threads = 1
    so.enable_cpu_mem_arena = model.get("arena", False)
    so.enable_mem_pattern = False
    if not model["spinning"]:
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if model.get("optimized"):  # a graph ONNX Runtime already optimised (lumenocr's model cache)
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    out[i] = ort.InferenceSession(model["path"], so, providers=["CPUExecutionProvider"])


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as f:
        plan = json.load(f)
    models = plan["models"]
    sessions: list = [None] * len(models)
    threads = [threading.Thread(target=session, args=(m, sessions, i)) for i, m in enumerate(models)]
    for t in threads:
        t.start()
    image = cv2.imread(plan["image"], cv2.IMREAD_COLOR)
    if image is None:
        sys.exit(f"cannot read {plan['image']}")
    for index, (n, c, h, w) in plan["calls"]:
        x = cv2.resize(image, (w, h)).astype(np.float32) * np.float32(2 / 255) - np.float32(1)
        batch = np.ascontiguousarray(np.broadcast_to(x.transpose(2, 0, 1)[:c], (n, c, h, w)))
        threads[index].join()
        sess = sessions[index]
        sess.run(None, {sess.get_inputs()[0].name: batch})


if __name__ == "__main__":
    main()
