"""The patching rule, the aligned-block windows and calibration."""
import numpy as np
import pytest
import torch

from blt_models import config as C
from blt_models.model import EntropyModelExport
from blt_models.patcher import (block_windows, calibrate_theta, document_blt, document_entropies,
                                patch_starts, records_in_context)
from blt_models.runtime import run_blt, run_entropy
from blt_models.model import BltExport


def test_first_byte_always_starts_a_patch():
    assert patch_starts(np.array([0.1, 0.1, 0.1]), theta=1.0) == ([0], ["START"])
    assert patch_starts(np.array([]), theta=1.0) == ([], [])


def test_global_rule_is_strictly_greater():
    entropy = np.array([3.0, 0.5, 2.0, 1.0, 1.5, 0.2])
    starts, reasons = patch_starts(entropy, theta=1.0)
    assert starts == [0, 2, 4]
    assert reasons == ["START", "ENTROPY", "ENTROPY"]


def test_monotonic_rule():
    entropy = np.array([0.5, 0.6, 0.9, 0.2, 0.8])
    starts, reasons = patch_starts(entropy, theta=10.0, theta_monotonic=0.25)
    assert starts == [0, 2, 4]  # 0.9-0.6 = 0.3 > 0.25 and 0.8-0.2 = 0.6 > 0.25
    assert reasons == ["START", "MONOTONIC", "MONOTONIC"]


def test_max_patch_length_forces_cuts_and_resets_at_entropy_starts():
    entropy = np.array([0.0] * 7 + [5.0] + [0.0] * 4)
    starts, reasons = patch_starts(entropy, theta=1.0, max_patch_length=3)
    assert starts == [0, 3, 6, 7, 10]
    assert reasons == ["START", "MAX_LENGTH", "MAX_LENGTH", "ENTROPY", "MAX_LENGTH"]


def test_block_windows_follow_absolute_offsets():
    windows = block_windows(300, context=64, block=64)
    assert [(w.bos, w.ctx_start, w.block_start, w.end) for w in windows] == [
        (True, 0, 0, 64), (True, 0, 64, 128), (False, 64, 128, 192), (False, 128, 192, 256), (False, 192, 256, 300)]


def test_document_entropies_equal_one_pass_per_byte(entropy_model, tiny_cfg):
    """The batched block scheme equals the definition: H_t is the last output over window(t)."""
    ent = EntropyModelExport(entropy_model)
    data = bytes(range(40, 110))
    c, b = tiny_cfg.streaming.entropy_context_bytes, tiny_cfg.streaming.entropy_block_bytes
    entropy, logprob = document_entropies(lambda rows: run_entropy(ent, rows), data, c, b)
    for t in range(len(data)):
        k = t // b
        window = ([C.BOS_ID] if k * b <= c else []) + [x + C.BYTE_OFFSET for x in data[max(0, k * b - c):t]]
        with torch.no_grad():
            e, lp, _ = ent(torch.tensor([window + [data[t] + C.BYTE_OFFSET]]))
        assert abs(entropy[t] - e[0, -2].item()) < 1e-5, t
        assert abs(logprob[t] - lp[0, -2].item()) < 1e-5, t


def test_document_blt_covers_every_byte_and_patch(blt_model, tiny_cfg):
    data = b"2024-03-01 INFO checkpoint 42 completed in 118ms\nMar 01 sshd[4242]: Failed password\n"
    starts = list(range(0, len(data), 3))
    blt = BltExport(blt_model)
    emb, logprob, end = document_blt(lambda calls: run_blt(blt, calls), data, starts,
                                     tiny_cfg.streaming.blt_context_patches, tiny_cfg.streaming.blt_block_patches)
    assert emb.shape == (len(starts), tiny_cfg.blt.d_latent)
    assert end.shape == (len(starts), C.VOCAB_SIZE)
    assert np.all(logprob < 0)  # every byte got a real log-probability


def test_calibration_hits_target():
    rng = np.random.default_rng(0)
    docs = [rng.gamma(2.0, 0.8, size=n) for n in (500, 1200, 3000)]
    for target in (2.0, 4.5, 8.0):
        theta = calibrate_theta(docs, target, max_patch_length=32)
        total = sum(len(d) for d in docs)
        count = sum(len(patch_starts(d, theta, None, 32)[0]) for d in docs)
        assert abs(total / count - target) / target < 0.02


def test_calibration_rejects_unreachable_target():
    docs = [np.full(100, 3.0)]
    with pytest.raises(ValueError, match="above the largest reachable"):
        calibrate_theta(docs, 50.0, max_patch_length=8)
    with pytest.raises(ValueError):
        calibrate_theta([np.array([])], 4.0)


def test_records_in_context_cover_each_record_and_see_the_records_before(entropy_model, blt_model, tiny_cfg):
    """Each record's patches cover exactly its bytes; its entropies are those of the key's records
    joined with the separator; the first record is scored as it would be alone."""
    s = tiny_cfg.streaming
    ent, blt = EntropyModelExport(entropy_model), BltExport(blt_model)
    run_e, run_b = (lambda rows: run_entropy(ent, rows)), (lambda calls: run_blt(blt, calls))
    records = [b"Mar 01 sshd[1]: Failed password for root", b"", b"Mar 01 sshd[2]: Failed password for admin", b"x"]
    out = records_in_context(run_e, run_b, records, s.entropy_context_bytes, s.entropy_block_bytes,
                             s.blt_context_patches, s.blt_block_patches, s.record_separator, theta=1.0,
                             max_patch_length=tiny_cfg.patching.max_patch_length)
    joined = b"".join(r + bytes([s.record_separator]) for r in records)
    entropy, _ = document_entropies(run_e, joined, s.entropy_context_bytes, s.entropy_block_bytes)
    alone, _ = document_entropies(run_e, records[0], s.entropy_context_bytes, s.entropy_block_bytes)
    np.testing.assert_allclose(out[0]["entropies"], alone, rtol=1e-5, atol=1e-6)
    pos = 0
    for record, rec in zip(records, out):
        np.testing.assert_array_equal(rec["entropies"], entropy[pos:pos + len(record)])
        assert rec["starts"] == patch_starts(rec["entropies"], 1.0, None, tiny_cfg.patching.max_patch_length)[0]
        assert len(rec["embeddings"]) == len(rec["starts"])
        assert len(rec["blt_logprobs"]) == len(record) and np.all(rec["blt_logprobs"] < 0)
        pos += len(record) + 1
