"""Hashed n-gram ids for the BLT local encoder, defined exactly enough to reimplement bit for bit.

For every position t and every n in `ngram_sizes`, the n-gram is the n tokens ending at t, oldest
first: tokens[t-n+1], ..., tokens[t]. Positions before the start of the sequence read as BOE (0).
Its bucket is a polynomial rolling hash in exact integer arithmetic:

    h = 0
    for x in ngram:                     # oldest first
        h = (h * HASH_MULTIPLIER + x) % HASH_MODULUS
    bucket = h % ngram_table_size

All intermediate values fit in a signed 64-bit integer (h < 2^31, multiplier < 2^21), so the same
code gives the same buckets in PyTorch, in the exported ONNX graph and in Java `long` arithmetic.
The bucket indexes a separate embedding table per n.
"""
import torch

HASH_MULTIPLIER = 1_000_003
HASH_MODULUS = 2_147_483_647  # 2^31 - 1, a prime


def ngram_bucket_python(ngram, table_size: int) -> int:
    """Reference for one n-gram: a plain loop, used by tests and as the specification."""
    h = 0
    for x in ngram:
        h = (h * HASH_MULTIPLIER + int(x)) % HASH_MODULUS
    return h % table_size


def ngram_buckets(tokens: torch.Tensor, n: int, table_size: int) -> torch.Tensor:
    """Buckets [B, T] of the n-grams ending at each position of tokens [B, T] (int64)."""
    seq_len = tokens.shape[1]
    padded = torch.nn.functional.pad(tokens, (n - 1, 0), value=0)
    h = torch.zeros_like(tokens)
    for k in range(n):
        h = torch.remainder(h * HASH_MULTIPLIER + padded[:, k:k + seq_len], HASH_MODULUS)
    return torch.remainder(h, table_size)
