"""``codesift eval``: ranking quality and latency of each approach, side by side."""
