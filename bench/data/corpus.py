"""The evaluation corpus: a fixed slice of the running Python's standard library.

Both dev query sets (hand-written questions and docstring queries) are answered
over this slice, copied into a scratch folder, so every measurement indexes the
same code. Tests, GUI toolkits and vendored code are left out.
"""

from __future__ import annotations

import shutil
import sysconfig
from pathlib import Path

STDLIB = Path(sysconfig.get_paths()["stdlib"])

# Packages (folders) and modules (files), relative to the stdlib root.
PACKAGES = (
    "asyncio", "collections", "concurrent", "email", "html", "http", "importlib",
    "json", "logging", "multiprocessing", "sqlite3", "unittest", "urllib",
    "wsgiref", "xml", "xmlrpc",
)
MODULES = (
    "argparse.py", "ast.py", "base64.py", "bisect.py", "calendar.py", "cmd.py",
    "configparser.py", "contextlib.py", "copy.py", "csv.py", "dataclasses.py",
    "datetime.py", "difflib.py", "enum.py", "fnmatch.py", "fractions.py",
    "ftplib.py", "functools.py", "getopt.py", "gettext.py", "glob.py", "gzip.py",
    "heapq.py", "hmac.py", "imaplib.py", "inspect.py", "ipaddress.py",
    "locale.py", "mailbox.py", "mimetypes.py", "netrc.py", "optparse.py",
    "os.py", "pathlib.py", "pickle.py", "platform.py", "poplib.py",
    "posixpath.py", "pprint.py", "queue.py", "random.py", "sched.py",
    "secrets.py", "selectors.py", "shlex.py", "shutil.py", "smtplib.py",
    "socket.py", "socketserver.py", "ssl.py", "statistics.py", "string.py",
    "subprocess.py", "tarfile.py", "tempfile.py", "textwrap.py", "threading.py",
    "timeit.py", "tokenize.py", "traceback.py", "typing.py", "uuid.py",
    "warnings.py", "weakref.py", "zipfile.py",
)

_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "test", "tests")


def corpus_paths(stdlib: Path = STDLIB) -> list[Path]:
    """Every corpus entry that exists in this Python (3.12 made zipfile a package)."""
    entries = [stdlib / name for name in PACKAGES + MODULES]
    for name in MODULES:  # a module that became a package keeps its place
        folder = stdlib / name.removesuffix(".py")
        if not (stdlib / name).exists() and folder.is_dir():
            entries.append(folder)
    return [path for path in entries if path.exists()]


def materialize(dest: Path, stdlib: Path = STDLIB) -> Path:
    """Copy the corpus into dest (keeping stdlib-relative paths) and return dest."""
    dest.mkdir(parents=True, exist_ok=True)
    for source in corpus_paths(stdlib):
        target = dest / source.relative_to(stdlib)
        if source.is_dir():
            shutil.copytree(source, target, ignore=_IGNORE, dirs_exist_ok=True)
        else:
            shutil.copy2(source, target)
    return dest
