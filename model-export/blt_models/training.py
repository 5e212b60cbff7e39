"""Training loops for the entropy model and BLT, and their held-out evaluation.

Windows are sampled from the training split only. Half of the windows (bos_window_fraction) begin
at a line start with BOS, as `record` segmentation feeds the models; the rest begin anywhere, as
`stream` segmentation does.
"""
import contextlib
import math
import os
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from . import corpus, synthetic_logs
from .config import BOE_ID, BOS_ID, BYTE_OFFSET, ModelSetConfig, TrainConfig
from .model import ByteLatentTransformer, EntropyModel, EntropyModelExport
from .patcher import block_windows, document_entropies, patch_starts
from .progress import Progress
from .runtime import pad_blt_batch, run_entropy, stream_blt

LN2 = math.log(2)
# Training mix: share of windows drawn from each source group.
# Logs of real software (corpus_real) dominate: they are the product's input.
DOMAIN_WEIGHTS = {"real_logs": 0.50, "text": 0.12, "logs": 0.08, "synthetic-logs": 0.08, "code": 0.12,
                  "multilingual": 0.10}
SYNTHETIC_LOG_BYTES = 1_200_000
SYNTHETIC_LOG_SEED = 20241213


@dataclass
class Source:
    group: str
    data: bytes
    line_starts: np.ndarray  # offsets right after each newline (and 0)


def make_source(group: str, data: bytes) -> Source:
    arr = np.frombuffer(data, dtype=np.uint8)
    starts = np.concatenate([[0], np.flatnonzero(arr == 10) + 1])
    return Source(group, data, starts[starts < len(data) - 1])


def training_sources(files: List[corpus.CorpusFile]) -> List[Source]:
    sources = [make_source(f.domain, f.train) for f in files if f.train]
    sources.append(make_source("synthetic-logs", synthetic_logs.generate(SYNTHETIC_LOG_BYTES, SYNTHETIC_LOG_SEED)))
    return sources


def spread_sample(data: bytes, limit: int, piece: int = 4096) -> bytes:
    """About limit bytes of data in pieces of whole lines spaced evenly over it, not its head: a
    file that runs through its languages or formats in order (the multilingual one does) is then
    sampled across all of them."""
    if len(data) <= limit:
        return data
    pieces = max(1, limit // piece)
    out = []
    for k in range(pieces):
        start = (len(data) - piece) * k // max(1, pieces - 1) if pieces > 1 else 0
        start = 0 if start == 0 else data.find(b"\n", start) + 1
        end = data.find(b"\n", start + piece)
        out.append(data[start:len(data) if end < 0 else end + 1])
    return b"".join(out)


def _head_lines(data: bytes, limit: int) -> bytes:
    data = data[:limit]
    return data[:data.rindex(b"\n") + 1] if b"\n" in data else data


def validation_sets(files: List[corpus.CorpusFile], bytes_per_domain: int) -> Dict[str, bytes]:
    """bytes_per_domain bytes of each domain's validation split (real data only), an equal share
    from the head of every file of the domain, so one file cannot stand for a whole domain."""
    out = {}
    for domain, domain_files in corpus.by_domain(files).items():
        share = bytes_per_domain // len(domain_files)
        out[domain] = b"".join(_head_lines(f.validation, share) for f in domain_files)
    return out


class WindowSampler:
    def __init__(self, sources: List[Source], bos_fraction: float, rng: random.Random,
                 domain_weights: Optional[Dict[str, float]] = None):
        self.sources, self.bos_fraction, self.rng = sources, bos_fraction, rng
        domain_weights = domain_weights or DOMAIN_WEIGHTS
        groups = sorted({s.group for s in sources})
        self.by_group = {g: [s for s in sources if s.group == g] for g in groups}
        self.groups = [g for g in groups if domain_weights.get(g, 0) > 0]
        self.weights = [domain_weights[g] for g in self.groups]

    def pick(self):
        group = self.rng.choices(self.groups, self.weights)[0]
        candidates = self.by_group[group]
        return self.rng.choices(candidates, [len(s.data) for s in candidates])[0]

    def byte_window(self, length: int) -> List[int]:
        """length + 1 tokens: BOS + a line's bytes, or bytes from anywhere."""
        source = self.pick()
        if self.rng.random() < self.bos_fraction:
            start = int(self.rng.choice(source.line_starts))
            return [BOS_ID] + [b + BYTE_OFFSET for b in source.data[start:start + length]]
        start = self.rng.randrange(0, max(1, len(source.data) - length - 1))
        return [b + BYTE_OFFSET for b in source.data[start:start + length + 1]]


def lr_at(step: int, cfg: TrainConfig, minutes: float = 0.0) -> float:
    """Warm-up, then cosine decay to 10% over whichever budget (steps or minutes) runs out first."""
    if step < cfg.warmup_steps:
        return cfg.learning_rate * (step + 1) / cfg.warmup_steps
    progress = min(1.0, max((step - cfg.warmup_steps) / max(1, cfg.max_steps - cfg.warmup_steps),
                            minutes / cfg.max_minutes))
    return cfg.learning_rate * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def make_optimizer(model, cfg: TrainConfig):
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    return torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                              {"params": no_decay, "weight_decay": 0.0}], lr=cfg.learning_rate, betas=(0.9, 0.95))


def padded_targets(rows: List[List[int]]):
    """Right-padded inputs and targets; padding targets are -100 (ignored by the loss)."""
    width = max(len(r) for r in rows) - 1
    inputs = torch.full((len(rows), width), BOE_ID, dtype=torch.long)
    targets = torch.full((len(rows), width), -100, dtype=torch.long)
    for i, r in enumerate(rows):
        inputs[i, :len(r) - 1] = torch.tensor(r[:-1])
        targets[i, :len(r) - 1] = torch.tensor(r[1:])
    return inputs, targets


def bf16_autocast() -> bool:
    """Whether training runs its forward passes in bfloat16 (weights, optimizer and gradients stay
    float32): BLT_TRAIN_BF16=on/off, or by default (auto) where the CPU multiplies bfloat16 natively
    (AMX or AVX-512 BF16), which makes a step several times cheaper there; elsewhere bfloat16 is
    emulated and slower, and float32 is kept."""
    setting = os.environ.get("BLT_TRAIN_BF16", "auto")
    if setting not in ("auto", "on", "off"):
        raise SystemExit(f"BLT_TRAIN_BF16 must be auto, on or off, not {setting!r}")
    if setting != "auto":
        return setting == "on"
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return " amx_bf16" in flags or " avx512_bf16" in flags


def run_training(model, cfg: TrainConfig, label: str, next_loss, evaluate=None, log=print):
    """Generic loop: next_loss() -> (loss, bytes in the batch). Stops at max_steps or max_minutes."""
    torch.manual_seed(cfg.seed)
    bf16 = bf16_autocast()
    optimizer = make_optimizer(model, cfg)
    progress = Progress(cfg.max_steps, label)
    start, seen, smoothed, step = time.time(), 0, None, 0
    history = []
    for step in range(cfg.max_steps):
        if (time.time() - start) / 60 > cfg.max_minutes:
            log(f"{label}: time cap of {cfg.max_minutes} min reached at step {step}")
            break
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step, cfg, (time.time() - start) / 60)
        model.train()
        with torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else contextlib.nullcontext():
            loss, n_bytes = next_loss()
        loss = loss.float()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        seen += n_bytes
        smoothed = loss.item() if smoothed is None else 0.95 * smoothed + 0.05 * loss.item()
        rate = seen / max(time.time() - start, 1e-6)
        progress.update(step + 1, f"loss {smoothed:.3f} bpb {smoothed / LN2:.3f} {rate / 1e3:.1f} KB/s")
        if evaluate and (step + 1) % cfg.eval_every == 0:
            model.eval()
            metrics = evaluate()
            history.append({"step": step + 1, **metrics})
            log(f"\n{label} step {step + 1}: " + " ".join(f"{k} {v:.3f}" for k, v in metrics.items()))
    progress.close(f"loss {smoothed:.3f} bpb {smoothed / LN2:.3f}")
    model.eval()
    return {"steps": step + 1, "seconds": round(time.time() - start, 1), "train_bytes": seen, "bf16_autocast": bf16,
            "final_train_loss_nats": round(smoothed, 4), "history": history}


# ---------------------------------------------------------------------------------------------------
# Entropy model
# ---------------------------------------------------------------------------------------------------

def entropy_runner(model: EntropyModel):
    wrapper = EntropyModelExport(model).eval()
    return lambda token_lists: run_entropy(wrapper, token_lists)


def entropy_bits_per_byte(model, data: bytes, cfg: ModelSetConfig) -> float:
    _, logprob = document_entropies(entropy_runner(model), data, cfg.streaming.entropy_context_bytes,
                                    cfg.streaming.entropy_block_bytes)
    return float(-logprob.mean() / LN2)


def fit_temperature(model: EntropyModel, texts: Sequence[bytes], cfg: ModelSetConfig) -> float:
    """The softmax temperature that minimises the loss on texts (formats held out of training), so
    the model's entropy is honest where it has not seen the format. Returns T; the model is unchanged."""
    c, b = cfg.streaming.entropy_context_bytes, cfg.streaming.entropy_block_bytes
    logits, targets = [], []
    with torch.no_grad():
        for data in texts:
            for w in block_windows(len(data), c, b):
                tokens = torch.tensor([w.tokens(data)])
                out, _ = model(tokens)
                first, n = w.position_before(w.block_start), w.end - w.block_start
                logits.append(out[0, first:first + n])  # each block byte, predicted from the bytes before it
                targets.append(tokens[0, first + 1:first + 1 + n])
    logits, targets = torch.cat(logits), torch.cat(targets)
    grid = [0.5 + 0.02 * i for i in range(176)]
    losses = [F.cross_entropy(logits / t, targets).item() for t in grid]
    return grid[int(np.argmin(losses))]


def apply_temperature(model: EntropyModel, temperature: float) -> None:
    """Folds 1/T into the output projection (it has no bias), so the exported graph is unchanged."""
    with torch.no_grad():
        model.head.weight.div_(temperature)


def train_entropy_model(cfg: ModelSetConfig, sources, validation: Dict[str, bytes], log=print,
                        model: Optional[EntropyModel] = None, domain_weights: Optional[Dict[str, float]] = None):
    """Trains a new entropy model, or continues training model (fine-tuning)."""
    torch.manual_seed(cfg.entropy_train.seed)
    model = model or EntropyModel(cfg.entropy)
    sampler = WindowSampler(sources, cfg.entropy_train.bos_window_fraction, random.Random(cfg.entropy_train.seed),
                            domain_weights)
    window = cfg.streaming.entropy_context_bytes + cfg.streaming.entropy_block_bytes

    def next_loss():
        inputs, targets = padded_targets([sampler.byte_window(window) for _ in range(cfg.entropy_train.batch_size)])
        logits, _ = model(inputs)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1)), int((targets >= 0).sum())

    def evaluate():
        with torch.no_grad():
            return {f"val_bpb_{d}": entropy_bits_per_byte(model, v, cfg) for d, v in validation.items()}

    report = run_training(model, cfg.entropy_train, f"entropy {cfg.name}", next_loss, evaluate, log)
    return model, report


# ---------------------------------------------------------------------------------------------------
# BLT
# ---------------------------------------------------------------------------------------------------

@dataclass
class PatchedSource:
    group: str
    data: bytes
    starts: np.ndarray
    line_starts: np.ndarray


def patch_sources(entropy_model, sources: List[Source], cfg: ModelSetConfig, theta: float) -> List[PatchedSource]:
    out = []
    runner = entropy_runner(entropy_model)
    progress = Progress(sum(len(s.data) for s in sources), "patching training data")
    done = 0
    for s in sources:
        entropy, _ = document_entropies(runner, s.data, cfg.streaming.entropy_context_bytes,
                                        cfg.streaming.entropy_block_bytes)
        starts, _ = patch_starts(entropy, theta, cfg.patching.theta_monotonic, cfg.patching.max_patch_length)
        out.append(PatchedSource(s.group, s.data, np.array(starts), s.line_starts))
        done += len(s.data)
        progress.update(done)
    progress.close()
    return out


class PatchWindowSampler:
    """Windows of whole patches, as the BLT stage sees them: context + block patches."""

    def __init__(self, sources: List[PatchedSource], patches: int, bos_fraction: float, rng: random.Random,
                 max_bytes: int = 768, domain_weights: Optional[Dict[str, float]] = None):
        self.sources, self.patches, self.bos_fraction, self.rng = sources, patches, bos_fraction, rng
        self.max_bytes = max_bytes
        domain_weights = domain_weights or DOMAIN_WEIGHTS
        self.groups = sorted({s.group for s in sources if domain_weights.get(s.group, 0) > 0})
        self.weights = [domain_weights[g] for g in self.groups]

    def window(self):
        group = self.rng.choices(self.groups, self.weights)[0]
        candidates = [s for s in self.sources if s.group == group]
        s = self.rng.choices(candidates, [len(c.data) for c in candidates])[0]
        if self.rng.random() < self.bos_fraction:
            line = int(self.rng.choice(s.line_starts))
            first = int(np.searchsorted(s.starts, line, side="right"))
            starts = [line] + [int(x) for x in s.starts[first:first + self.patches - 2]]
            bos = True
        else:
            first = self.rng.randrange(0, max(1, len(s.starts) - self.patches))
            starts = [int(x) for x in s.starts[first:first + self.patches]]
            bos = False
        nxt = int(np.searchsorted(s.starts, starts[-1], side="right"))
        end = int(s.starts[nxt]) if nxt < len(s.starts) else len(s.data)
        end = min(end, starts[0] + self.max_bytes)
        starts = [x for x in starts if x < end]
        shift = 1 if bos else 0
        tokens = ([BOS_ID] if bos else []) + [b + BYTE_OFFSET for b in s.data[starts[0]:end]]
        patch_start = ([0] if bos else []) + [x - starts[0] + shift for x in starts]
        return tokens, patch_start


def blt_loss(model: ByteLatentTransformer, batch):
    tokens, patch_start = pad_blt_batch(batch)
    logits, _ = model(tokens, patch_start)
    targets = torch.full_like(tokens, -100)
    for i, (t, _) in enumerate(batch):
        targets[i, :len(t) - 1] = tokens[i, 1:len(t)]
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
    return loss, int((targets >= 0).sum())


def blt_bits_per_byte(blt_model, entropy_model, data: bytes, cfg: ModelSetConfig, theta: float):
    """(BLT bpb, entropy-model bpb, average patch size, entropy model's mean predicted entropy in
    bits) on one document in stream segmentation."""
    entropy, ent_logprob = document_entropies(entropy_runner(entropy_model), data,
                                              cfg.streaming.entropy_context_bytes, cfg.streaming.entropy_block_bytes)
    starts, _ = patch_starts(entropy, theta, cfg.patching.theta_monotonic, cfg.patching.max_patch_length)
    _, logprob, _ = stream_blt(blt_model, cfg, data, starts)
    return (float(-logprob.mean() / LN2), float(-ent_logprob.mean() / LN2), len(data) / max(1, len(starts)),
            float(entropy.mean() / LN2))


def train_blt(cfg: ModelSetConfig, entropy_model, patched: List[PatchedSource], validation: Dict[str, bytes],
              theta: float, log=print, model: Optional[ByteLatentTransformer] = None,
              domain_weights: Optional[Dict[str, float]] = None):
    """Trains a new BLT, or continues training model (fine-tuning), on the entropy model's patches."""
    torch.manual_seed(cfg.blt_train.seed)
    model = model or ByteLatentTransformer(cfg.blt)
    window_patches = cfg.streaming.blt_context_patches + cfg.streaming.blt_block_patches
    sampler = PatchWindowSampler(patched, window_patches, cfg.blt_train.bos_window_fraction,
                                 random.Random(cfg.blt_train.seed), domain_weights=domain_weights)

    def next_loss():
        return blt_loss(model, [sampler.window() for _ in range(cfg.blt_train.batch_size)])

    def evaluate():
        with torch.no_grad():
            return {f"val_bpb_{d}": blt_bits_per_byte(model, entropy_model, v, cfg, theta)[0]
                    for d, v in validation.items()}

    report = run_training(model, cfg.blt_train, f"blt {cfg.name}", next_loss, evaluate, log)
    return model, report
