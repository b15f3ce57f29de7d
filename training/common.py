"""Helpers shared by the cross-encoder training steps (mine, negatives, train, export).

Kept free of torch so that ``mine.py`` and ``negatives.py`` run in codesift's own
environment as well as in the training one.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

# Widely used third-party libraries kept out of the training data, so that evaluations
# on code people search every day are not evaluations on training data. Names are
# matched against the package name (Python distribution / import name, npm package,
# Go module path component, Rust crate), case-insensitively, after the scope/owner.
DENYLIST = frozenset({
    # Python
    "requests", "urllib3", "httpx", "httpcore", "flask", "werkzeug", "django", "fastapi",
    "starlette", "pydantic", "pydantic_core", "aiohttp", "sqlalchemy", "numpy", "pandas",
    "jinja2", "click", "pytest", "_pytest", "boto3", "botocore", "pip", "setuptools",
    # JavaScript / TypeScript
    "express", "koa", "lodash", "lodash-es", "zod", "react", "react-dom", "vue", "next",
    "angular", "jquery", "axios",
    # Go
    "cobra", "viper", "gin", "echo", "grpc-go", "protobuf",
    # Rust
    "tokio", "serde", "serde_json", "serde_derive", "clap", "clap_derive", "reqwest",
    "hyper", "actix-web",
    # Java (reserved for outside evaluation; never mined or written about)
    "gson", "jackson", "jackson-core", "jackson-databind", "guava", "okhttp", "commons-lang",
    "commons-lang3",
})

LANGUAGES = ("python", "javascript", "typescript", "go", "rust")


def read_jsonl(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def write_jsonl(path: Path, rows: Iterable[dict]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    return n


def stable_hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")


def package_index(work: Path, root: Path) -> Path:
    """The index folder of one package's sources under a scratch folder: one per root."""
    return work / f"{stable_hash(str(root)):x}"


def split_of(package: str, eval_share: float) -> str:
    """Train/eval split by package name: a package is wholly on one side."""
    return "eval" if (stable_hash("split:" + package) % 10_000) < eval_share * 10_000 \
        else "train"


# ----------------------------------------------------------------- doc comment removal

PY_DOC = re.compile(r'^(\s*)[rRbBuU]{0,2}("""|\'\'\')')
LINE_COMMENT = re.compile(r"^\s*(///?|//!|#(?!\[)|\*|/\*\*?|\*/)")


def strip_doc(text: str, language: str) -> str:
    """The definition's text without its doc comment (Python docstring or the comment
    block right before / at the top of the definition). Attributes, decorators and
    annotations stay."""
    lines = text.split("\n")
    if language == "python":
        # the first triple-quoted string after the signature line(s)
        for i, line in enumerate(lines[:12]):
            m = PY_DOC.match(line)
            if not m or i == 0:
                continue
            prev = "\n".join(lines[:i]).rstrip()
            if not prev.endswith(":") and not re.search(r":\s*(#.*)?$", prev):
                continue
            quote = m.group(2)
            rest = line[m.end():]
            end = i
            if quote not in rest:
                end = i + 1
                while end < len(lines) and quote not in lines[end]:
                    end += 1
            return "\n".join(lines[:i] + lines[end + 1:])
        return text
    out: list[str] = []
    in_block = False
    code_started = False
    for line in lines:
        s = line.strip()
        if code_started:
            out.append(line)
            continue
        if in_block:
            if "*/" in s:
                in_block = False
            continue
        if s.startswith("/*"):
            if "*/" not in s[2:]:
                in_block = True
            continue
        if s.startswith("//") or (s.startswith("#") and not s.startswith("#[")
                                  and language not in ("rust",)):
            continue
        if not s:
            continue
        code_started = True
        out.append(line)
    return "\n".join(out)
