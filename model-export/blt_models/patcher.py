"""Reference patcher: the aligned-block streaming scheme, the patching rule and calibration.

This is the specification the Java patcher must reproduce (docs/DESIGN.md, "Patching rule" and
"Streaming invariant"). Functions here take a whole document at once; the Java side computes the
same values incrementally as bytes arrive.

Entropy windows. Byte t lies in block k = t // B. Its entropy H_t is the last output of one causal
pass over window(t):
    ctx_start = max(0, k*B - C)
    window(t) = [BOS if k*B <= C] + bytes[ctx_start : t]        (bytes as tokens b + 4)
Because the pass is causal, one pass over window((k+1)*B - 1) + the block's last byte yields every
H_t of block k at once. The BLT stage uses the same scheme on patch indices.
"""
from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence

import numpy as np

from .config import BOS_ID, BYTE_OFFSET

# A model function maps a list of token windows (int lists) to per-position outputs.
EntropyFn = Callable[[List[List[int]]], List[dict]]


@dataclass
class Window:
    """One model call of the block scheme: tokens [ctx_start, end) of the document, BOS if any."""
    bos: bool
    ctx_start: int
    block_start: int
    end: int

    def tokens(self, data: bytes) -> List[int]:
        head = [BOS_ID] if self.bos else []
        return head + [b + BYTE_OFFSET for b in data[self.ctx_start:self.end]]

    def position_before(self, t: int) -> int:
        """Index, in this window's tokens, of the token just before byte t."""
        return t - self.ctx_start - 1 + (1 if self.bos else 0)


def block_windows(length: int, context: int, block: int) -> List[Window]:
    """Windows that cover items [0, length) under the aligned-block scheme."""
    windows = []
    for block_start in range(0, length, block):
        windows.append(Window(bos=block_start <= context, ctx_start=max(0, block_start - context),
                              block_start=block_start, end=min(length, block_start + block)))
    return windows


def document_entropies(run_entropy_model, data: bytes, context: int, block: int):
    """Per-byte entropy H_t (nats) and log p(byte t) of a document, under the block scheme.

    run_entropy_model(list of token lists) -> list of (entropy array, next_logprob array).
    """
    return documents_entropies(run_entropy_model, [data], context, block)[0]


def documents_entropies(run_entropy_model, documents: Sequence[bytes], context: int, block: int):
    """document_entropies of several documents, their windows run as one batch of calls."""
    windows = [(d, w) for d, data in enumerate(documents) for w in block_windows(len(data), context, block)]
    outputs = run_entropy_model([w.tokens(documents[d]) for d, w in windows]) if windows else []
    results = [(np.zeros(len(data), dtype=np.float32), np.zeros(len(data), dtype=np.float32)) for data in documents]
    for (d, w), (ent, lp) in zip(windows, outputs):
        entropy, logprob = results[d]
        idx = np.arange(w.block_start, w.end)
        pos = idx - w.ctx_start - 1 + (1 if w.bos else 0)
        entropy[idx] = ent[pos]
        logprob[idx] = lp[pos]
    return results


# Close reasons of a patch: why the *next* patch started (or why the patch ended).
ENTROPY, MONOTONIC, MAX_LENGTH = "ENTROPY", "MONOTONIC", "MAX_LENGTH"


def patch_starts(entropy: np.ndarray, theta: float, theta_monotonic: Optional[float] = None,
                 max_patch_length: Optional[int] = None):
    """Start offsets of the patches of one document, and why each start happened.

    Byte t begins a patch iff t == 0, or H_t > theta, or (optional) H_t - H_{t-1} > theta_monotonic,
    or the open patch already holds max_patch_length bytes. Returns (starts, reasons) where
    reasons[i] says why starts[i] began a patch ("START" for t == 0).
    """
    n = len(entropy)
    if n == 0:
        return [], []
    entropy = np.asarray(entropy, dtype=np.float64)
    by_entropy = entropy > theta
    by_monotonic = np.zeros(n, dtype=bool)
    if theta_monotonic is not None:
        by_monotonic[1:] = (entropy[1:] - entropy[:-1]) > theta_monotonic
    candidates = by_entropy | by_monotonic
    candidates[0] = True
    starts, reasons = [], []
    natural = np.flatnonzero(candidates)
    for i, s in enumerate(natural):
        starts.append(int(s))
        reasons.append("START" if s == 0 else (ENTROPY if by_entropy[s] else MONOTONIC))
        end = int(natural[i + 1]) if i + 1 < len(natural) else n
        if max_patch_length:
            for forced in range(int(s) + max_patch_length, end, max_patch_length):
                starts.append(forced)
                reasons.append(MAX_LENGTH)
    return starts, reasons


def count_patches(entropies: Sequence[np.ndarray], theta, theta_monotonic=None, max_patch_length=None) -> int:
    return sum(len(patch_starts(e, theta, theta_monotonic, max_patch_length)[0]) for e in entropies)


def calibrate_theta(entropies: Sequence[np.ndarray], target_avg_patch_size: float,
                    theta_monotonic=None, max_patch_length=None, iterations: int = 50) -> float:
    """The theta whose average patch size (bytes / patches over all documents) is closest to target.

    Average patch size grows with theta, so bisection finds it. Raises if the target is out of reach.
    """
    total = sum(len(e) for e in entropies)
    if total == 0:
        raise ValueError("calibration needs at least one byte")
    if target_avg_patch_size < 1:
        raise ValueError(f"target average patch size must be >= 1, got {target_avg_patch_size}")

    def avg(theta):
        return total / count_patches(entropies, theta, theta_monotonic, max_patch_length)

    lo, hi = 0.0, float(max(e.max() for e in entropies if len(e))) + 1e-3
    if avg(hi) < target_avg_patch_size:
        raise ValueError(f"target {target_avg_patch_size} is above the largest reachable average "
                         f"patch size {avg(hi):.3f} (max_patch_length={max_patch_length})")
    for _ in range(iterations):
        mid = (lo + hi) / 2
        if avg(mid) < target_avg_patch_size:
            lo = mid
        else:
            hi = mid
    return hi if abs(avg(hi) - target_avg_patch_size) <= abs(avg(lo) - target_avg_patch_size) else lo


def document_blt(run_blt, data: bytes, starts: Sequence[int], context: int, block: int):
    """Per-patch embeddings, per-patch next-byte log-distribution, per-byte log p under BLT.

    run_blt(list of (tokens, patch_start)) -> list of (embedding [P,D], next_logprob [T],
    patch_end_logprobs [P,260]). A window with BOS gets the BOS token as a patch of its own.
    """
    n, num_patches = len(data), len(starts)
    bounds = list(starts) + [n]
    calls, windows = [], block_windows(num_patches, context, block)
    for w in windows:
        byte_lo, byte_hi = bounds[w.ctx_start], bounds[w.end]
        shift = 1 if w.bos else 0
        tokens = ([BOS_ID] if w.bos else []) + [b + BYTE_OFFSET for b in data[byte_lo:byte_hi]]
        patch_start = ([0] if w.bos else []) + [s - byte_lo + shift for s in starts[w.ctx_start:w.end]]
        calls.append((tokens, patch_start))
    outputs = run_blt(calls) if calls else []
    embeddings, end_logprobs = [None] * num_patches, [None] * num_patches
    byte_logprob = np.zeros(n, dtype=np.float32)
    for w, (emb, lp, end_lp) in zip(windows, outputs):
        byte_lo = bounds[w.ctx_start]
        shift = 1 if w.bos else 0
        for p in range(w.block_start, w.end):
            local = p - w.ctx_start + shift
            embeddings[p] = emb[local]
            end_logprobs[p] = end_lp[local]
        idx = np.arange(bounds[w.block_start], bounds[w.end])
        byte_logprob[idx] = lp[idx - byte_lo + shift - 1]
    if num_patches == 0:
        return np.zeros((0, 0), np.float32), byte_logprob, np.zeros((0, 0), np.float32)
    return np.stack(embeddings), byte_logprob, np.stack(end_logprobs)


def records_in_context(run_entropy_model, run_blt, records: Sequence[bytes], context: int, block: int,
                       blt_context: int, blt_block: int, separator: int, theta: float,
                       theta_monotonic: Optional[float] = None, max_patch_length: Optional[int] = None,
                       blt_document=None):
    """Record segmentation with record context (the job's default): the records of one key as the
    models see them, each followed by `separator` in the context of the next, never in a patch.

    Each record's patches are cut from its own bytes' entropies (a record starts a patch; no patch
    spans records); BLT sees the separator as a patch of its own, without outputs. blt_document
    (data, starts) -> document_blt's outputs, when given, replaces run_blt's aligned blocks (a
    rolling BLT: runtime.stream_blt). Returns, per
    record: dict(entropies, logprobs, starts (record-relative), reasons, embeddings, blt_logprobs).
    """
    stream = b"".join(r + bytes([separator]) for r in records)
    entropy, logprob = document_entropies(run_entropy_model, stream, context, block)
    out, all_starts, separator_patches, pos = [], [], set(), 0
    for r in records:
        starts, reasons = patch_starts(entropy[pos:pos + len(r)], theta, theta_monotonic, max_patch_length)
        out.append({"entropies": entropy[pos:pos + len(r)], "logprobs": logprob[pos:pos + len(r)],
                    "starts": starts, "reasons": reasons, "offset": pos})
        all_starts += [pos + s for s in starts]
        separator_patches.add(len(all_starts))
        all_starts.append(pos + len(r))
        pos += len(r) + 1
    embeddings, blt_logprob, _ = (blt_document(stream, all_starts) if blt_document
                                  else document_blt(run_blt, stream, all_starts, blt_context, blt_block))
    kept = [i for i in range(len(all_starts)) if i not in separator_patches]
    next_patch = 0
    for rec, r in zip(out, records):
        n = len(rec["starts"])
        rec["embeddings"] = embeddings[kept[next_patch:next_patch + n]] if n else np.zeros((0, 0), np.float32)
        rec["blt_logprobs"] = blt_logprob[rec["offset"]:rec["offset"] + len(r)]
        next_patch += n
    return out
