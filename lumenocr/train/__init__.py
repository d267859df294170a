"""Training (the ``[train]`` extra): YAML config -> datasets -> trainer -> ONNX export.

Modules: ``config`` (validated sections, ``-o`` overrides), ``datasets`` (label files, LMDB,
``ratio_list``), ``augment``, ``db_targets``, ``losses``, ``optim`` (optimizers, per-iteration
schedules), ``trainer`` (loop, evaluation through the pipeline, checkpoints, DDP), ``engine``
(``TorchEngine``), ``export`` (ONNX + metadata), ``inspect`` (``lumenocr data inspect``),
``toydata`` (tiny generated sets for smoke tests). Torch is imported only under
``lumenocr.train`` and ``lumenocr.models``.
"""
