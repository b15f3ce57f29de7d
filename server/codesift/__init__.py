"""codesift: local code search with late-binding reranking."""

import os

# codesift sends nothing anywhere. onnxruntime's wheel carries a telemetry client that,
# unless told otherwise before its first import, writes a device id and an event queue
# under the user cache dir and may try to send them; every entry point (CLI, server,
# eval, tests, training) imports this package first.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

__version__ = "0.1.0"
