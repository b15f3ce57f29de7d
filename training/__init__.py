"""Scripts that make codesift's shipped models (see training/README.md).

Run them as modules from the repository root, e.g. ``python -m training.mine --help``.
"""

import os

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")  # before any onnxruntime import
