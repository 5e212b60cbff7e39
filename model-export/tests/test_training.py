"""The training loop's bfloat16 forward passes (BLT_TRAIN_BF16)."""
from dataclasses import replace

import pytest
import torch

from blt_models import config as C
from blt_models import training
from blt_models.model import EntropyModel


def test_bf16_autocast_follows_the_setting(monkeypatch):
    monkeypatch.setenv("BLT_TRAIN_BF16", "on")
    assert training.bf16_autocast()
    monkeypatch.setenv("BLT_TRAIN_BF16", "off")
    assert not training.bf16_autocast()
    monkeypatch.setenv("BLT_TRAIN_BF16", "yes")
    with pytest.raises(SystemExit, match="auto, on or off"):
        training.bf16_autocast()


def test_bf16_training_learns_and_keeps_float32_weights(monkeypatch):
    monkeypatch.setenv("BLT_TRAIN_BF16", "on")
    torch.set_num_threads(1)
    cfg = C.tiny()
    cfg = replace(cfg, entropy_train=replace(cfg.entropy_train, max_steps=60, max_minutes=5.0, warmup_steps=5,
                                             eval_every=10 ** 9, batch_size=8))
    data = b"".join(b"user %d logged in from 10.0.0.%d\n" % (i % 7, i % 5) for i in range(400))
    before = training.entropy_bits_per_byte(EntropyModel(cfg.entropy), data, cfg)
    model, report = training.train_entropy_model(cfg, [training.make_source("mine", data)], {}, lambda *a: None,
                                                 domain_weights={"mine": 1.0})
    assert report["bf16_autocast"] is True
    assert all(p.dtype == torch.float32 for p in model.parameters())
    after = training.entropy_bits_per_byte(model, data, cfg)
    assert after < 0.6 * before, (before, after)
