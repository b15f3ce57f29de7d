"""Benchmarks and tuning scripts (see docs/BENCHMARKS.md).

Run them as modules from the repository root, e.g. ``.venv/bin/python -m bench.engine``.
"""

import os

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")  # before any onnxruntime import
