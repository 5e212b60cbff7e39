"""Batched PyTorch runners for the exported wrappers, with the same padding rules Java uses.

Rows are padded on the right, which causal attention keeps from touching real positions. BLT rows
get one extra patch that starts at the first padding position; further padding patches start at T.
"""
from typing import List, Sequence, Tuple

import numpy as np
import torch

from .config import BOE_ID


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
