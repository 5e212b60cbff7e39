#!/usr/bin/python3
"""Teach the record embedding templates: train BLT's embedding head (model.EmbeddingHead) with a
contrastive objective, BLT itself frozen, and write the folder again with a new model id.

    /usr/bin/python3 train_embedding.py --out artifacts/blt-default            # in place, ~10 minutes
    /usr/bin/python3 train_embedding.py --model artifacts/blt-tiny --minutes 0.2 --pairs-per-source 8 --out /tmp/t

Why a head and a frozen BLT: a record's embedding is the mean of its patches' embeddings, and a
step that fine-tunes all of BLT on 2 CPU cores takes 15 s, so 20 minutes buy 80 steps. With BLT
frozen, each pair's pooled patch states and latent states are computed once; the head then trains
for thousands of steps on them in minutes, and next-byte prediction is unchanged bit for bit (the
head feeds nothing else).

Pairs, with no template label: a log line of corpus_real (training split, seen formats only),
after up to 3 earlier lines of its file as the job sees records in context, and as positive either
another line of the same masked form from elsewhere in the file, with its own earlier lines, or the
same line with its numbers and hex ids drawn again after different earlier lines. Negatives are the
other lines of the batch, drawn from two files at a time so that most are lines of the same format
and another template; lines of the anchor's masked form are never negatives. Printed before and
after, and kept in the manifest ("embedding_objective"): same-masked-form nearest-neighbour accuracy
on the held-out formats' validation lines (formats never trained on).
"""
import argparse
import json
import os
import random
import time
from dataclasses import replace
from pathlib import Path

import torch

from blt_models import config as C
from blt_models import corpus
from blt_models.contrastive import (MAX_CONTEXT_LINES, contexts_of, mask, probe_accuracy, record_features, sample_pairs,
                                    train_head)
from blt_models.export import BLT_FILE, ENTROPY_FILE, MANIFEST_FILE, write_model_folder
from blt_models.model import ByteLatentTransformer, EntropyModel
from blt_models.onnx_weights import load_from_onnx
from blt_models.training import entropy_runner
from train import log

HERE = Path(__file__).resolve().parent
MAX_LINE_BYTES = 400  # longer lines are cut: the window must stay within what BLT trained on


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


def features(run_entropy, blt_model, cfg, theta, args, rng):
    """(pools, probe): per training file, its pairs' anchor and positive features and anchor lines;
    per held-out file, its lines' features and masked forms."""
    files = corpus.load_real()
    pools = []
    for lines in log_lines(files, "real_logs", "train"):
        pairs = sample_pairs(lines, args.pairs_per_source, rng)
        anchors = record_features(run_entropy, blt_model, [a for a, _ in pairs], cfg, theta)
        positives = record_features(run_entropy, blt_model, [p for _, p in pairs], cfg, theta)
        keep = [k for k in range(len(pairs)) if len(anchors[k]) and len(positives[k])]
        pools.append(([anchors[k] for k in keep], [positives[k] for k in keep], [pairs[k][0][-1] for k in keep]))
    probe = []
    for lines in log_lines(files, "real_logs_unseen", "validation"):
        lines = lines[:args.probe_lines]
        probe.append((record_features(run_entropy, blt_model, contexts_of(lines), cfg, theta), [mask(line) for line in lines]))
    return pools, probe


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=HERE / "artifacts" / "blt-default")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--minutes", type=float, default=4.0, help="of head training, after the features")
    parser.add_argument("--pairs-per-source", type=int, default=160)
    parser.add_argument("--hidden", type=int, default=384, help="the head's hidden width")
    parser.add_argument("--temperature", type=float, default=0.05, help="InfoNCE temperature")
    parser.add_argument("--batch", type=int, default=64, help="pairs per step, half from each of two files")
    parser.add_argument("--learning-rate", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--probe-lines", type=int, default=300, help="per held-out file")
    parser.add_argument("--features", type=Path, default=HERE / "build" / "embedding-features.pt",
                        help="cache of the frozen models' features (computing them is most of the run); reused when "
                             "it was made from the same folder, pairs, probe lines and seed")
    args = parser.parse_args()

    torch.set_num_threads(int(os.environ.get("BLT_TORCH_THREADS", os.cpu_count())))
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    started = time.time()
    base = json.loads((args.model / MANIFEST_FILE).read_text())
    base_cfg = C.ModelSetConfig.from_dict(base["training"]["configs"])
    frozen_blt = replace(base_cfg.blt, embedding_head=0)
    cfg = replace(base_cfg, blt=replace(base_cfg.blt, embedding_head=args.hidden))
    d = cfg.blt.d_latent
    theta = base["patching"]["theta"]
    entropy_model = load_from_onnx(EntropyModel(cfg.entropy), args.model / ENTROPY_FILE)
    run_entropy = entropy_runner(entropy_model)
    blt_model = ByteLatentTransformer(cfg.blt)
    missing, unexpected = blt_model.load_state_dict(
        load_from_onnx(ByteLatentTransformer(frozen_blt), args.model / BLT_FILE).state_dict(), strict=False)
    assert not unexpected and all(k.startswith("embedding_head.") for k in missing), (missing, unexpected)
    blt_model.eval()
    for p in blt_model.parameters():
        p.requires_grad_(False)
    head = blt_model.embedding_head
    for p in head.parameters():
        p.requires_grad_(True)

    key = {"model_id": base["model_id"], "pairs_per_source": args.pairs_per_source, "probe_lines": args.probe_lines,
           "seed": args.seed}
    if args.features and args.features.exists() and torch.load(args.features)["key"] == key:
        cached = torch.load(args.features)
        pools = [([a.float() for a in anchors], [p.float() for p in positives], records)
                 for anchors, positives, records in cached["pools"]]
        probe = [([f.float() for f in features], forms) for features, forms in cached["probe"]]
        log(f"features from {args.features}")
    else:
        pools, probe = features(run_entropy, blt_model, cfg, theta, args, rng)
        if args.features:
            args.features.parent.mkdir(parents=True, exist_ok=True)
            torch.save({"key": key,
                        "pools": [([a.half() for a in anchors], [p.half() for p in positives], records)
                                  for anchors, positives, records in pools],
                        "probe": [([f.half() for f in fs], forms) for fs, forms in probe]}, args.features)
    feature_seconds = time.time() - started
    before = probe_accuracy(None, probe, d)
    log(f"features of {sum(len(a) for a, _, _ in pools)} pairs from {len(pools)} files in {feature_seconds:.0f} s; "
        f"template accuracy on held-out formats without the head: {before:.4f}")

    step, history = train_head(head, pools, probe, d, args.minutes, args.batch, args.learning_rate, args.temperature,
                               rng, log)
    head.eval()
    after = probe_accuracy(head, probe, d)
    log(f"template accuracy on held-out formats: {before:.4f} -> {after:.4f} ({step} steps)")

    manifest = write_model_folder(args.out, entropy_model, blt_model, cfg, theta, {
        "flops_per_byte": base["flops_per_byte"],
        "metrics": base["metrics"],  # next-byte outputs are unchanged: the head feeds nothing else
        "training": base["training"] | {"configs": cfg.to_dict()},
        "embedding_objective": {
            "base_model_id": base["model_id"],
            "command": f"/usr/bin/python3 train_embedding.py --minutes {args.minutes:g} --pairs-per-source "
                       f"{args.pairs_per_source} --hidden {args.hidden} --temperature {args.temperature:g} "
                       f"--batch {args.batch} --learning-rate {args.learning_rate:g} --seed {args.seed}",
            "data": "corpus_real training split (seen formats); positives: a line of the same masked form, or the "
                    "line with numbers and hex runs drawn again, after other earlier lines",
            "probe": "held-out formats' validation lines; label = masked form (digits and hex runs masked)",
            "pairs": sum(len(a) for a, _, _ in pools), "steps": step,
            "template_accuracy_unseen": {"before": round(before, 4), "after": round(after, 4)},
            "history": history,
            "seconds": {"features": round(feature_seconds, 1), "total": round(time.time() - started, 1)},
        },
    })
    print(f"template accuracy on held-out formats: {before:.4f} -> {after:.4f}")
    print(f"wrote {args.out} ({manifest['model_id']})")


if __name__ == "__main__":
    main()
