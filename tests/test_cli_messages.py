"""What the CLI tells its user: another process indexing, a wait for the lock, long
queries echoed clipped, and piped output that is never hard-wrapped."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import filelock

from codesift.index.location import LOCK_NAME

from .conftest import STDLIB

CLI = [sys.executable, "-m", "codesift.cli"]


def setup(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    root = tmp_path / "ws"
    root.mkdir()
    shutil.copy(STDLIB / "shlex.py", root / "shlex.py")
    index = tmp_path / "index"
    env = {**os.environ, "NO_COLOR": "1"}
    return root, index, env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=env, timeout=120)


def test_busy_index_is_said_and_the_wait_is_announced(tmp_path: Path):
    root, index, env = setup(tmp_path)
    assert run(["index", str(root), "--index-dir", str(index)], env).returncode == 0
    (root / "fresh.py").write_text("def fresh_function():\n    pass\n")
    lock = filelock.FileLock(str(index / LOCK_NAME))
    with lock:
        searched = run(["search", "shlex split", "--root", str(root), "--index-dir",
                        str(index), "--json", "--no-rerank"], env)
        assert searched.returncode == 0, searched.stderr
        assert "another process is indexing" in searched.stderr
        assert "results may be incomplete" in json.loads(searched.stdout)["warnings"][0]
        waiting = subprocess.Popen([*CLI, "index", str(root), "--index-dir", str(index)],
                                   stderr=subprocess.PIPE, text=True, env=env)
        assert waiting.stderr is not None
        first = waiting.stderr.readline()
        assert "waiting for another process" in first, first
        time.sleep(0.5)
        assert waiting.poll() is None  # still waiting while the lock is held
    assert waiting.wait(timeout=60) == 0
    assert "+1 added" in waiting.stderr.read()


def test_long_queries_are_clipped_and_piped_lines_not_wrapped(tmp_path: Path):
    root, index, env = setup(tmp_path)
    name = "a_rather_long_function_name_that_goes_on_and_on_for_quite_a_while_really"
    folder = root / "some_deeply_nested_package_folder" / "with_a_long_module_path"
    folder.mkdir(parents=True)
    (folder / "module.py").write_text(f"def {name}():\n    return 1\n")
    found = run(["search", name, "--root", str(root), "--index-dir", str(index),
                 "--no-rerank"], env)
    assert found.returncode == 0, found.stderr
    header = next(line for line in found.stdout.splitlines() if "module.py" in line)
    assert name in header and len(header) > 120  # one line, however long
    missing = run(["search", "zqxj" * 2500, "--root", str(root), "--index-dir", str(index),
                   "--no-rerank"], env)
    assert missing.returncode == 0
    said = next(line for line in missing.stdout.splitlines() if "no results" in line)
    assert len(said) < 140, said


def test_version_names_the_shipped_models():
    import importlib.metadata

    import codesift

    proc = subprocess.run([*CLI, "--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert lines[0] == f"codesift {codesift.__version__}"
    assert importlib.metadata.version("codesift") == codesift.__version__  # one source
    assert any(line.startswith("light model: codesift-bi-l6 (codesift/") for line in lines)
    assert any(line.startswith("heavy model: codesift-cross-l6 (codesift/") for line in lines)
