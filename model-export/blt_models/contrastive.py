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
from dataclasses import dataclass
from typing import List, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from .config import BOS_ID, BYTE_OFFSET, ModelSetConfig
from .patcher import documents_entropies, patch_starts

# The same masks as the Java baseline (dev.blt.eval.MaskedLines): hex runs first, then digit runs.
HEX = re.compile(rb"(?i)0x[0-9a-f]+|(?=[0-9a-f]*[0-9])[0-9a-f]{6,}")
DIGITS = re.compile(rb"[0-9]+")
MASK = b"<*>"


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
