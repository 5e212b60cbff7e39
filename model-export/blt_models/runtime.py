"""Batched PyTorch runners for the exported wrappers, with the same padding rules Java uses.

Rows are padded on the right, which causal attention keeps from touching real positions. BLT rows
get one extra patch that starts at the first padding position; further padding patches start at T.
"""
from typing import List, Sequence, Tuple

import numpy as np
import torch

from .config import BOE_ID, BOS_ID, BYTE_OFFSET
from .model import ROLLING_BYTE_QUERY_BLOCK, check_rolling_blt


def _last_is_zero(logprob: np.ndarray) -> np.ndarray:
    """In a padded row the graph's last real position scored the pad token; no byte follows it."""
    logprob = logprob.copy()
    if len(logprob):
        logprob[-1] = 0.0
    return logprob


def _batches(lengths: Sequence[int], batch_size: int):
    """Index groups of similar length, so padding stays small."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    for i in range(0, len(order), batch_size):
        yield order[i:i + batch_size]


@torch.no_grad()
def run_entropy(export_model, token_lists: List[List[int]], batch_size: int = 64):
    """-> list of (entropy [T], next_logprob [T]) numpy arrays, one per token list."""
    results = [None] * len(token_lists)
    for group in _batches([len(t) for t in token_lists], batch_size):
        width = max(len(token_lists[i]) for i in group)
        tokens = torch.full((len(group), width), BOE_ID, dtype=torch.long)
        for row, i in enumerate(group):
            tokens[row, :len(token_lists[i])] = torch.tensor(token_lists[i])
        entropy, logprob, _ = export_model(tokens)
        for row, i in enumerate(group):
            n = len(token_lists[i])
            results[i] = (entropy[row, :n].numpy(), _last_is_zero(logprob[row, :n].numpy()))
    return results


def pad_blt_batch(calls: List[Tuple[List[int], List[int]]]):
    """(tokens, patch_start) lists -> padded int64 tensors [B,T], [B,P]."""
    width = max(len(t) for t, _ in calls)
    patches = max(len(p) + (1 if len(t) < width else 0) for t, p in calls)
    tokens = torch.full((len(calls), width), BOE_ID, dtype=torch.long)
    starts = torch.full((len(calls), patches), width, dtype=torch.long)
    for row, (t, p) in enumerate(calls):
        tokens[row, :len(t)] = torch.tensor(t)
        row_starts = list(p) + ([len(t)] if len(t) < width else [])
        starts[row, :len(row_starts)] = torch.tensor(row_starts)
    return tokens, starts


@torch.no_grad()
def run_blt(export_model, calls: List[Tuple[List[int], List[int]]], batch_size: int = 16):
    """-> list of (patch_embedding [P,D], next_logprob [T], patch_end_logprobs [P,260])."""
    results = [None] * len(calls)
    for group in _batches([len(calls[i][0]) for i in range(len(calls))], batch_size):
        tokens, starts = pad_blt_batch([calls[i] for i in group])
        emb, logprob, end_lp = export_model(tokens, starts)
        for row, i in enumerate(group):
            n, p = len(calls[i][0]), len(calls[i][1])
            results[i] = (emb[row, :p].numpy(), _last_is_zero(logprob[row, :n].numpy()), end_lp[row, :p].numpy())
    return results


def rolling_blt_inputs(cfg, calls):
    """The inputs of one batched BltRollingExport call, padded as the Java runner pads them. calls:
    dicts with tokens, patch_start (of this call's whole patches), byte_pos, patch_pos and the
    stream's carried state (history, caches, counts, prev_latent; absent at a stream's start)."""
    check_rolling_blt(cfg)
    hist = max(cfg.ngram_sizes) - 1
    h, dh = cfg.n_heads_local, cfg.d_local // cfg.n_heads_local
    hl, dhl = cfg.n_heads_latent, cfg.d_latent // cfg.n_heads_latent
    byte_layers, cb, cp = cfg.encoder_layers + cfg.decoder_layers, cfg.byte_window - 1, cfg.patch_window - 1
    block = ROLLING_BYTE_QUERY_BLOCK
    # Rows right-padded to a whole number of query blocks; then one padding patch at each row's first
    # padding position, the remaining patch slots empty at the width (as pad_blt_batch does).
    width = -(-max(len(c["tokens"]) for c in calls) // block) * block
    patches = max(len(c["patch_start"]) for c in calls) + 1
    tokens = torch.full((len(calls), width), BOE_ID, dtype=torch.long)
    starts = torch.full((len(calls), patches), width, dtype=torch.long)
    for row, c in enumerate(calls):
        n, p = len(c["tokens"]), len(c["patch_start"])
        tokens[row, :n] = torch.tensor(c["tokens"])
        starts[row, :p] = torch.tensor(c["patch_start"])
        starts[row, p] = n

    def state(c, key, shape):
        return c[key] if key in c else torch.zeros(shape)

    return (tokens, starts,
            torch.tensor([c["byte_pos"] for c in calls]), torch.tensor([c["patch_pos"] for c in calls]),
            torch.tensor([len(c["tokens"]) for c in calls]), torch.tensor([len(c["patch_start"]) for c in calls]),
            torch.tensor([c.get("byte_cached", 0) for c in calls]), torch.tensor([c.get("patch_cached", 0) for c in calls]),
            torch.stack([torch.tensor(c.get("history", [BOE_ID] * hist)) for c in calls]),
            torch.stack([state(c, "byte_k", (byte_layers, h, cb, dh)) for c in calls], dim=1),
            torch.stack([state(c, "byte_v", (byte_layers, h, cb, dh)) for c in calls], dim=1),
            torch.stack([state(c, "latent_k", (cfg.latent_layers, hl, cp, dhl)) for c in calls], dim=1),
            torch.stack([state(c, "latent_v", (cfg.latent_layers, hl, cp, dhl)) for c in calls], dim=1),
            torch.stack([state(c, "prev_latent", (cfg.d_latent,)) for c in calls]))


def rolling_blt_call(export_model, cfg, calls):
    """One batched call of BltRollingExport (calls as rolling_blt_inputs takes them). Returns, per
    call, (embedding [P,D], next_logprob [T], end_logprobs [P,260], the state to carry into the
    stream's next call)."""
    hist = max(cfg.ngram_sizes) - 1
    cb, cp = cfg.byte_window - 1, cfg.patch_window - 1
    with torch.no_grad():
        emb, logprob, end_lp, bk, bv, lk, lv, last_latent = export_model(*rolling_blt_inputs(cfg, calls))
    out = []
    for row, c in enumerate(calls):
        n, p = len(c["tokens"]), len(c["patch_start"])
        carried = {"history": (list(c.get("history", [BOE_ID] * hist)) + list(c["tokens"]))[-hist:],
                   "byte_k": bk[:, row], "byte_v": bv[:, row], "latent_k": lk[:, row], "latent_v": lv[:, row],
                   "byte_cached": min(cb, c.get("byte_cached", 0) + n), "patch_cached": min(cp, c.get("patch_cached", 0) + p),
                   "prev_latent": last_latent[row], "end_logp": end_lp[row, p - 1].numpy()}
        out.append((emb[row, :p].numpy(), _last_is_zero(logprob[row, :n].numpy()), end_lp[row, :p].numpy(), carried))
    return out


def rolling_blt_stream(export_model, cfg, tokens, patch_start, patches_per_call):
    """A whole stream (tokens with BOS first, patch_start ascending from 0) through rolling calls of
    patches_per_call patches each -> (embedding [P,D], next_logprob [T], end_logprobs [P,260]) with
    next_logprob[t] = log p(tokens[t+1]), as one pass gives them."""
    bounds = list(patch_start) + [len(tokens)]
    embeddings, ends, logprob = [], [], np.zeros(len(tokens), dtype=np.float32)
    carried = {}
    for first in range(0, len(patch_start), patches_per_call):
        last = min(len(patch_start), first + patches_per_call)
        lo, hi = bounds[first], bounds[last]
        call = {"tokens": tokens[lo:hi], "patch_start": [s - lo for s in patch_start[first:last]],
                "byte_pos": lo, "patch_pos": first, **carried}
        emb, lp, end_lp, state = rolling_blt_call(export_model, cfg, [call])[0]
        if "end_logp" in carried:
            logprob[lo - 1] = carried["end_logp"][tokens[lo]]
        logprob[lo:hi] = lp
        embeddings.append(emb)
        ends.append(end_lp)
        carried = {k: v for k, v in state.items()}
    logprob[-1] = 0.0
    return np.concatenate(embeddings), logprob, np.concatenate(ends)


def stream_blt(blt_model, cfg, data: bytes, starts):
    """BLT outputs of one document in stream segmentation, as the Java BLT stage computes them:
    (embeddings [patches, D], log p(byte i) [bytes], end log-distributions [patches, 260]). A
    sliding-window BLT streams through rolling calls of its caches; any other through aligned blocks
    of patches (patcher.document_blt)."""
    from .model import BltExport, BltRollingExport
    from .patcher import document_blt
    if cfg.blt.byte_window <= 0:
        return document_blt(lambda calls: run_blt(BltExport(blt_model).eval(), calls), data, starts,
                            cfg.streaming.blt_context_patches, cfg.streaming.blt_block_patches)
    tokens = [BOS_ID] + [b + BYTE_OFFSET for b in data]
    emb, logprob, ends = rolling_blt_stream(BltRollingExport(blt_model).eval(), cfg.blt, tokens,
                                            [0] + [s + 1 for s in starts], ROLLING_PATCHES_PER_CALL)
    return emb[1:], logprob[:len(data)], ends[1:]


# Patches per rolling call in Python's evaluation: any count gives the same outputs (within float
# tolerance); this one keeps a call's bytes near the Java runner's.
ROLLING_PATCHES_PER_CALL = 64
