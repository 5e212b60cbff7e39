"""The embedding objective's pieces: masks, re-randomised positives, record windows, InfoNCE."""
import random

import torch

from blt_models import config as C
from blt_models.contrastive import (info_nce, mask, record_embeddings, record_windows, rerandomise,
                                    same_form_matrix, template_accuracy)
from blt_models.model import BltExport, EntropyModelExport
from blt_models.patcher import records_in_context
from blt_models.runtime import run_blt, run_entropy


def test_mask_hides_numbers_and_hex_runs_as_the_java_baseline_does():
    # the same cases as dev.blt.eval.MaskedLinesTest
    assert mask(b"Received block blk_-1608999687919862906 of size 91178 from /10.250.10.6") == \
        b"Received block blk_-<*> of size <*> from /<*>.<*>.<*>.<*>"
    assert mask(b"session 3fa9c2e1 user root ptr 0x7FFe12 deadbeef") == b"session <*> user root ptr <*> deadbeef"


def test_rerandomised_line_keeps_its_template_and_changes_its_fields():
    rng = random.Random(3)
    line = b"2024-05-01 12:00:07 sshd[4242]: Accepted key 9f3ab2c1 for root from 10.0.0.7 port 51234"
    noisy = rerandomise(line, rng)
    assert noisy != line and len(noisy) == len(line)
    assert mask(noisy) == mask(line)
    assert rerandomise(b"no fields here", rng) == b"no fields here"


def test_record_windows_cut_the_last_record_as_records_in_context_does(entropy_model, blt_model, tiny_cfg):
    run_e = lambda t: run_entropy(EntropyModelExport(entropy_model), t)  # noqa: E731
    records = [b"alpha beta 12", b"gamma 7", b"delta epsilon 3"]
    theta, s = 4.0, tiny_cfg.streaming
    window, alone = record_windows(run_e, [records, records[-1:]], tiny_cfg, theta)
    want = records_in_context(run_e, lambda c: run_blt(BltExport(blt_model), c), records, s.entropy_context_bytes,
                              s.entropy_block_bytes, s.blt_context_patches, s.blt_block_patches,
                              s.record_separator, theta, max_patch_length=tiny_cfg.patching.max_patch_length)[-1]
    offset = len(records[0]) + len(records[1]) + 2
    assert window.tokens == [b + C.BYTE_OFFSET for b in b"alpha beta 12\ngamma 7\ndelta epsilon 3"]
    assert [window.patch_start[i] - offset for i in window.record_patches] == list(want["starts"])
    assert offset - 1 in window.patch_start  # the separator is a patch of its own
    assert alone.tokens[0] == C.BOS_ID and alone.patch_start[:2] == [0, 1] and list(alone.record_patches)[0] == 1


def test_record_embeddings_are_unit_means_of_each_records_patches():
    emb = record_embeddings([torch.tensor([[3.0, 0.0], [1.0, 4.0]]), torch.tensor([[0.0, -2.0]])])
    assert torch.allclose(emb, torch.tensor([[0.7071068, 0.7071068], [0.0, -1.0]]))


def test_info_nce_prefers_matched_pairs_and_ignores_same_form_negatives():
    a = torch.nn.functional.normalize(torch.randn(6, 8, generator=torch.Generator().manual_seed(1)), dim=-1)
    none = torch.zeros(6, 6, dtype=torch.bool)
    assert info_nce(a, a, none, 0.1) < info_nce(a, a.roll(1, 0), none, 0.1)
    # a negative identical to the positive costs nothing once it is marked as the same form
    b = a.clone()
    b[1] = a[0]
    same = torch.zeros(6, 6, dtype=torch.bool)
    same[0, 1] = same[1, 0] = True
    assert info_nce(a, b, same, 0.1) < info_nce(a, b, none, 0.1)
    assert same_form_matrix([b"x 1", b"x 22", b"y"]).tolist() == [[True, True, False], [True, True, False],
                                                                  [False, False, True]]


def test_template_accuracy_is_leave_one_out_nearest_neighbour():
    import numpy as np
    vectors = np.array([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]], dtype=np.float32)
    assert template_accuracy(vectors, ["a", "a", "b", "b"]) == 1.0
    assert template_accuracy(vectors, ["a", "b", "a", "b"]) == 0.0
