"""The n-gram hash is pinned: these values are what Java must reproduce bit for bit."""
import torch

from blt_models.hashing import HASH_MODULUS, HASH_MULTIPLIER, ngram_bucket_python, ngram_buckets


def test_known_buckets():
    # Computed once from the definition in hashing.py; a change here breaks every shipped model.
    assert ngram_bucket_python([101, 102, 103], 4096) == 1502
    assert ngram_bucket_python([0, 0, 5], 4096) == 5
    assert ngram_bucket_python([259] * 6, 4096) == 2570
    assert ngram_bucket_python([1, 72, 105], 256) == 155


def test_tensor_hash_matches_reference_and_pads_with_boe():
    g = torch.Generator().manual_seed(1)
    tokens = torch.randint(0, 260, (3, 40), generator=g)
    for n in (2, 3, 5, 8):
        buckets = ngram_buckets(tokens, n, 4096)
        for b in range(3):
            for t in range(40):
                ngram = [0] * max(0, n - 1 - t) + tokens[b, max(0, t - n + 1):t + 1].tolist()
                assert buckets[b, t].item() == ngram_bucket_python(ngram, 4096)


def test_hash_is_deterministic_and_fits_int64():
    tokens = torch.full((1, 16), 259)
    assert torch.equal(ngram_buckets(tokens, 8, 1 << 20), ngram_buckets(tokens.clone(), 8, 1 << 20))
    assert (HASH_MODULUS - 1) * HASH_MULTIPLIER + 259 < 2 ** 63
