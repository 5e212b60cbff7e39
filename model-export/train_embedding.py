#!/usr/bin/python3
"""Teach BLT's record embedding templates: fine-tune a model folder's BLT with next-byte loss plus a
contrastive term (blt_models/contrastive.py), and write the folder again with a new model id.

    /usr/bin/python3 train_embedding.py --minutes 20 --out artifacts/blt-default   # in place
    /usr/bin/python3 train_embedding.py --model artifacts/blt-tiny --minutes 0.3 --out /tmp/tiny-embed

Training lines are the real-software logs of corpus_real (training split, seen formats only); no
template label is used. The entropy model, theta and windows stay as they are. Printed before and
after, and kept in the manifest ("embedding_objective"): BLT bits per byte on the validation split
(the objective may cost at most 0.05) and same-template nearest-neighbour accuracy on the held-out
formats' validation lines, with a line's masked form standing in for its template.
"""
import argparse
import json
import os
import random
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from blt_models import config as C
from blt_models import corpus
from blt_models.contrastive import (info_nce, mask, record_embeddings, record_windows, rerandomise,
                                    same_form_matrix, template_accuracy)
from blt_models.export import BLT_FILE, ENTROPY_FILE, MANIFEST_FILE, write_model_folder
from blt_models.model import ByteLatentTransformer, EntropyModel
from blt_models.onnx_weights import load_from_onnx
from blt_models.runtime import pad_blt_batch
from blt_models.training import entropy_runner, run_training, validation_sets
from train import evaluate, log

HERE = Path(__file__).resolve().parent
MAX_LINE_BYTES = 400  # longer lines are cut: the window must stay within what BLT trained on
MAX_CONTEXT_LINES = 3
PROBE_LINES_PER_SOURCE = 300


def log_lines(files, domain: str, split: str) -> list:
    """Non-empty lines of every file of the domain, per file."""
    out = []
    for f in files:
        if f.domain == domain:
            data = f.train if split == "train" else f.validation
            lines = [line[:MAX_LINE_BYTES] for line in data.split(b"\n") if line.strip()]
            if len(lines) > MAX_CONTEXT_LINES:
                out.append(lines)
    return out


def probe_accuracy(run_entropy, blt_model, sources, cfg, theta) -> float:
    """Same-masked-form nearest-neighbour accuracy of record embeddings, per source, line-weighted."""
    hits, total = 0.0, 0
    with torch.no_grad():
        for lines in sources:
            lines = lines[:PROBE_LINES_PER_SOURCE]
            windows = record_windows(run_entropy, [lines[max(0, i - MAX_CONTEXT_LINES):i + 1]
                                                   for i in range(len(lines))], cfg, theta)
            vectors = []
            for i in range(0, len(windows), 16):
                chunk = [w for w in windows[i:i + 16]]
                tokens, starts = pad_blt_batch([(w.tokens, w.patch_start) for w in chunk])
                _, latent = blt_model(tokens, starts)
                vectors.append(record_embeddings(latent, chunk).numpy())
            acc = template_accuracy(np.concatenate(vectors), [mask(line) for line in lines])
            hits += acc * len(lines)
            total += len(lines)
    return hits / max(total, 1)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=HERE / "artifacts" / "blt-default")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--weight", type=float, default=1.0, help="of the contrastive term against next-byte loss")
    parser.add_argument("--temperature", type=float, default=0.05, help="InfoNCE temperature")
    parser.add_argument("--batch", type=int, default=16, help="pairs per step")
    parser.add_argument("--learning-rate", type=float, default=5e-4)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    torch.set_num_threads(int(os.environ.get("BLT_TORCH_THREADS", os.cpu_count())))
    started = time.time()
    base = json.loads((args.model / MANIFEST_FILE).read_text())
    cfg = C.ModelSetConfig.from_dict(base["training"]["configs"])
    cfg = replace(cfg, blt_train=replace(cfg.blt_train, max_minutes=args.minutes, max_steps=100_000,
                                         learning_rate=args.learning_rate, warmup_steps=20, eval_every=10 ** 9))
    theta = base["patching"]["theta"]
    entropy_model = load_from_onnx(EntropyModel(cfg.entropy), args.model / ENTROPY_FILE)
    blt_model = load_from_onnx(ByteLatentTransformer(cfg.blt), args.model / BLT_FILE)
    run_entropy = entropy_runner(entropy_model)

    files = corpus.load() + corpus.load_real()
    train_sources = log_lines(files, "real_logs", "train")
    probe_sources = log_lines(files, "real_logs_unseen", "validation")
    validation = validation_sets(files, cfg.entropy_train.eval_bytes_per_domain)
    before = {"blt_bits_per_byte": evaluate(entropy_model, blt_model, validation, cfg, theta)["validation"]["blt_bits_per_byte"],
              "template_accuracy_unseen": probe_accuracy(run_entropy, blt_model, probe_sources, cfg, theta)}
    log(f"before: {before}")

    rng = random.Random(args.seed)
    weights = [len(s) for s in train_sources]

    def next_loss():
        contexts = []
        for _ in range(args.batch):
            lines = rng.choices(train_sources, weights)[0]
            i = rng.randrange(len(lines))
            contexts.append(lines[max(0, i - rng.randint(0, MAX_CONTEXT_LINES)):i + 1])
        noisy = [[rerandomise(line, rng) for line in context] for context in contexts]
        windows = record_windows(run_entropy, contexts + noisy, cfg, theta)
        anchors, positives = windows[:len(contexts)], windows[len(contexts):]
        records = [context[-1] for context in contexts]  # never empty: log_lines drops blank lines
        windows = anchors + positives
        tokens, starts = pad_blt_batch([(w.tokens, w.patch_start) for w in windows])
        logits, latent = blt_model(tokens, starts)
        targets = torch.full_like(tokens, -100)
        for row, w in enumerate(windows):
            targets[row, :len(w.tokens) - 1] = tokens[row, 1:len(w.tokens)]
        next_byte = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
        n = len(anchors)
        contrastive = info_nce(record_embeddings(latent[:n], anchors), record_embeddings(latent[n:], positives),
                               same_form_matrix(records), args.temperature)
        return next_byte + args.weight * contrastive, int((targets >= 0).sum())

    report = run_training(blt_model, cfg.blt_train, "embedding objective", next_loss, None, log)
    blt_model.eval()
    metrics = evaluate(entropy_model, blt_model, validation, cfg, theta)
    after = {"blt_bits_per_byte": metrics["validation"]["blt_bits_per_byte"],
             "template_accuracy_unseen": probe_accuracy(run_entropy, blt_model, probe_sources, cfg, theta)}
    log(f"after: {after}")

    manifest = write_model_folder(args.out, entropy_model, blt_model, cfg, theta, {
        "flops_per_byte": base["flops_per_byte"],
        "metrics": metrics,
        "training": base["training"],
        "embedding_objective": {
            "base_model_id": base["model_id"],
            "command": f"/usr/bin/python3 train_embedding.py --minutes {args.minutes:g} --weight {args.weight:g} "
                       f"--temperature {args.temperature:g} --batch {args.batch}",
            "data": "corpus_real training split (seen formats); positives re-randomise numbers and hex runs",
            "probe": "held-out formats' validation lines; label = masked form (digits and hex runs masked)",
            "steps": report["steps"], "seconds": report["seconds"],
            "before": before, "after": after,
            "total_seconds": round(time.time() - started, 1),
        },
    })
    print(f"{'':<28} {'before':>10} {'after':>10}")
    for key in before:
        print(f"{key:<28} {before[key]:>10.4f} {after[key]:>10.4f}")
    print(f"wrote {args.out} ({manifest['model_id']})")


if __name__ == "__main__":
    main()
