"""``codesift eval --plot FILE.png``: MRR@10 against p50 latency, one point per approach,
where a person would rather look than read. matplotlib is an optional extra
(``pip install 'codesift[plot]'``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..errors import UserError
from .runner import ApproachResult


def plot(results: Sequence[ApproachResult], path: Path, title: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only: no display needed
        import matplotlib.pyplot as plt
        import matplotlib.ticker
    except ImportError:
        raise UserError("--plot needs matplotlib: pip install 'codesift[plot]'") from None
    points = [(r.name, r.latency_ms["total"]["p50"], r.scores.mrr10) for r in results
              if r.ran and r.scores is not None and "total" in r.latency_ms]
    if not points:
        raise UserError("--plot: no approach ran with measured latency")
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=120)
    for name, ms, mrr in points:
        ax.scatter([ms], [mrr], s=40)
        ax.annotate(name, (ms, mrr), textcoords="offset points", xytext=(6, 4))
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel("p50 latency per query, ms (log scale)")
    ax.set_ylabel("MRR@10")
    ax.set_title(title, fontsize=9)
    ax.grid(True, alpha=0.3)
    try:
        fig.tight_layout()
        fig.savefig(path)
    except OSError as exc:
        raise UserError(f"--plot: cannot write {path}: {exc.strerror or exc}") from None
    finally:
        plt.close(fig)
