"""Settings: one tree of fully-defaulted dataclasses.

Sources, later ones winning: built-in defaults, ``codesift.toml`` at the workspace
root (or ``[tool.codesift]`` in ``pyproject.toml`` when there is no codesift.toml),
then overrides from the caller (CLI flags, later LSP initializationOptions).
Unknown keys and wrong types raise ConfigError naming the dotted key.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args, get_origin, get_type_hints

import dacite

from .errors import ConfigError

DEFAULT_EXCLUDE_DIRS = [
    ".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__",
    "target", "dist", "build", ".tox", ".mypy_cache", ".pytest_cache", ".ruff_cache",
]
DEFAULT_GENERATED_FILES = [
    "*.min.js", "*.min.css", "*.map", "package-lock.json", "yarn.lock", "pnpm-lock.yaml",
    "Cargo.lock", "poetry.lock", "uv.lock", "Pipfile.lock", "composer.lock", "go.sum",
]



@dataclass
class ScanConfig:
    """Which files of the workspace are indexed."""

    max_file_bytes: int = 1_048_576
    exclude_dirs: list[str] = field(default_factory=lambda: list(DEFAULT_EXCLUDE_DIRS))
    ignore_files: list[str] = field(
        default_factory=lambda: [".gitignore", ".ignore", ".codesiftignore"]
    )
    extra_ignore: list[str] = field(default_factory=list)
    skip_generated: bool = True
    generated_files: list[str] = field(default_factory=lambda: list(DEFAULT_GENERATED_FILES))
    follow_symlinks: bool = True
    # a link whose target lies outside the root would put that folder's files (say
    # /etc) into the index and into search results: off unless you accept that risk
    follow_external_symlinks: bool = False


@dataclass
class ChunkConfig:
    """How files are cut into chunks."""

    max_definition_lines: int = 150
    window_lines: int = 60
    window_overlap: int = 10


@dataclass
class FusionWeights:
    """Weights of each candidate generator in the fused score."""

    keyword: float = 0.5
    ast: float = 0.3
    regex: float = 0.2
    dense: float = 0.0  # dense candidates join the pool by reserved places, not by score


@dataclass
class RetrieveConfig:
    """Candidate generation and fusion."""

    pool_size: int = 100
    per_generator_limit: int = 200
    weights: FusionWeights = field(default_factory=FusionWeights)
    # identifier queries: an exact definition match is the strongest signal
    symbol_weights: FusionWeights = field(
        default_factory=lambda: FusionWeights(keyword=0.3, ast=0.5, regex=0.2)
    )
    regex_timeout_ms: int = 1000
    # dense candidates from a static embedding of every chunk: "hybrid" adds them to every
    # natural-language pool, "auto" ranks again with them when the search's confidence
    # (codesift.confidence) is below min_confidence, "lexical" never
    strategy: Literal["hybrid", "auto", "lexical"] = "hybrid"
    dense_model: str = "wordllama-l2"  # "" switches dense candidates off
    dense_keep: int = 20  # places in the pool reserved for dense candidates
    min_confidence: float = 0.5  # "auto": rank again with dense candidates below this
    # once every chunk has its light-model vector (background embedding, or ``codesift
    # index --embed``), natural-language pools hold this many lexical candidates (scored
    # from the cache, so cheap; 0 keeps pool_size) plus up to embedded_keep of the light
    # model's nearest chunks (0 switches them off)
    embedded_pool_size: int = 200
    embedded_keep: int = 20

    @property
    def uses_embedded(self) -> bool:
        """Whether pools change once every chunk has its light-model vector."""
        return bool(self.embedded_keep or self.embedded_pool_size > self.pool_size)


@dataclass
class IndexConfig:
    """Where and how the index is stored."""

    index_dir: str | None = None
    batch_files: int = 50
    lock_timeout_s: float = 30.0


@dataclass
class RerankConfig:
    """The late-binding cascade over the candidate pool (see docs/CONFIGURATION.md).

    A model is a shipped model's name (``codesift-bi-l6``), a model folder, or, with the
    sentence-transformers extra and ``allow_download``, a Hugging Face model id.
    An empty string switches that stage off.
    """

    enabled: bool = True
    light_model: str = "codesift-bi-l6"
    light_keep: int = 20
    heavy_model: str = "codesift-cross-l6"
    # token budget per document; 0 keeps the model's own max_length
    light_max_length: int = 0
    heavy_max_length: int = 0
    final_k: int = 10
    # rank fusion of a model stage with the lexical ranking: weight of the lexical ranks
    light_lexical_weight: float = 0.35
    # the light stage's fused score of a candidate that only the light model's own search
    # over every chunk found (retrieve.embedded_keep: nothing lexical backs the model's
    # rank, which brought it in) is multiplied by this
    light_embedded_weight: float = 0.5
    heavy_lexical_weight: float = 0.0
    # the heavy stage keeps part of the light stage's order (three-way rank fusion)
    heavy_light_weight: float = 0.7
    # "learned": the heavy stage's order is a linear model over the light and heavy scores
    # and ranks (models/fusion.json, fitted on the tuning split); "rank": the rank fusion
    # above (also the fallback when the weights cannot be read)
    heavy_fusion: Literal["learned", "rank"] = "learned"
    rrf_k: float = 3.0
    # symbol queries: skip the heavy model when the best candidate is an exact
    # definition whose fused score leads the next by at least this margin
    early_exit_margin: float = 0.05
    # natural-language questions: skip the heavy model when the search's confidence after
    # the light stage (codesift.confidence) is at least this; 0 switches it off. Off: on
    # the written tuning split it tied the heavy stage always on (MRR@10 0.576 either way),
    # so it only saved CPU, and the editor's answer should run both stages
    confident_exit: float = 0.0
    # the language server's latency budget for the model stages of one search (ms);
    # what is left unscored is embedded in idle time afterwards. The CLI has none. 300: the
    # heavy stage over 20 takes ~175 ms on a quiet 2-core machine with VNNI, so with
    # embeddings cached both stages finish (at 200 most searches left part of the shortlist
    # unscored); on a plain-AVX2 2-core CPU it takes ~500 ms and scores 8 of 20 in time
    interactive_budget_ms: int = 300
    # the language server embeds every chunk with the light model in idle time
    background_embed: bool = True
    background_embed_max_chunks: int = 300_000
    threads: int = 0
    # documents per heavy-model call; the light stage looks at the clock and at
    # cancellation after this many documents
    batch_size: int = 8
    # documents per light-model call. 1: the int8 model scales activations per call, so a
    # vector computed among batch-mates differs from the same chunk's vector computed
    # alone (cosine down to 0.984) and an index embedded in the background ranked
    # differently from searches that computed their own vectors; alone, every vector is
    # the same wherever it came from (light-model throughput: -8% on plain AVX2, +14% with
    # VNNI, where nothing is padded to a batch-mate's length)
    light_batch_size: int = 1
    cache_entries: int = 50_000
    allow_download: bool = False


@dataclass
class LogConfig:
    """The local search log in the index database (``codesift stats``); never sent."""

    enabled: bool = True
    queries: bool = True  # false: keep only each query's SHA-256
    max_mb: float = 20.0


@dataclass
class Config:
    """All codesift settings, every field defaulted."""

    scan: ScanConfig = field(default_factory=ScanConfig)
    chunk: ChunkConfig = field(default_factory=ChunkConfig)
    retrieve: RetrieveConfig = field(default_factory=RetrieveConfig)
    index: IndexConfig = field(default_factory=IndexConfig)
    rerank: RerankConfig = field(default_factory=RerankConfig)
    log: LogConfig = field(default_factory=LogConfig)


def _check_keys(cls: type, data: dict[str, Any], prefix: str, source: str) -> None:
    hints = get_type_hints(cls)
    names = {f.name: f for f in dataclasses.fields(cls)}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if key not in names:
            known = ", ".join(sorted(names))
            raise ConfigError(f"{source}: unknown key '{dotted}' (known: {known})")
        sub = hints[key]
        if dataclasses.is_dataclass(sub):
            if not isinstance(value, dict):
                raise ConfigError(f"{source}: '{dotted}' must be a table")
            _check_keys(sub, value, f"{dotted}.", source)  # type: ignore[arg-type]


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _type_name(tp: Any) -> str:
    if get_origin(tp) is Literal:
        return "one of " + ", ".join(repr(v) for v in get_args(tp))
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def config_from_dict(data: dict[str, Any], source: str = "configuration") -> Config:
    """Build a Config from nested dicts, rejecting unknown keys and wrong types."""
    _check_keys(Config, data, "", source)
    try:
        return dacite.from_dict(Config, data, config=dacite.Config(strict=True))
    except dacite.WrongTypeError as exc:
        raise ConfigError(
            f"{source}: '{exc.field_path}' should be {_type_name(exc.field_type)}, "
            f"got {exc.value!r}"
        ) from exc
    except dacite.DaciteError as exc:
        raise ConfigError(f"{source}: {exc}") from exc


def read_workspace_config(root: Path) -> tuple[dict[str, Any], str | None]:
    """The raw settings found at the workspace root, and the file they came from."""
    own = root / "codesift.toml"
    try:
        if own.is_file():
            return tomllib.loads(own.read_text(encoding="utf-8")), str(own)
        pyproject = root / "pyproject.toml"
        if pyproject.is_file():
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
            section = data.get("tool", {}).get("codesift")
            if section is not None:
                return section, f"{pyproject} [tool.codesift]"
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{own if own.is_file() else root / 'pyproject.toml'}: {exc}") from exc
    return {}, None


def load_config(root: Path, overrides: dict[str, Any] | None = None) -> Config:
    """Defaults, then the workspace file, then caller overrides."""
    data, source = read_workspace_config(root)
    config_from_dict(data, source or "configuration")  # report file errors against the file
    return config_from_dict(_merge(data, overrides or {}), "settings")
