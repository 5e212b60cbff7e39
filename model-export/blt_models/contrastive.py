"""Template-aware record embeddings (issue 11): lines of one template should land close together.

A record's embedding is what the job publishes in RecordScore: the mean of its patch embeddings
(the embedding head's outputs, model.EmbeddingHead), L2-normalised. To make lines of one template close without
labels, a line and a copy of it whose variable fields (numbers, hexadecimal ids, and so IPs, ports,
timestamps and pids) were drawn again form a positive pair; the other lines of the batch are the
negatives (InfoNCE), except lines whose masked form equals the anchor's, which probably share its
template. Records are seen as the job sees them by default: after a few lines of their stream, each
followed by the record separator, with patches cut by the entropy model (records_in_context).
"""
import random
import re
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import List, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from .config import BOS_ID, BYTE_OFFSET, ModelSetConfig
from .patcher import documents_entropies, patch_starts
from .runtime import pad_blt_batch

# The same masks as the Java baseline (dev.blt.eval.MaskedLines): hex runs first, then digit runs.
HEX = re.compile(rb"(?i)0x[0-9a-f]+|(?=[0-9a-f]*[0-9])[0-9a-f]{6,}")
DIGITS = re.compile(rb"[0-9]+")
MASK = b"<*>"
MAX_CONTEXT_LINES = 3  # a record is seen after up to this many lines of its stream, as the job sees it
PAIR_WINDOW_LINES = 20_000  # a file's pairs come from one run of this many lines (masking all of a big file is slow)
FORWARD_BATCH = 16


def mask(line: bytes) -> bytes:
    return DIGITS.sub(MASK, HEX.sub(MASK, line))


def _random_like(run: bytes, rng: random.Random) -> bytes:
    """Random characters of the same classes as run: digits for digits, hex letters in their case."""
    out = bytearray()
    for c in run:
        if 48 <= c <= 57:
            out.append(rng.randrange(48, 58))
        elif 97 <= c <= 102:
            out.append(rng.choice(b"0123456789abcdef"))
        elif 65 <= c <= 70:
            out.append(rng.choice(b"0123456789ABCDEF"))
        else:
            out.append(c)  # the x of 0x
    return bytes(out)


def rerandomise(line: bytes, rng: random.Random) -> bytes:
    """The line with every field mask() hides drawn again (same length and character classes)."""
    line = HEX.sub(lambda m: _random_like(m.group(0), rng), line)
    return DIGITS.sub(lambda m: _random_like(m.group(0), rng), line)


@dataclass
class RecordWindow:
    """One record after its stream's earlier records, as BLT tokens, with the record's patches."""
    tokens: List[int]
    patch_start: List[int]
    record_patches: range  # indices into patch_start of the record's own patches


def record_windows(run_entropy, contexts: Sequence[Sequence[bytes]], cfg: ModelSetConfig,
                   theta: float) -> List[RecordWindow]:
    """For each list of records: its last record after the others, each earlier one followed by the
    separator, cut as patcher.records_in_context cuts them (a record starts a patch, the separator
    is a patch of its own); BOS first when the record has no context (a stream's first record).
    The entropy model runs once over all of them."""
    s = cfg.streaming
    sep = bytes([s.record_separator])
    streams = [b"".join(r + sep for r in records[:-1]) + records[-1] for records in contexts]
    entropies = documents_entropies(run_entropy, streams, s.entropy_context_bytes, s.entropy_block_bytes)
    return [_window(records, stream, entropy, cfg, theta)
            for records, stream, (entropy, _) in zip(contexts, streams, entropies)]


def _window(records, stream, entropy, cfg, theta) -> RecordWindow:
    starts, pos, own = [], 0, range(0)
    for k, r in enumerate(records):
        first = len(starts)
        if r:
            starts += [pos + x for x in patch_starts(entropy[pos:pos + len(r)], theta, cfg.patching.theta_monotonic,
                                                     cfg.patching.max_patch_length)[0]]
        own = range(first, len(starts))
        if k < len(records) - 1:
            starts.append(pos + len(r))  # the separator
        pos += len(r) + 1
    bos = len(records) == 1
    shift = 1 if bos else 0
    tokens = ([BOS_ID] if bos else []) + [b + BYTE_OFFSET for b in stream]
    patch_start = ([0] if bos else []) + [x + shift for x in starts]
    return RecordWindow(tokens, patch_start, range(own.start + shift, own.stop + shift))


def record_embeddings(per_patch: Sequence[torch.Tensor]) -> torch.Tensor:
    """[N, D]: each record's embedding from its own patches' embeddings ([patches, D] each): their
    mean, unit length, as the job's RecordScore has it."""
    return F.normalize(torch.stack([e.mean(0) for e in per_patch]), dim=-1)


def info_nce(anchors: torch.Tensor, positives: torch.Tensor, same_form: torch.Tensor, temperature: float):
    """Symmetric InfoNCE: anchors[i] should be nearest positives[i] among all positives, and the
    other way round. same_form[i, j] (i != j) marks pairs left out as negatives."""
    logits = anchors @ positives.T / temperature
    n = logits.shape[0]
    blocked = same_form & ~torch.eye(n, dtype=torch.bool)
    logits = logits.masked_fill(blocked, -1e9)
    targets = torch.arange(n)
    return 0.5 * (F.cross_entropy(logits, targets) + F.cross_entropy(logits.T, targets))


def same_form_matrix(records: Sequence[bytes]) -> torch.Tensor:
    forms = [mask(r) for r in records]
    return torch.tensor([[a == b for b in forms] for a in forms], dtype=torch.bool)


def template_accuracy(vectors: np.ndarray, labels: Sequence) -> float:
    """Leave-one-out: the share of rows whose most cosine-similar other row has the same label."""
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    sim = unit @ unit.T
    np.fill_diagonal(sim, -np.inf)
    nearest = sim.argmax(1)
    return float(np.mean([labels[i] == labels[j] for i, j in enumerate(nearest)]))


def with_context(lines, i, rng):
    """Line i after up to MAX_CONTEXT_LINES of the lines before it (a random number of them)."""
    return lines[max(0, i - rng.randint(0, MAX_CONTEXT_LINES)):i + 1]


def sample_pairs(lines, n, rng):
    """n (anchor context, positive context) pairs from a run of one file's lines."""
    start = rng.randrange(max(1, len(lines) - PAIR_WINDOW_LINES))
    lines = lines[start:start + PAIR_WINDOW_LINES]
    by_form = defaultdict(list)
    for i, line in enumerate(lines):
        by_form[mask(line)].append(i)
    pairs = []
    for _ in range(n):
        i = rng.randrange(len(lines))
        twins = [j for j in by_form[mask(lines[i])] if j != i]
        if twins and rng.random() < 0.5:
            positive = with_context(lines, rng.choice(twins), rng)
        else:
            other = with_context(lines, rng.randrange(len(lines)), rng)[:-1]
            positive = other + [rerandomise(lines[i], rng)]
        pairs.append((with_context(lines, i, rng), positive))
    return pairs


def record_features(run_entropy, blt_model, contexts, cfg, theta):
    """Per context: [patches, 2D] float32, the pooled bytes and latent state of its last record's
    patches (what the head reads), with BLT frozen."""
    out = []
    with torch.no_grad():
        for k in range(0, len(contexts), FORWARD_BATCH):
            windows = record_windows(run_entropy, contexts[k:k + FORWARD_BATCH], cfg, theta)
            tokens, starts = pad_blt_batch([(w.tokens, w.patch_start) for w in windows])
            _, latent, pooled = blt_model.forward_with_pooled(tokens, starts)
            for row, w in enumerate(windows):
                p = slice(w.record_patches.start, w.record_patches.stop)
                out.append(torch.cat([pooled[row, p], latent[row, p]], dim=-1).clone())
    return out


def embed(head, features, d):
    """[N, D] record embeddings from the head's per-patch output (the latent states without a head)."""
    return record_embeddings([f[:, d:] if head is None else head(f[:, :d], f[:, d:]) for f in features])


def probe_accuracy(head, probe, d) -> float:
    """Same-masked-form nearest-neighbour accuracy, per held-out file, line-weighted."""
    hits = total = 0
    with torch.no_grad():
        for features, forms in probe:
            hits += template_accuracy(embed(head, features, d).numpy(), forms) * len(forms)
            total += len(forms)
    return hits / max(total, 1)


def contexts_of(lines):
    """Each line after the MAX_CONTEXT_LINES lines before it: how a probe sees a file's lines."""
    return [lines[max(0, i - MAX_CONTEXT_LINES):i + 1] for i in range(len(lines))]


def train_head(head, pools, probe, d, minutes, batch, learning_rate, temperature, rng, log=print):
    """Trains the embedding head for `minutes` on pools (per file: anchor features, positive
    features, anchor lines) with InfoNCE, each batch half from each of two files drawn by size, so
    most negatives share a format and differ in template. Returns (steps, history of the probe's
    accuracy every 200 steps); leaves the head in eval mode."""
    optimizer = torch.optim.AdamW(head.parameters(), lr=learning_rate, weight_decay=0.01)
    weights = [len(a) for a, _, _ in pools]
    head.train()
    step, deadline, history = 0, time.time() + minutes * 60, []
    while time.time() < deadline:
        anchors, positives, records = [], [], []
        for source in rng.choices(range(len(pools)), weights, k=2):
            a, p, r = pools[source]
            for k in rng.sample(range(len(a)), min(batch // 2, len(a))):
                anchors.append(a[k])
                positives.append(p[k])
                records.append(r[k])
        loss = info_nce(embed(head, anchors, d), embed(head, positives, d), same_form_matrix(records), temperature)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        step += 1
        if step % 200 == 0:
            head.eval()
            history.append({"step": step, "loss": round(loss.item(), 4), "probe": round(probe_accuracy(head, probe, d), 4)})
            head.train()
            log(f"step {step} loss {loss.item():.4f} held-out template accuracy {history[-1]['probe']:.4f}")
    head.eval()
    return step, history
