"""ONNX export (opset 17, dynamic axes), golden fixtures and the manifest.

The manifest is the one source of truth for the Java side: token ids, configs, windows, theta,
input/output names, shapes and dtypes, FLOPs per byte, training data, metrics and file checksums.
"""
import base64
import hashlib
import json
from pathlib import Path
from typing import Dict, List

import numpy as np
import onnx
import torch

from . import config as C
from .model import (ROLLING_BYTE_QUERY_BLOCK, ROLLING_QUERY_BLOCK, BltExport, BltRollingExport, EntropyModelExport,
                    EntropyRollingExport, EntropyStepExport)
from .patcher import document_entropies, patch_starts, records_in_context
from .runtime import pad_blt_batch, rolling_blt_inputs, run_blt, run_entropy, stream_blt

OPSET = 17
FIXTURE_END_DISTRIBUTIONS = 8  # patches per fixture document whose full next-byte distribution is kept
ENTROPY_FILE, BLT_FILE, FIXTURES_FILE, MANIFEST_FILE = "entropy.onnx", "blt.onnx", "fixtures.json", "manifest.json"
ENTROPY_STEP_FILE = "entropy_step.onnx"
ENTROPY_ROLLING_FILE = "entropy_rolling.onnx"
BLT_ROLLING_FILE = "blt_rolling.onnx"
# Tokens of one stream per rolling call: a long chunk takes several calls, in order. Calls this long
# already amortise a call's fixed cost; longer ones only grow the gathered keys (W + block per query).
ROLLING_MAX_CALL_TOKENS = 512

ENTROPY_IO = {
    "inputs": [{"name": "tokens", "dtype": "int64", "shape": ["batch", "seq"]}],
    "outputs": [
        {"name": "entropy", "dtype": "float32", "shape": ["batch", "seq"],
         "doc": "entropy in nats of the distribution of token t+1 given tokens[..t]"},
        {"name": "next_logprob", "dtype": "float32", "shape": ["batch", "seq"],
         "doc": "log p(tokens[t+1]) in nats; 0 at the last position"},
        {"name": "hidden", "dtype": "float32", "shape": ["batch", "seq", "d_model"],
         "doc": "final normed hidden state; fetch only when needed"},
    ],
}
BLT_IO = {
    "inputs": [
        {"name": "tokens", "dtype": "int64", "shape": ["batch", "seq"]},
        {"name": "patch_start", "dtype": "int64", "shape": ["batch", "patches"],
         "doc": "first position of each patch, ascending, first 0; pad rows with one patch at the first "
                "padding position, then patches starting at seq"},
    ],
    "outputs": [
        {"name": "patch_embedding", "dtype": "float32", "shape": ["batch", "patches", "d_latent"],
         "doc": "embedding of each patch: the embedding head over its pooled bytes and latent state, or the "
                "latent state when the folder has no head (blt.embedding_head = 0)"},
        {"name": "next_logprob", "dtype": "float32", "shape": ["batch", "seq"],
         "doc": "log p(tokens[t+1]) in nats; 0 at the last position"},
        {"name": "patch_end_logprobs", "dtype": "float32", "shape": ["batch", "patches", 260],
         "doc": "log-distribution of the byte after each patch"},
    ],
}


def _names(io, key):
    return [x["name"] for x in io[key]]


def _dynamic_axes(io):
    axes = {}
    for x in io["inputs"] + io["outputs"]:
        axes[x["name"]] = {i: s for i, s in enumerate(x["shape"]) if isinstance(s, str) and s in
                           ("batch", "seq", "patches")}
    return axes


def export_entropy(model, path: Path) -> None:
    wrapper = EntropyModelExport(model).eval()
    example = torch.randint(C.BYTE_OFFSET, C.VOCAB_SIZE, (2, 12))
    torch.onnx.export(wrapper, (example,), str(path), opset_version=OPSET, input_names=_names(ENTROPY_IO, "inputs"),
                      output_names=_names(ENTROPY_IO, "outputs"), dynamic_axes=_dynamic_axes(ENTROPY_IO))
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)


ENTROPY_STEP_IO = {
    "inputs": [
        {"name": "tokens", "dtype": "int64", "shape": ["batch", "seq"],
         "doc": "tokens that continue the window after its cached positions"},
        {"name": "past_key", "dtype": "float32", "shape": ["layers", "batch", "heads", "past", "head_dim"],
         "doc": "rotated attention keys of the window's earlier positions (past may be 0)"},
        {"name": "past_value", "dtype": "float32", "shape": ["layers", "batch", "heads", "past", "head_dim"],
         "doc": "attention values of the window's earlier positions"},
    ],
    "outputs": [
        {"name": "entropy", "dtype": "float32", "shape": ["batch", "seq"],
         "doc": "entropy (nats) of the distribution of the token after each token"},
        {"name": "next_logprob", "dtype": "float32", "shape": ["batch", "seq"],
         "doc": "log p(tokens[t+1]) in nats; 0 at the last position"},
        {"name": "last_logp", "dtype": "float32", "shape": ["batch", 260],
         "doc": "log-distribution after the last token: scores the first token of the next step"},
        {"name": "present_key", "dtype": "float32", "shape": ["layers", "batch", "heads", "total", "head_dim"],
         "doc": "past_key followed by the keys of tokens"},
        {"name": "present_value", "dtype": "float32", "shape": ["layers", "batch", "heads", "total", "head_dim"],
         "doc": "past_value followed by the values of tokens"},
    ],
}


def export_entropy_step(model, path: Path) -> None:
    wrapper = EntropyStepExport(model).eval()
    cfg = model.cfg
    shape = (cfg.n_layers, 2, cfg.n_heads, 5, cfg.d_model // cfg.n_heads)
    example = (torch.randint(C.BYTE_OFFSET, C.VOCAB_SIZE, (2, 7)), torch.randn(shape), torch.randn(shape))
    axes = {"tokens": {0: "batch", 1: "seq"}, "past_key": {1: "batch", 3: "past"}, "past_value": {1: "batch", 3: "past"},
            "entropy": {0: "batch", 1: "seq"}, "next_logprob": {0: "batch", 1: "seq"}, "last_logp": {0: "batch"},
            "present_key": {1: "batch", 3: "total"}, "present_value": {1: "batch", 3: "total"}}
    torch.onnx.export(wrapper, example, str(path), opset_version=OPSET,
                      input_names=_names(ENTROPY_STEP_IO, "inputs"), output_names=_names(ENTROPY_STEP_IO, "outputs"),
                      dynamic_axes=axes)
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)


ENTROPY_ROLLING_IO = {
    "inputs": [
        {"name": "tokens", "dtype": "int64", "shape": ["batch", "seq"],
         "doc": "each row: a stream's next tokens from position start on, right-padded with the pad token; "
                "seq a multiple of query_block"},
        {"name": "start", "dtype": "int64", "shape": ["batch"],
         "doc": "stream position of tokens[:, 0]: BOS is position 0, byte i is position i + 1"},
        {"name": "valid_from", "dtype": "int64", "shape": ["batch"],
         "doc": "first position held in past; keys before it are absent (a stream's start, or a cache "
                "rebuilt from the bytes in state)"},
        {"name": "lengths", "dtype": "int64", "shape": ["batch"],
         "doc": "real tokens of each row, at least 1: last_logp follows the last of them"},
        {"name": "past_key", "dtype": "float32", "shape": ["layers", "batch", "heads", "past", "head_dim"],
         "doc": "rotated attention keys of positions start - past .. start - 1 (past may be 0)"},
        {"name": "past_value", "dtype": "float32", "shape": ["layers", "batch", "heads", "past", "head_dim"],
         "doc": "attention values of the same positions"},
    ],
    "outputs": ENTROPY_STEP_IO["outputs"],
}


def export_entropy_rolling(model, path: Path) -> None:
    wrapper = EntropyRollingExport(model).eval()
    cfg = model.cfg
    shape = (cfg.n_layers, 2, cfg.n_heads, 5, cfg.d_model // cfg.n_heads)
    example = (torch.randint(C.BYTE_OFFSET, C.VOCAB_SIZE, (2, ROLLING_QUERY_BLOCK)), torch.tensor([9, 5]),
               torch.tensor([4, 0]), torch.tensor([7, 3]), torch.randn(shape), torch.randn(shape))
    axes = {"tokens": {0: "batch", 1: "seq"}, "start": {0: "batch"}, "valid_from": {0: "batch"}, "lengths": {0: "batch"},
            "past_key": {1: "batch", 3: "past"}, "past_value": {1: "batch", 3: "past"},
            "entropy": {0: "batch", 1: "seq"}, "next_logprob": {0: "batch", 1: "seq"}, "last_logp": {0: "batch"},
            "present_key": {1: "batch", 3: "total"}, "present_value": {1: "batch", 3: "total"}}
    torch.onnx.export(wrapper, example, str(path), opset_version=OPSET,
                      input_names=_names(ENTROPY_ROLLING_IO, "inputs"),
                      output_names=_names(ENTROPY_ROLLING_IO, "outputs"), dynamic_axes=axes)
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)


def rolling(cfg: C.ModelSetConfig) -> bool:
    """True for a sliding-window entropy model, which streams through the rolling graph (and has no
    aligned-block step graph)."""
    return cfg.entropy.attention_window > 0


BYTE_CACHE_SHAPE = ["byte_layers", "batch", "heads", "byte_past", "head_dim"]
LATENT_CACHE_SHAPE = ["latent_layers", "batch", "latent_heads", "patch_past", "latent_head_dim"]
BLT_ROLLING_IO = {
    "inputs": [
        {"name": "tokens", "dtype": "int64", "shape": ["batch", "seq"],
         "doc": "each row: a stream's next whole patches, right-padded with the pad token to a multiple of "
                "query_block"},
        {"name": "patch_start", "dtype": "int64", "shape": ["batch", "patches"],
         "doc": "as in blt.onnx: each row's patch starts, then one patch at its first padding position, then "
                "patches starting at seq"},
        {"name": "byte_pos", "dtype": "int64", "shape": ["batch"],
         "doc": "stream position of tokens[:, 0] (BOS is position 0)"},
        {"name": "patch_pos", "dtype": "int64", "shape": ["batch"],
         "doc": "stream index of the row's first patch (the BOS patch is 0)"},
        {"name": "lengths", "dtype": "int64", "shape": ["batch"], "doc": "real tokens per row, at least 1"},
        {"name": "patch_counts", "dtype": "int64", "shape": ["batch"], "doc": "real patches per row, at least 1"},
        {"name": "byte_cached", "dtype": "int64", "shape": ["batch"],
         "doc": "present positions among the last of past_byte_key (0 .. byte_window - 1)"},
        {"name": "patch_cached", "dtype": "int64", "shape": ["batch"],
         "doc": "present patches among the last of past_latent_key (0 .. patch_window - 1)"},
        {"name": "history", "dtype": "int64", "shape": ["batch", "ngram_history"],
         "doc": "the tokens before tokens[:, 0], for the hashed n-grams (the pad token before the stream's start)"},
        {"name": "past_byte_key", "dtype": "float32", "shape": BYTE_CACHE_SHAPE,
         "doc": "rotated keys of the byte_window - 1 positions before the call: encoder layers, then decoder layers"},
        {"name": "past_byte_value", "dtype": "float32", "shape": BYTE_CACHE_SHAPE, "doc": "their values"},
        {"name": "past_latent_key", "dtype": "float32", "shape": LATENT_CACHE_SHAPE,
         "doc": "rotated keys of the patch_window - 1 patches before the call"},
        {"name": "past_latent_value", "dtype": "float32", "shape": LATENT_CACHE_SHAPE, "doc": "their values"},
        {"name": "prev_latent", "dtype": "float32", "shape": ["batch", "d_latent"],
         "doc": "latent state of the patch before the call (unused where patch_pos is 0)"},
    ],
    "outputs": BLT_IO["outputs"] + [
        {"name": "present_byte_key", "dtype": "float32", "shape": BYTE_CACHE_SHAPE,
         "doc": "past_byte_key for the row's next call: the byte_window - 1 positions before its padding"},
        {"name": "present_byte_value", "dtype": "float32", "shape": BYTE_CACHE_SHAPE, "doc": "their values"},
        {"name": "present_latent_key", "dtype": "float32", "shape": LATENT_CACHE_SHAPE,
         "doc": "past_latent_key for the row's next call"},
        {"name": "present_latent_value", "dtype": "float32", "shape": LATENT_CACHE_SHAPE, "doc": "their values"},
        {"name": "last_latent", "dtype": "float32", "shape": ["batch", "d_latent"],
         "doc": "latent state of each row's last real patch: prev_latent of its next call"},
    ],
}


def export_blt_rolling(model, path: Path) -> None:
    cfg = model.cfg
    example = rolling_blt_inputs(cfg, [
        {"tokens": [C.BOS_ID] + list(range(10, 20)), "patch_start": [0, 1, 4, 8], "byte_pos": 0, "patch_pos": 0},
        {"tokens": list(range(30, 37)), "patch_start": [0, 3], "byte_pos": 40, "patch_pos": 9, "byte_cached": 3,
         "patch_cached": 2, "history": list(range(40, 40 + max(cfg.ngram_sizes) - 1))}])
    batch = {1: "batch"}
    axes = {"tokens": {0: "batch", 1: "seq"}, "patch_start": {0: "batch", 1: "patches"},
            **{n: {0: "batch"} for n in ("byte_pos", "patch_pos", "lengths", "patch_counts", "byte_cached",
                                          "patch_cached", "history", "prev_latent", "last_latent")},
            **{n: batch for n in ("past_byte_key", "past_byte_value", "past_latent_key", "past_latent_value",
                                  "present_byte_key", "present_byte_value", "present_latent_key",
                                  "present_latent_value")},
            "patch_embedding": {0: "batch", 1: "patches"}, "next_logprob": {0: "batch", 1: "seq"},
            "patch_end_logprobs": {0: "batch", 1: "patches"}}
    torch.onnx.export(BltRollingExport(model).eval(), example, str(path), opset_version=OPSET,
                      input_names=_names(BLT_ROLLING_IO, "inputs"), output_names=_names(BLT_ROLLING_IO, "outputs"),
                      dynamic_axes=axes)
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)


def rolling_blt(cfg: C.ModelSetConfig) -> bool:
    """True for a sliding-window BLT, whose stage streams through the rolling graph."""
    return cfg.blt.byte_window > 0


def export_blt(model, path: Path) -> None:
    wrapper = BltExport(model).eval()
    tokens, starts = pad_blt_batch([([C.BOS_ID] + list(range(10, 20)), [0, 1, 4, 8]), (list(range(30, 37)), [0, 3])])
    torch.onnx.export(wrapper, (tokens, starts), str(path), opset_version=OPSET, input_names=_names(BLT_IO, "inputs"),
                      output_names=_names(BLT_IO, "outputs"), dynamic_axes=_dynamic_axes(BLT_IO))
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------------
# Golden fixtures
# ---------------------------------------------------------------------------------------------------

def fixture_documents() -> Dict[str, bytes]:
    """The fixture inputs: English, logs, multilingual UTF-8, random bytes, and 0- and 1-byte inputs."""
    rng = np.random.default_rng(7)
    return {
        "english": (b"It was the best of times, it was the worst of times, it was the age of wisdom, it was "
                    b"the age of foolishness. George Washington crossed the Delaware in 1776."),
        "logs": (b"2024-03-01 12:00:07,405 INFO  [main] org.apache.flink.runtime.taskmanager.Task - "
                 b"Checkpoint 42 completed in 118ms\n"
                 b"Mar 01 12:00:08 web-01 sshd[4242]: Failed password for invalid user admin from "
                 b"203.0.113.9 port 52211 ssh2\n"
                 b'{"ts":"2024-03-01T12:00:09.120Z","level":"error","msg":"connection refused"}\n'),
        "multilingual": "Всі люди народжуються вільними. 人人生而自由，在尊严和权利上一律平等。 Όλοι οι άνθρωποι γεννιούνται ελεύθεροι. ¡Hola, señor! 🚀".encode(),
        "random": rng.integers(0, 256, 300, dtype=np.uint8).tobytes(),
        "empty": b"",
        "one_byte": b"A",
    }


def _floats(a) -> List[float]:
    return [float(f"{x:.7g}") for x in np.asarray(a, dtype=np.float64).ravel()]


def make_fixtures(entropy_model, blt_model, cfg: C.ModelSetConfig, theta: float, tolerance: float = 1e-4) -> dict:
    """Inputs and PyTorch's outputs for the Java checks, which must agree within tolerance."""
    ent = EntropyModelExport(entropy_model).eval()
    blt = BltExport(blt_model).eval()
    s = cfg.streaming
    documents = []
    for name, data in fixture_documents().items():
        entropy, ent_lp = document_entropies(lambda t: run_entropy(ent, t), data, s.entropy_context_bytes,
                                             s.entropy_block_bytes)
        starts, reasons = patch_starts(entropy, theta, cfg.patching.theta_monotonic, cfg.patching.max_patch_length)
        emb, blt_lp, end_lp = stream_blt(blt_model, cfg, data, starts)
        documents.append({
            "name": name, "bytes_base64": base64.b64encode(data).decode(), "length": len(data),
            "entropies": _floats(entropy), "entropy_model_logprobs": _floats(ent_lp),
            "patch_starts": starts, "patch_start_reasons": reasons,
            "patch_embeddings": [_floats(e) for e in emb], "blt_logprobs": _floats(blt_lp),
            # The full 260-way distribution is large: the first patches suffice to pin it down.
            "patch_end_logprobs": [_floats(e) for e in end_lp[:FIXTURE_END_DISTRIBUTIONS]],
        })

    # Record segmentation with record context: log lines of one key, each after the ones before.
    records = [line for line in fixture_documents()["logs"].split(b"\n") if line] + [b"A"]
    in_context = records_in_context(lambda t: run_entropy(ent, t), lambda c: run_blt(blt, c), records,
                                    s.entropy_context_bytes, s.entropy_block_bytes, s.blt_context_patches,
                                    s.blt_block_patches, s.record_separator, theta, cfg.patching.theta_monotonic,
                                    cfg.patching.max_patch_length,
                                    blt_document=lambda d, st: stream_blt(blt_model, cfg, d, st))
    records_fixture = [{"bytes_base64": base64.b64encode(r).decode(), "entropies": _floats(rec["entropies"]),
                        "entropy_model_logprobs": _floats(rec["logprobs"]), "patch_starts": rec["starts"],
                        "patch_embeddings": [_floats(e) for e in rec["embeddings"]],
                        "blt_logprobs": _floats(rec["blt_logprobs"])} for r, rec in zip(records, in_context)]

    # Direct model calls with padded batches of uneven rows: the export's parity check.
    rng = np.random.default_rng(11)
    rows = [[C.BOS_ID] + list(rng.integers(C.BYTE_OFFSET, C.VOCAB_SIZE, 20)),
            list(rng.integers(C.BYTE_OFFSET, C.VOCAB_SIZE, 7)),
            [C.BOS_ID] + [b + C.BYTE_OFFSET for b in b"Hello, world!"]]
    width = max(len(r) for r in rows)
    tokens = torch.tensor([r + [C.BOE_ID] * (width - len(r)) for r in rows])
    with torch.no_grad():
        e, lp, _ = ent(tokens)
    entropy_call = {"tokens": tokens.tolist(), "entropy": [_floats(x) for x in e], "next_logprob": [_floats(x) for x in lp]}
    calls = [(rows[0], [0, 1, 5, 9, 16]), (rows[1], [0, 2, 3]), (rows[2], [0, 1, 6, 8])]
    t, ps = pad_blt_batch(calls)
    with torch.no_grad():
        pe, nlp, elp = blt(t, ps)
    blt_call = {"tokens": t.tolist(), "patch_start": ps.tolist(),
                "patch_embedding": [[_floats(p) for p in row] for row in pe],
                "next_logprob": [_floats(x) for x in nlp],
                "patch_end_logprobs": [[_floats(p) for p in row] for row in elp]}
    return {"theta": theta, "streaming": vars(cfg.streaming), "documents": documents,
            "records_in_context": records_fixture,
            "model_calls": {"entropy": entropy_call, "blt": blt_call},
            "tolerance": {"relative": tolerance, "absolute": tolerance,
                          "note": f"floats within {tolerance:g} relative (or absolute near 0); boundaries "
                                  f"identical, except where an entropy lies within {tolerance:g} of theta"}}


class _JsonNumber(str):
    """A JSON number kept as the exact text it was written with (see `model_id_of_text`)."""


def _canonical(value) -> str:
    if isinstance(value, dict):
        return "{" + ",".join(json.dumps(k) + ":" + _canonical(v) for k, v in sorted(value.items())) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_canonical(v) for v in value) + "]"
    if isinstance(value, _JsonNumber):
        return str(value)
    return json.dumps(value)  # a string, number, bool or None, exactly as json.dumps writes it into the manifest


def model_id(manifest: dict) -> str:
    """The model's id: "<name>@" + the first 12 hex digits of SHA-256 over the manifest's canonical form.

    The canonical form covers every top-level field except model_id itself (theta, windows, token
    ids, metrics, and through `files` every file's SHA-256), so a manifest edited after export no
    longer matches its id and the Java runtime (dev.blt.model.ModelId, which computes the same
    bytes) refuses it. Canonical form: JSON without whitespace, object keys sorted by code point,
    strings as json.dumps writes them (ASCII, \\uXXXX escapes), numbers as written in manifest.json
    (json.dumps's float repr, which is also what `write_manifest` writes), encoded as ASCII.
    """
    body = {k: v for k, v in manifest.items() if k != "model_id"}
    digest = hashlib.sha256(_canonical(body).encode("ascii")).hexdigest()
    return f"{manifest['name']}@{digest[:12]}"


def _unique_members(pairs) -> dict:
    members = dict(pairs)
    if len(members) != len(pairs):
        raise ValueError("a key occurs twice in one object of the manifest")  # as Java: no single meaning
    return members


def model_id_of_text(text: str) -> str:
    """model_id of a manifest.json's text, with every number hashed as the characters it is written with."""
    return model_id(json.loads(text, object_pairs_hook=_unique_members, parse_int=_JsonNumber,
                               parse_float=_JsonNumber, parse_constant=_JsonNumber))


def write_manifest(out_dir: Path, cfg: C.ModelSetConfig, theta: float, extra: dict) -> dict:
    files = {}
    step_file = ENTROPY_ROLLING_FILE if rolling(cfg) else ENTROPY_STEP_FILE
    names = (ENTROPY_FILE, step_file, BLT_FILE, FIXTURES_FILE) + ((BLT_ROLLING_FILE,) if rolling_blt(cfg) else ())
    for name in names:
        p = out_dir / name
        files[name] = {"sha256": sha256(p), "bytes": p.stat().st_size}
    manifest = {
        "format_version": 1,
        "name": cfg.name,
        "model_id": None,  # set below, from everything else
        "tokens": {"boe": C.BOE_ID, "bos": C.BOS_ID, "eos": C.EOS_ID, "bpe_delimiter": C.BPE_DELIM_ID,
                   "byte_offset": C.BYTE_OFFSET, "vocab_size": C.VOCAB_SIZE, "pad": C.BOE_ID},
        "patching": {"theta": theta, "theta_monotonic": cfg.patching.theta_monotonic,
                     "max_patch_length": cfg.patching.max_patch_length,
                     "target_avg_patch_size": cfg.patching.target_avg_patch_size, "entropy_unit": "nats"},
        "streaming": vars(cfg.streaming),
        "hash_ngrams": {"sizes": list(cfg.blt.ngram_sizes), "table_size": cfg.blt.ngram_table_size,
                        "multiplier": 1_000_003, "modulus": 2_147_483_647, "pad_token": C.BOE_ID},
        "models": {
            "entropy": {"file": ENTROPY_FILE, "config": vars(cfg.entropy), **ENTROPY_IO},
            "blt": {"file": BLT_FILE, "config": {**vars(cfg.blt), "ngram_sizes": list(cfg.blt.ngram_sizes)}, **BLT_IO},
        },
        "fixtures": FIXTURES_FILE,
        "files": files,
        "opset": OPSET,
        **extra,
    }
    if rolling(cfg):
        manifest["format_version"] = 2
        manifest["models"]["entropy_rolling"] = {
            "file": ENTROPY_ROLLING_FILE, "config": vars(cfg.entropy),
            "query_block": ROLLING_QUERY_BLOCK, "max_call_tokens": ROLLING_MAX_CALL_TOKENS, **ENTROPY_ROLLING_IO}
    else:
        manifest["models"]["entropy_step"] = {"file": ENTROPY_STEP_FILE, "config": vars(cfg.entropy), **ENTROPY_STEP_IO}
    if rolling_blt(cfg):
        manifest["format_version"] = 3
        manifest["models"]["blt_rolling"] = {
            "file": BLT_ROLLING_FILE, "config": {**vars(cfg.blt), "ngram_sizes": list(cfg.blt.ngram_sizes)},
            "query_block": ROLLING_BYTE_QUERY_BLOCK, "max_call_tokens": ROLLING_MAX_CALL_TOKENS, **BLT_ROLLING_IO}
    manifest["model_id"] = model_id(manifest)
    (out_dir / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def write_model_folder(out_dir: Path, entropy_model, blt_model, cfg: C.ModelSetConfig, theta: float,
                       extra: dict) -> dict:
    """A complete model folder: both graphs, the incremental entropy graph, golden fixtures and the
    checksummed manifest (extra: its metrics, training record and so on). Returns the manifest."""
    out_dir.mkdir(parents=True, exist_ok=True)
    export_entropy(entropy_model, out_dir / ENTROPY_FILE)
    if rolling(cfg):
        export_entropy_rolling(entropy_model, out_dir / ENTROPY_ROLLING_FILE)
    else:
        export_entropy_step(entropy_model, out_dir / ENTROPY_STEP_FILE)
    export_blt(blt_model, out_dir / BLT_FILE)
    if rolling_blt(cfg):
        export_blt_rolling(blt_model, out_dir / BLT_ROLLING_FILE)
    (out_dir / FIXTURES_FILE).write_text(json.dumps(make_fixtures(entropy_model, blt_model, cfg, theta)) + "\n")
    return write_manifest(out_dir, cfg, theta, extra)
