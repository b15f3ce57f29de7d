"""The index holds the full text of every file: private folders and files whatever
the umask, and nothing from outside the root through a symbolic link by default."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

from .conftest import STDLIB

CLI = [sys.executable, "-m", "codesift.cli"]


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=env,
                          timeout=300)


def make_root(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    shutil.copy(STDLIB / "shlex.py", root / "shlex.py")
    return root


def test_index_folders_are_0700_and_files_0600_under_a_lax_umask(tmp_path: Path):
    root = make_root(tmp_path)
    cache = tmp_path / "cache"
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    old = os.umask(0o002)  # group- and world-readable by default
    try:
        indexed = run_cli("index", str(root), env=env)
        searched = run_cli("search", "split a shell command", "--root", str(root), "--json",
                           env=env)
    finally:
        os.umask(old)
    assert indexed.returncode == 0 and searched.returncode == 0, indexed.stderr
    home = cache / "codesift"
    made = [home, *home.rglob("*")]
    assert len(made) > 3, made
    for path in made:
        mode = stat.S_IMODE(path.stat().st_mode)
        expected = 0o700 if path.is_dir() else 0o600
        assert mode == expected, f"{path}: {oct(mode)}"


def test_symlinks_leaving_the_root_are_not_followed_by_default(tmp_path: Path):
    root = make_root(tmp_path)
    outside = tmp_path / "private"
    outside.mkdir()
    (outside / "secrets.py").write_text("def leaked_credentials():\n    return 'hunter2'\n")
    (root / "etc").symlink_to(outside)
    (root / "one_secret.py").symlink_to(outside / "secrets.py")
    inside = root / "lib"
    inside.mkdir()
    (inside / "kept.py").write_text("def kept_through_a_link():\n    return 1\n")
    (root / "alias").symlink_to(inside)  # a link that stays inside the root is fine
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}

    def found(query: str, *extra: str) -> list[str]:
        proc = run_cli("search", query, "--root", str(root), "--json", "--no-rerank", *extra,
                       env=env)
        assert proc.returncode == 0, proc.stderr
        return [r["path"] for r in json.loads(proc.stdout)["results"]]

    assert found("leaked_credentials") == []
    assert "alias/kept.py" in found("kept_through_a_link")
    (root / "codesift.toml").write_text("[scan]\nfollow_external_symlinks = true\n")
    allowed = found("leaked_credentials")
    assert {"etc/secrets.py", "one_secret.py"} <= set(allowed), allowed
