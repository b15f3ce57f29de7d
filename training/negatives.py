"""Build training groups: each mined query with its positive and hard negatives.

For every package of the chosen split, the package folder is indexed with codesift
itself (``Workspace`` + ``sync``), and each query is run through codesift's candidate
generation (``Searcher.candidates``, the lexical pool the reranking stages see at run
time). Hard negatives are taken from that pool, skipping every chunk that is also a
valid answer (the positive's own lines, chunks with the same doc sentence or the same
code); a few random negatives come from other packages of the same language.

Each document is rendered the way the heavy stage renders it at run time
(``rerank.document.fit`` with the query's terms, for ``--max-length``), with the doc
comment removed from every document of a group (always for docstring-form and
identifier-form queries, for ``--keep-doc-share`` of the question-form groups the doc
comments stay, in the positive and the negatives alike). Optionally each group also
carries the light-stage bi-encoder's scores (``--teacher``), used by ``train.py`` to
warm-start the cross-encoder by distillation.

Output: JSONL, one group per line: query, texts (positive first), teacher scores,
provenance, the positive's rank in the candidate pool.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

from codesift.config import Config
from codesift.index.indexer import sync
from codesift.rerank.cascade import documents_for
from codesift.rerank.document import Document, fit
from codesift.rerank.model import resolve_model
from codesift.rerank.onnx import OnnxModel
from codesift.rerank.scorers import SPECIAL_TOKENS_PAIR, ModelPool
from codesift.retrieve.candidate import Candidate
from codesift.search import Searcher, SearchRequest
from codesift.workspace import Workspace

from .common import package_index, read_jsonl, stable_hash, strip_doc, write_jsonl

WORD = re.compile(r"[A-Za-z]+")


def doc_key(text: str) -> str:
    return " ".join(WORD.findall(text.lower())[:14])


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


class Renderer:
    """The heavy stage's document rendering, with the bi-encoder's WordPiece vocabulary."""

    def __init__(self, model_ref: str, max_length: int, for_light: bool = False):
        where = resolve_model(model_ref)
        assert where.path is not None
        self.model = OnnxModel(where.path, threads=1)
        self.max_length = max_length
        self.for_light = for_light

    def render(self, query: str, terms: frozenset[str], doc: Document) -> str:
        count = self.model.count_tokens
        if self.for_light:  # the bi-encoder embeds documents alone, query-independently
            return fit(doc, self.max_length - 2, count)
        budget = self.max_length - SPECIAL_TOKENS_PAIR - count([query])[0]
        return fit(doc, max(budget, 16), count, terms)


def with_text(doc: Document, text: str) -> Document:
    return dataclasses.replace(doc, text=text, key=f"{doc.key}:{stable_hash(text)}")


def chunk_candidate(store, path: str, start: int, end: int) -> Candidate | None:
    row = store.conn.execute("SELECT id, language FROM files WHERE path=?", (path,)).fetchone()
    if row is None:
        return None
    file_id, language = row
    best = None
    for r in store.chunks_of_file(file_id):
        if r.start_line == start and r.end_line == end:
            return Candidate(file_id, path, language, r.start_line, r.end_line, r.symbol,
                             r.kind, r.id)
        if r.start_line <= start <= r.end_line and best is None:
            best = Candidate(file_id, path, language, r.start_line, r.end_line, r.symbol,
                             r.kind, r.id)
    return best


def shortlist(searcher: Searcher, query: str, depth: int) -> list[Candidate]:
    """The light stage's top ``depth`` (with the dense candidates in its pool): the
    shortlist the heavy stage reranks at run time."""
    hits = searcher.search(SearchRequest(query, depth)).hits
    return [Candidate(0, h.path, h.language, h.start_line, h.end_line, h.symbol, h.kind, 0)
            for h in hits]


def process_package(root: Path, pairs: list[dict], args: argparse.Namespace,
                    renderer: Renderer, rng: random.Random) -> list[dict]:
    config = Config()
    config = dataclasses.replace(
        config, index=dataclasses.replace(
            config.index, index_dir=str(package_index(args.work / "idx", root))))
    ws = Workspace(root, config)
    store = ws.open_store()
    try:
        sync(ws, store)
        searcher = Searcher(store, config)
        light = None
        if args.shortlist:
            from codesift.evaluation.runner import approach_config
            from codesift.retrieve import dense

            dense.refresh(store, config)
            light = Searcher(store, approach_config(config, "light"))
        out = []
        for pair in pairs:
            pos = chunk_candidate(store, pair["path"], pair["start_line"], pair["end_line"])
            if pos is None:
                continue
            timings: dict[str, float] = {}
            try:
                analysis, pool = searcher.candidates(SearchRequest(pair["query"]), timings)
            except Exception:  # e.g. a query that reads as a broken regex
                continue
            pos_rank = next((i for i, c in enumerate(pool)
                             if c.path == pos.path and c.start_line == pos.start_line),
                            None)
            (pos_doc,) = documents_for(store, [pos])
            pos_code = squash(strip_doc(pos_doc.text, pos.language))
            key = doc_key(pair["doc"])
            hard: list[Document] = []
            ranked = pool if light is None else \
                [chunk_candidate(store, c.path, c.start_line, c.end_line)
                 for c in shortlist(light, pair["query"], args.pool_depth)]
            light_rank = None if light is None else next(
                (i for i, c in enumerate(ranked) if c is not None and c.path == pos.path
                 and c.start_line == pos.start_line), None)
            cands = [c for c in ranked[: args.pool_depth] if c is not None
                     and not (c.path == pos.path and c.start_line <= pos.end_line
                             and pos.start_line <= c.end_line)]
            docs = documents_for(store, cands)
            ok = []
            for c, d in zip(cands, docs, strict=True):
                text = d.text
                if key and key in doc_key(text[:2000]):
                    continue  # the same doc sentence: also a valid answer
                if squash(strip_doc(text, c.language)) == pos_code:
                    continue
                if len(text.strip().split("\n")) < 2:
                    continue
                ok.append((c, d))
            if not ok:
                continue
            # the top of the pool, plus a spread of deeper ones
            top = ok[: args.hard_top]
            rest = ok[args.hard_top:]
            extra = rng.sample(rest, min(len(rest), args.hard - len(top)))
            hard = [d for _, d in top + extra]
            langs = [c.language for c, _ in top + extra]
            strip = pair["form"] != "question" or rng.random() >= args.keep_doc_share
            terms = frozenset(analysis.all_forms)

            def prep(doc: Document, language: str, strip: bool = strip) -> Document:
                return with_text(doc, strip_doc(doc.text, language)) if strip else doc

            pos_d = prep(pos_doc, pos.language)
            hard_d = [prep(d, lang) for d, lang in zip(hard, langs, strict=True)]
            out.append({
                "id": pair["id"], "query": pair["query"], "form": pair["form"],
                "language": pair["language"], "package": pair["package"],
                "path": pair["path"], "symbol": pair["symbol"], "pool_rank": pos_rank,
                "light_rank": light_rank,
                "pool_size": len(pool), "doc_stripped": strip,
                "texts": [renderer.render(pair["query"], terms, d) for d in [pos_d, *hard_d]],
                "_docs": [pos_d, *hard_d], "_terms": terms,
                "_positive_raw": (prep(pos_doc, pos.language), pos.language),
            })
        return out
    finally:
        store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=Path, required=True, help="mine.py output")
    parser.add_argument("--out", type=Path, required=True, help="groups JSONL to write")
    parser.add_argument("--split", choices=("train", "eval"), default="train")
    parser.add_argument("--max-groups", type=int, default=6000,
                        help="sample at most this many queries (default %(default)s)")
    parser.add_argument("--per-package", type=int, default=250,
                        help="at most this many queries per package (default %(default)s)")
    parser.add_argument("--hard", type=int, default=6, help="hard negatives per query")
    parser.add_argument("--hard-top", type=int, default=3,
                        help="of which the top of the pool (the rest sampled from "
                             "deeper in the pool)")
    parser.add_argument("--pool-depth", type=int, default=40,
                        help="how deep in the candidate pool negatives are drawn")
    parser.add_argument("--random", type=int, default=1,
                        help="random negatives from other packages, same language")
    parser.add_argument("--keep-doc-share", type=float, default=0.4,
                        help="share of question-form groups whose documents keep "
                             "their doc comments")
    parser.add_argument("--max-length", type=int, default=192,
                        help="the cross-encoder's token limit the texts are cut for")
    parser.add_argument("--render-model", default="codesift-bi-l6",
                        help="model whose tokenizer measures the budget (same vocabulary)")
    parser.add_argument("--for-light", action="store_true",
                        help="render documents as the light stage embeds them (alone, "
                             "query-independent; use --max-length 256)")
    parser.add_argument("--shortlist", action="store_true",
                        help="draw hard negatives from the light stage's top --pool-depth "
                             "(what the heavy stage reranks) instead of the lexical pool")
    parser.add_argument("--teacher", default="",
                        help="bi-encoder model whose scores are stored for distillation "
                             "(e.g. codesift-bi-l6); empty: none")
    parser.add_argument("--work", type=Path,
                        default=Path(tempfile.gettempdir()) / "codesift-training",
                        help="scratch folder for the package indexes")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    started = time.time()
    rng = random.Random(args.seed)
    pairs = [p for p in read_jsonl(args.pairs) if p["split"] == args.split]
    rng.shuffle(pairs)
    per_pkg: Counter = Counter()
    chosen = []
    for p in pairs:
        if per_pkg[p["package"]] >= args.per_package:
            continue
        per_pkg[p["package"]] += 1
        chosen.append(p)
        if len(chosen) >= args.max_groups:
            break
    by_root: dict[str, list[dict]] = defaultdict(list)
    for p in chosen:
        by_root[p["root"]].append(p)
    print(f"{len(chosen)} queries over {len(by_root)} packages", file=sys.stderr)

    renderer = Renderer(args.render_model, args.max_length, args.for_light)
    groups: list[dict] = []
    for i, (root, items) in enumerate(sorted(by_root.items())):
        t0 = time.time()
        got = process_package(Path(root), items, args, renderer, rng)
        groups.extend(got)
        print(f"[{i + 1}/{len(by_root)}] {items[0]['package']}: {len(got)}/{len(items)} "
              f"groups, {time.time() - t0:.1f} s", file=sys.stderr)

    # random in-language negatives: other packages' positives
    by_lang: dict[str, list[dict]] = defaultdict(list)
    for g in groups:
        by_lang[g["language"]].append(g)
    for g in groups:
        others = by_lang[g["language"]]
        for _ in range(args.random):
            for _try in range(10):
                o = rng.choice(others)
                if o["package"] != g["package"]:
                    break
            else:
                continue
            doc, lang = o["_positive_raw"]
            d = with_text(doc, strip_doc(doc.text, lang)) if g["doc_stripped"] else doc
            g["_docs"].append(d)
            g["texts"].append(renderer.render(g["query"], g["_terms"], d))

    if args.teacher:
        from codesift.config import RerankConfig
        pool = ModelPool(RerankConfig(), None)
        scorer = pool.get(args.teacher)
        if scorer is None:
            sys.exit(f"error: teacher {args.teacher}: {pool.failures.get(args.teacher)}")
        t0 = time.time()
        for i, g in enumerate(groups):
            g["teacher"] = [round(float(s), 5) for s in
                            scorer.score(g["query"], g["_terms"], g["_docs"]).scores]
            if i % 500 == 0:
                print(f"teacher {i}/{len(groups)} {time.time() - t0:.0f} s", file=sys.stderr)

    for g in groups:
        for k in [k for k in g if k.startswith("_")]:
            del g[k]
    write_jsonl(args.out, groups)
    ranks = [g["pool_rank"] for g in groups]
    in20 = sum(1 for r in ranks if r is not None and r < 20)
    print(f"{len(groups)} groups in {time.time() - started:.0f} s -> {args.out}")
    print(f"  positive in the candidate pool: {sum(r is not None for r in ranks)}, "
          f"in its top 20: {in20}")
    print(f"  by language: {dict(Counter(g['language'] for g in groups))}")
    print(f"  by form: {dict(Counter(g['form'] for g in groups))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
