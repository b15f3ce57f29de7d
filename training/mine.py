"""Mine (query -> function) pairs from code installed on this machine.

Every function or method with a doc comment, as cut by codesift's own chunker, gives
one pair: the query is made from the first sentence of the doc comment, the answer is
the function's chunk (the model later reads it with the doc comment removed). Queries
are written the way developers type them: most are rewritten into question and task
forms ("how do I ...", "where is the code that ...", "parse the header line"), with the
identifiers the code contains stripped or split into words; some keep the docstring
sentence; a minor share are (identifier split into words -> body) pairs.

Sources (each one optional, skipped when absent):

- the Python standard library of the running interpreter, minus every module of the
  evaluation corpus (``bench/data/corpus.py``), tests and GUI demos;
- Python ``site-packages`` folders (``--site-packages``, repeatable);
- npm packages (JSDoc) under ``--node-modules``;
- Go sources of Debian's ``golang-*-dev`` packages (``/usr/share/gocode/src``);
- Rust sources of Debian's ``librust-*-dev`` packages (``/usr/share/cargo/registry``).

Near-duplicate doc comments and repeated code (vendored copies, overloads, bundles)
are dropped; packages on the denylist (``common.DENYLIST``) are never read. Each
package goes wholly to train or to eval (``--eval-share``). Output: JSONL, one pair per
line, with provenance (package, root, path, symbol, lines, language).
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import sys
import sysconfig
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench.data import corpus  # the evaluation corpus, never mined
from codesift.config import ChunkConfig
from codesift.parse.chunker import chunk_text

from .common import DENYLIST, split_of, stable_hash, strip_doc, write_jsonl

FUNCTION_KINDS = {"function", "method"}
LANG_OF_SUFFIX = {".py": "python", ".js": "javascript", ".mjs": "javascript",
                  ".cjs": "javascript", ".ts": "typescript", ".go": "go", ".rs": "rust"}
SKIP_DIRS = {"__pycache__", "test", "tests", "testing", "testdata", "vendor", "_vendor",
             "vendored", "third_party", "thirdparty", "node_modules", "benches", "bench",
             "examples", "example", "docs", "bundles", "umd", "min", "fixtures",
             "__tests__", "idle_test", "site-packages"}
STDLIB_SKIP = {"test", "idlelib", "turtledemo", "tkinter", "lib2to3", "site-packages",
               "ensurepip", "pydoc_data", "__pycache__", "encodings"}
MAX_FILE_BYTES = 400_000
MIN_CODE_LINES = 3
MAX_CODE_LINES = 150


@dataclass
class Package:
    key: str            # e.g. python:sympy, go:github.com/miekg/dns, npm:rxjs
    name: str           # the name matched against the denylist
    root: Path          # folder that is indexed as one workspace
    files: list[Path]


# ------------------------------------------------------------------------- sources

def _walk(root: Path, suffixes: set[str]) -> list[Path]:
    out = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).parts
        if any(p in SKIP_DIRS or p.startswith(".") for p in rel[:-1]):
            continue
        name = path.name
        if path.suffix not in suffixes or not path.is_file():
            continue
        if name.endswith((".d.ts", ".min.js", "_test.go", ".test.js", ".spec.js",
                          ".test.ts", ".spec.ts")) or name.startswith("test_"):
            continue
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                continue
        except OSError:
            continue
        out.append(path)
    return out


def stdlib_packages(work: Path) -> list[Package]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    held_out = {p.name.removesuffix(".py") for p in corpus.corpus_paths(stdlib)}
    held_out |= {n.removesuffix(".py") for n in corpus.PACKAGES + corpus.MODULES}
    pkgs, singles = [], []
    for entry in sorted(stdlib.iterdir()):
        name = entry.name.removesuffix(".py")
        if name in held_out or name in STDLIB_SKIP or name.startswith(("_", "config-")):
            continue
        if entry.is_dir() and (entry / "__init__.py").exists():
            files = _walk(entry, {".py"})
            if files:
                pkgs.append(Package(f"python:stdlib/{name}", name, entry, files))
        elif entry.suffix == ".py":
            singles.append(entry)
    if singles:  # single-file modules: staged together as one package
        stage = work / "stage" / "stdlib-modules"
        stage.mkdir(parents=True, exist_ok=True)
        for src in singles:
            shutil.copy2(src, stage / src.name)
        pkgs.append(Package("python:stdlib/modules", "stdlib-modules", stage,
                            sorted(stage.glob("*.py"))))
    return pkgs


def site_packages(folders: list[Path]) -> list[Package]:
    pkgs: dict[str, Package] = {}
    for sp in folders:
        sp = sp.resolve()
        if not sp.is_dir():
            continue
        for entry in sorted(sp.iterdir()):
            name = entry.name
            if not entry.is_dir() or name.endswith((".dist-info", ".egg-info", ".libs",
                                                    ".data")) \
                    or name.startswith(("_", ".")) or name == "codesift":
                continue
            if name.lower() in DENYLIST or name in pkgs:
                continue
            files = _walk(entry, {".py"})
            if files:
                pkgs[name] = Package(f"python:{name}", name, entry, files)
    return list(pkgs.values())


def npm_packages(node_modules: Path) -> list[Package]:
    if not node_modules.is_dir():
        return []
    entries = []
    for entry in sorted(node_modules.iterdir()):
        if entry.name.startswith("@") and entry.is_dir():
            entries.extend(sorted(e for e in entry.iterdir() if e.is_dir()))
        elif entry.is_dir() and not entry.name.startswith("."):
            entries.append(entry)
    pkgs = []
    for entry in entries:
        full = entry.name if entry.parent == node_modules else \
            f"{entry.parent.name}/{entry.name}"
        if entry.name.lower() in DENYLIST or full.lower() in DENYLIST:
            continue
        files = _walk(entry, {".js", ".mjs", ".cjs", ".ts"})
        if files:
            pkgs.append(Package(f"npm:{full}", entry.name, entry, files))
    return pkgs


def go_packages(src: Path) -> list[Package]:
    if not src.is_dir():
        return []
    roots = []
    for host in sorted(src.iterdir()):
        if host.name in ("github.com", "gitlab.com", "bitbucket.org", "code.google.com"):
            roots += [repo for owner in sorted(host.iterdir()) if owner.is_dir()
                      for repo in sorted(owner.iterdir()) if repo.is_dir()]
        elif host.is_dir():
            roots += [repo for repo in sorted(host.iterdir()) if repo.is_dir()]
    pkgs = []
    for root in roots:
        rel = root.relative_to(src).as_posix()
        name = root.name.split(".")[0]
        if name.lower() in DENYLIST or root.name.lower() in DENYLIST:
            continue
        files = _walk(root, {".go"})
        if files:
            pkgs.append(Package(f"go:{rel}", name, root, files))
    return pkgs


def rust_packages(registry: Path) -> list[Package]:
    if not registry.is_dir():
        return []
    pkgs: dict[str, Package] = {}
    for crate in sorted(registry.iterdir()):
        m = re.match(r"^(.*?)-\d+(\.\d+)*.*$", crate.name)
        name = m.group(1) if m else crate.name
        if name.lower() in DENYLIST or name.lower().replace("_", "-") in DENYLIST \
                or name in pkgs:
            continue
        files = _walk(crate, {".rs"})
        if files:
            pkgs[name] = Package(f"rust:{name}", name, crate, files)
    return list(pkgs.values())


# --------------------------------------------------------------- doc comment parsing

MARKUP = [
    (re.compile(r":[a-z]+:`~?\.?([^`]+)`"), r"\1"),       # :func:`x`
    (re.compile(r"\{@\w+\s+([^}|\s]+)[^}]*\}"), r"\1"),     # {@link X}
    (re.compile(r"\[`?([^\]`]+)`?\]\([^)]*\)"), r"\1"),     # [x](url)
    (re.compile(r"\[`([^\]`]+)`\]"), r"\1"),                # [`X`]
    (re.compile(r"`+([^`]+)`+"), r"\1"),
    (re.compile(r"\*\*?([^*]+)\*\*?"), r"\1"),
    (re.compile(r"</?[a-zA-Z][^>]*>"), ""),
    (re.compile(r"\s+"), " "),
]
BAD_START = re.compile(r"^(todo|fixme|xxx|deprecated|copyright|spdx|eslint|noinspection|"
                       r"nolint|go:|@|see |alias|internal|private|helper|override|"
                       r"implements?\b|this is a|this function|docs?\b|type:|note:|"
                       r"returns?:|args?:|param|-|\*|#|\||>>>|\.\.)", re.I)
SENTENCE_END = re.compile(r"(?<=[a-z0-9)\]`'\"])\.(\s|$)")


def doc_of(text: str, language: str) -> str | None:
    """The doc comment's first paragraph, markup removed; None if there is none."""
    lines = text.split("\n")
    raw: list[str] = []
    if language == "python":
        for i, line in enumerate(lines[:12]):
            m = re.match(r'^\s*[rRuU]?("""|\'\'\')(.*)$', line)
            if not m or i == 0:
                continue
            quote, rest = m.group(1), m.group(2)
            if quote in rest:
                raw = [rest.split(quote)[0]]
            else:
                raw = [rest]
                for nxt in lines[i + 1:]:
                    if quote in nxt:
                        raw.append(nxt.split(quote)[0])
                        break
                    raw.append(nxt)
            break
    else:
        for line in lines:
            s = line.strip()
            if not s:
                if raw:
                    raw.append("")
                continue
            if s.startswith(("///", "//!")):
                raw.append(s[3:])
            elif s.startswith("//"):
                raw.append(s[2:])
            elif s.startswith("/**") or s.startswith("/*"):
                body = s.lstrip("/*").rstrip("*/").strip()
                raw.append(body)
            elif s.startswith("*/"):
                continue
            elif s.startswith("*"):
                raw.append(s.lstrip("*").rstrip("*/"))
            elif s.startswith(("#[", "@", "export ", "#!")) and not raw:
                continue
            else:
                break
    para: list[str] = []
    for line in raw:
        s = line.strip()
        if not s:
            if para:
                break
            continue
        if s.startswith("@") or s.startswith("#") or s.lower().startswith("example"):
            break
        para.append(s)
    if not para:
        return None
    doc = " ".join(para)
    for pattern, repl in MARKUP:
        doc = pattern.sub(repl, doc)
    doc = re.sub(r"\b(i\.e|e\.g|etc|vs|cf)\.", lambda m: m.group(1).replace(".", ""),
                 doc.strip(), flags=re.I)
    m = SENTENCE_END.search(doc)
    if m:
        doc = doc[: m.start()]
    return doc.strip().rstrip(".:;,")


# ------------------------------------------------------------------- query writing

CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|_+|\.|::")
IDENT = re.compile(r"[A-Za-z_$][\w$]*(?:(?:\.|::)[A-Za-z_$][\w$]*)*(?:\(\))?")
WORD = re.compile(r"[A-Za-z]+")


def split_words(identifier: str) -> str:
    parts = [p for p in CAMEL.split(identifier.replace("()", "")) if p]
    return " ".join(p.lower() for p in parts)


def code_like(token: str) -> bool:
    t = token.replace("()", "")
    return ("_" in t.strip("_") or "." in t or "::" in t or token.endswith("()")
            or bool(re.search(r"[a-z][A-Z]", t)) or bool(re.search(r"[A-Z]{2,}\d|\d[A-Z]", t)))


def strip_identifiers(sentence: str, code: str, symbol: str, rng: random.Random) -> str:
    """Remove or split the identifiers of the code that the sentence mentions."""
    name = symbol.split(".")[-1]
    code_idents = set(IDENT.findall(code))

    def repl(m: re.Match) -> str:
        tok = m.group(0)
        bare = tok.replace("()", "")
        if bare == name or bare.endswith("." + name):
            return ""
        if code_like(tok) and (bare in code_idents or bare.split(".")[-1] in code_idents
                               or "_" in bare):
            return split_words(bare) if rng.random() < 0.6 else ""
        return tok

    out = IDENT.sub(repl, sentence)
    out = re.sub(r"\s+", " ", out).strip(" ,;:")
    out = re.sub(r"^(the|a|an)\s+(?=(the|a|an)\b)", "", out, flags=re.I)
    return out


IRREGULAR = {"does": "do", "has": "have", "is": "be", "goes": "go"}
ADVERB_START = re.compile(r"^(also|then|just|simply|optionally|recursively|safely|"
                          r"quickly|lazily|atomically|asynchronously|internally)\s+", re.I)


def base_verb(word: str) -> str | None:
    """'returns' -> 'return', 'applies' -> 'apply'; None if not a 3rd-person verb."""
    w = word.lower()
    if w in IRREGULAR:
        return IRREGULAR[w]
    if len(w) < 4 or not w.endswith("s") or w.endswith(("ss", "us", "is", "ous")):
        return None
    if w.endswith("ies"):
        return w[:-3] + "y"
    if w.endswith(("sses", "shes", "ches", "xes", "zes")):
        return w[:-2]
    return w[:-1]


def third_person(verb: str) -> str:
    if verb in ("do", "go"):
        return verb + "es"
    if verb == "have":
        return "has"
    if verb.endswith("y") and len(verb) > 2 and verb[-2] not in "aeiou":
        return verb[:-1] + "ies"
    if verb.endswith(("s", "sh", "ch", "x", "z")):
        return verb + "es"
    return verb + "s"


COMMON_VERBS = set("""add apply build calculate call cancel check clear close collect
combine compare compile compute configure connect construct convert copy count create
decode delete deserialize detect determine disable emit enable encode ensure escape
evaluate execute expand extract fetch fill filter find flatten flush format generate get
handle hash initialize insert install invoke iterate join load lock log look make map
mark match merge move normalize notify open parse perform pop prepare print process
produce push put quote raise read receive record reduce register reload remove rename
render replace report reset resolve restore retrieve return reverse run save scan search
select send serialize set setup show sort split start stop store strip submit swap test
transform translate truncate try unlock unpack unregister unwrap update upload validate
verify visit wait walk wrap write yield""".split())


def question_forms(sentence: str, rng: random.Random) -> str:
    """Rewrite a doc sentence into a question or task the way a developer types it."""
    s = ADVERB_START.sub("", sentence.strip())
    if not s:
        return sentence
    words = s.split(" ")
    first = words[0].lower()
    rest = " ".join(words[1:])
    verb = base_verb(first) or (first if first in COMMON_VERBS else None)
    low = s[0].lower() + s[1:]
    if verb in ("return", "get") and re.match(r"^(true|false)\s+(if|when|iff)\s+", rest,
                                              re.I):
        cond = re.sub(r"^(true|false)\s+(if|when|iff)\s+", "", rest, flags=re.I)
        return rng.choice([f"check if {cond}", f"how do I check whether {cond}",
                           f"how to tell if {cond}", f"where do we test whether {cond}",
                           f"is {cond}"])
    if first in ("whether", "true", "checks", "check") and " " in rest:
        cond = re.sub(r"^(if|whether|when)\s+", "", rest, flags=re.I)
        return rng.choice([f"check whether {cond}", f"how do I know if {cond}",
                           f"where is it checked whether {cond}"])
    if verb:
        if verb == "return":
            verb = rng.choice(["get", "return", "compute", "find"])
        if verb == "yield":
            verb = rng.choice(["iterate over", "list", "get all"])
        forms = [f"how do I {verb} {rest}", f"how to {verb} {rest}", f"{verb} {rest}",
                 f"where is the code that {third_person(verb.split()[0])}"
                 f"{' ' + ' '.join(verb.split()[1:]) if ' ' in verb else ''} {rest}",
                 f"which function {third_person(verb.split()[0])}"
                 f"{' ' + ' '.join(verb.split()[1:]) if ' ' in verb else ''} {rest}",
                 f"where do we {verb} {rest}", f"{verb} {rest}"]
        return rng.choice(forms)
    forms = [f"where is {low} implemented", f"{low}", f"what handles {low}",
             f"code for {low}", f"where do we deal with {low}", f"{low}"]
    return rng.choice(forms)


def identifier_query(symbol: str) -> str | None:
    name = symbol.split(".")[-1]
    words = split_words(name)
    if len(words.split()) < 2 or name.startswith("__"):
        return None
    return words


def make_query(doc: str, code: str, symbol: str, rng: random.Random,
               identifier_share: float, raw_share: float) -> tuple[str, str] | None:
    draw = rng.random()
    if draw < identifier_share:
        q = identifier_query(symbol)
        if q:
            return q, "identifier"
    sentence = strip_identifiers(doc, code, symbol, rng)
    if not sentence or len(sentence.split()) < 3:
        return None
    if draw < identifier_share + raw_share:
        return sentence, "docstring"
    q = question_forms(sentence, rng)
    q = re.sub(r"\s+", " ", q).strip()
    if rng.random() < 0.5:
        q = q.lower()
    if q.startswith(("how", "where", "which", "what", "is ")) and rng.random() < 0.3:
        q += "?"
    return q, "question"


# ------------------------------------------------------------------------- mining

DOC_LINE = ("///", "//", "/*", "*", "#[", "@")


def leading_comment(lines: list[str], start_line: int) -> str:
    """The comment block (and attributes) right above a definition whose chunk does not
    include it (the chunker leaves some languages' doc comments in the code before)."""
    i = start_line - 2
    block: list[str] = []
    while i >= 0 and len(block) < 60:
        s = lines[i].strip()
        if not s or not (s.startswith(DOC_LINE) or s.endswith("*/")):
            break
        block.append(lines[i])
        i -= 1
    return "\n".join(reversed(block))


def good_doc(doc: str | None) -> bool:
    if not doc:
        return False
    n = len(doc.split())
    if n < 4 or n > 40 or BAD_START.match(doc) or not doc[0].isalpha():
        return False
    if sum(doc.count(c) for c in "(){}[]=<>") > 4:
        return False
    letters = sum(c.isalpha() for c in doc)
    return letters >= 0.6 * len(doc)


def doc_key(doc: str) -> str:
    return " ".join(WORD.findall(doc.lower())[:14])


def code_key(code: str) -> int:
    return stable_hash(re.sub(r"\s+", "", code))


def mine_package(pkg: Package, seen_docs: set[str], seen_code: set[int], limit: int,
                 rng: random.Random, args: argparse.Namespace) -> list[dict]:
    out: list[dict] = []
    files = list(pkg.files)
    rng.shuffle(files)
    config = ChunkConfig()
    for path in files:
        if len(out) >= limit:
            break
        language = LANG_OF_SUFFIX.get(path.suffix)
        if language is None:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if "\x00" in text or text.count("\n") < 3:
            continue
        head = text[:4000]
        if any(m in head for m in ("@generated", "DO NOT EDIT", "Code generated")):
            continue
        try:
            chunked = chunk_text(text, language, config)
        except Exception:
            continue
        lines = text.split("\n")
        for ch in chunked.chunks:
            if ch.kind not in FUNCTION_KINDS or ch.symbol is None or ch.prefix is not None:
                continue
            n_lines = ch.end_line - ch.start_line + 1
            if n_lines > MAX_CODE_LINES:
                continue
            body = "\n".join(lines[ch.start_line - 1: ch.end_line])
            doc = doc_of(body, language)
            if doc is None and language != "python":
                doc = doc_of(leading_comment(lines, ch.start_line) + "\nx", language)
            if not good_doc(doc):
                continue
            assert doc is not None
            code = strip_doc(body, language)
            if sum(1 for x in code.split("\n") if x.strip()) < MIN_CODE_LINES:
                continue
            dk, ck = doc_key(doc), code_key(code)
            if dk in seen_docs or ck in seen_code:
                continue
            made = make_query(doc, code, ch.symbol, rng, args.identifier_share,
                              args.raw_share)
            if made is None:
                continue
            seen_docs.add(dk)
            seen_code.add(ck)
            query, form = made
            out.append({
                "query": query, "form": form, "doc": doc, "language": language,
                "package": pkg.key, "root": str(pkg.root.resolve()),
                "path": path.relative_to(pkg.root).as_posix(), "symbol": ch.symbol,
                "start_line": ch.start_line, "end_line": ch.end_line,
            })
            if len(out) >= limit:
                break
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True, help="pairs JSONL to write")
    parser.add_argument("--work", type=Path,
                        default=Path(tempfile.gettempdir()) / "codesift-training",
                        help="scratch folder (staged single-file modules)")
    parser.add_argument("--site-packages", type=Path, action="append", default=[],
                        help="a Python site-packages folder (repeatable)")
    parser.add_argument("--node-modules", type=Path, default=None,
                        help="an npm node_modules folder (JSDoc)")
    parser.add_argument("--gocode", type=Path, default=Path("/usr/share/gocode/src"))
    parser.add_argument("--cargo-registry", type=Path,
                        default=Path("/usr/share/cargo/registry"))
    parser.add_argument("--no-stdlib", action="store_true",
                        help="skip the Python standard library")
    parser.add_argument("--per-package", type=int, default=4000,
                        help="at most this many pairs per package (default %(default)s)")
    parser.add_argument("--eval-share", type=float, default=0.1,
                        help="share of packages held out for eval (default %(default)s)")
    parser.add_argument("--identifier-share", type=float, default=0.08,
                        help="share of (identifier words -> body) pairs")
    parser.add_argument("--raw-share", type=float, default=0.25,
                        help="share of queries kept as the doc sentence (identifiers "
                             "stripped); the rest are question/task rewrites")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)

    started = time.time()
    packages: list[Package] = []
    if not args.no_stdlib:
        packages += stdlib_packages(args.work)
    packages += site_packages(args.site_packages)
    if args.node_modules:
        packages += npm_packages(args.node_modules)
    packages += go_packages(args.gocode)
    packages += rust_packages(args.cargo_registry)
    print(f"{len(packages)} packages", file=sys.stderr)

    seen_docs: set[str] = set()
    seen_code: set[int] = set()
    rows: list[dict] = []
    for i, pkg in enumerate(packages):
        rng = random.Random(stable_hash(f"{args.seed}:{pkg.key}"))
        got = mine_package(pkg, seen_docs, seen_code, args.per_package, rng, args)
        split = split_of(pkg.key, args.eval_share)
        for r in got:
            r["split"] = split
        rows.extend(got)
        if got:
            print(f"[{i + 1}/{len(packages)}] {pkg.key}: {len(got)} ({split})",
                  file=sys.stderr)
    for i, r in enumerate(rows):
        r["id"] = i
    write_jsonl(args.out, rows)
    by_lang = Counter((r["language"], r["split"]) for r in rows)
    forms = Counter(r["form"] for r in rows)
    pk = Counter((r["package"].split(":")[0], r["split"]) for r in {
        (r["package"], r["split"]): r for r in rows}.values())
    print(f"{len(rows)} pairs in {time.time() - started:.0f} s -> {args.out}")
    for (lang, split), n in sorted(by_lang.items()):
        print(f"  {lang:11} {split:5} {n}")
    print(f"  forms: {dict(forms)}")
    print(f"  packages by ecosystem/split: {dict(sorted(pk.items()))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
