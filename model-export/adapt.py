#!/usr/bin/python3
"""Fine-tune a shipped model folder on your own logs, on CPU, and write a complete model folder.

    /usr/bin/python3 adapt.py --logs app.log auth.log --minutes 10 --out my-model
    ./blt adapt --bootstrap-servers HOST:PORT --topic TOPIC --minutes 10 --out my-model  # the same, from Kafka
    ./blt run --model my-model ...

The last (newest) tenth of each file is held back: never trained on, it fits the softmax
temperature, recalibrates theta to the folder's target average patch size, and gives the validation
report printed at the end and kept in the manifest ("adaptation"): bits per byte of both models,
bytes per patch, calibration and template accuracy (same-masked-form nearest neighbour of the
record embeddings) before and after, and the share of patch boundaries that moved. Both models
continue training from the folder's weights (read from its ONNX graphs) on the rest; then the
embedding head, if the folder has one, is refitted on pairs of your lines (train_embedding.py's
objective), since BLT's latent states moved under it. A model worse on the held-back part than the
folder it started from (either bits per byte) is not written: the script says so and exits with 3.
The output folder is checksummed and carries its own golden fixtures, like the shipped ones.
Windows, token ids and model sizes are the base folder's.
"""
import argparse
import gzip
import json
import lzma
import os
import random
import time
import warnings
from dataclasses import replace
from pathlib import Path

import torch

from blt_models import config as C
from blt_models.contrastive import contexts_of, mask, probe_accuracy, record_features, sample_pairs, train_head
from blt_models.export import BLT_FILE, ENTROPY_FILE, MANIFEST_FILE, write_model_folder
from blt_models.model import ByteLatentTransformer, EntropyModel
from blt_models.onnx_weights import load_from_onnx
from blt_models.patcher import document_entropies, patch_starts
from blt_models.training import (apply_temperature, entropy_runner, fit_temperature, make_source, patch_sources,
                                 train_blt, train_entropy_model)
from train import Phases, calibrate, evaluate, log

HERE = Path(__file__).resolve().parent
GROUP = "your_logs"
HOLDOUT_FRACTION = 0.1
ENTROPY_SHARE = 0.6  # of the minutes
HEAD_SHARE = 0.1  # of the minutes, for the embedding head (when the folder has one); BLT gets the rest
FINE_TUNE_LR = 1e-3  # a third of training's: the weights are already good
HELD_OUT_BYTES_PER_FILE = 64_000  # evaluation and temperature read at most this much of each held-out part
PATCHED_BYTES = 400_000  # BLT's fine-tuning windows come from this many bytes (patching them costs time)
# Record features cost a BLT pass over a line and its context each, outside the --minutes budget:
# these bound them over all files together (a Kafka sample is one file per stream, up to 64).
PROBE_LINES = 300  # held-back lines whose embeddings give the template accuracy, all files together
HEAD_PAIRS = 160  # training pairs for the embedding head, all files together
MIN_PER_FILE = 16  # ... but at least this many per file
MAX_LINE_BYTES = 400  # longer lines are cut for the embeddings (as train_embedding.py does)
REFUSED_EXIT = 3


def read_log(path: Path) -> bytes:
    opener = {".gz": gzip.open, ".xz": lzma.open}.get(path.suffix, open)
    with opener(path, "rb") as f:
        data = f.read()
    if not data.strip():
        raise SystemExit(f"{path}: empty")
    return data if data.endswith(b"\n") else data + b"\n"


def split(data: bytes, holdout_fraction: float):
    """(train, held out): the held-out part is the file's last tenth, from the next newline on, or
    from the byte where it begins when no newline follows (a stream of records without one)."""
    cut = int(len(data) * (1 - holdout_fraction))
    newline = data.find(b"\n", cut)
    cut = newline + 1 if 0 <= newline < len(data) - 1 else cut
    return data[:cut], data[cut:]


def adapted_config(base: C.ModelSetConfig, name: str, minutes: float) -> C.ModelSetConfig:
    def fine_tune(t: C.TrainConfig, share: float) -> C.TrainConfig:
        return replace(t, max_minutes=minutes * share, max_steps=100_000, learning_rate=FINE_TUNE_LR,
                       warmup_steps=10, eval_every=10 ** 9)
    head_share = HEAD_SHARE if base.blt.embedding_head else 0.0
    return replace(base, name=name, entropy_train=fine_tune(base.entropy_train, ENTROPY_SHARE),
                   blt_train=fine_tune(base.blt_train, 1 - ENTROPY_SHARE - head_share))


def lines_of(data: bytes) -> list:
    return [line[:MAX_LINE_BYTES] for line in data.split(b"\n") if line.strip()]


def per_file(total: int, files: int) -> int:
    """Each file's share of a total, at least MIN_PER_FILE."""
    return max(MIN_PER_FILE, total // max(1, files))


def template_probe(entropy_model, blt_model, held_back_files, cfg, theta):
    """Per held-back part: its first PROBE_LINES lines' record features (after up to 3 lines before
    each, as the job sees them) and masked forms."""
    run = entropy_runner(entropy_model)
    probe = []
    for data in held_back_files:
        lines = lines_of(data)[:per_file(PROBE_LINES, len(held_back_files))]
        if len(lines) > 1:
            probe.append((record_features(run, blt_model, contexts_of(lines), cfg, theta), [mask(x) for x in lines]))
    return probe


def patch_boundaries(entropy_model, data: bytes, cfg, theta) -> set:
    entropy, _ = document_entropies(entropy_runner(entropy_model), data, cfg.streaming.entropy_context_bytes,
                                    cfg.streaming.entropy_block_bytes)
    return set(patch_starts(entropy, theta, cfg.patching.theta_monotonic, cfg.patching.max_patch_length)[0])


def refit_head(entropy_model, blt_model, train_parts, probe, cfg, theta, minutes, seed=11):
    """Trains the embedding head (BLT frozen) on pairs of the training lines: returns its report."""
    rng = random.Random(seed)
    run = entropy_runner(entropy_model)
    for p in blt_model.parameters():
        p.requires_grad_(False)
    head = blt_model.embedding_head
    for p in head.parameters():
        p.requires_grad_(True)
    pools = []
    for data in train_parts:
        lines = lines_of(data)
        if len(lines) < 4:
            continue
        pairs = sample_pairs(lines, per_file(HEAD_PAIRS, len(train_parts)), rng)
        anchors = record_features(run, blt_model, [a for a, _ in pairs], cfg, theta)
        positives = record_features(run, blt_model, [b for _, b in pairs], cfg, theta)
        keep = [k for k in range(len(pairs)) if len(anchors[k]) and len(positives[k])]
        if keep:
            pools.append(([anchors[k] for k in keep], [positives[k] for k in keep], [pairs[k][0][-1] for k in keep]))
    if not pools:
        return {"steps": 0, "note": "too few lines to refit the head"}
    steps, history = train_head(head, pools, probe, cfg.blt.d_latent, minutes, 64, 2e-3, 0.05, rng, log)
    return {"steps": steps, "pairs": sum(len(a) for a, _, _ in pools), "history": history}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--logs", type=Path, nargs="+", required=True, help="your log files (.gz and .xz are read as such)")
    parser.add_argument("--minutes", type=float, default=10.0, help="training time, both models together")
    parser.add_argument("--out", type=Path, required=True, help="the model folder to write")
    parser.add_argument("--model", type=Path, default=HERE / "artifacts" / "blt-default", help="the folder to start from")
    parser.add_argument("--name", help="model name (default: <base name>-adapted)")
    parser.add_argument("--sample-note", help="where the logs came from, kept in the manifest (blt adapt sets it)")
    args = parser.parse_args()
    if args.minutes <= 0:
        parser.error("--minutes must be positive")

    torch.set_num_threads(int(os.environ.get("BLT_TORCH_THREADS", os.cpu_count())))
    # The ONNX export's tracer notes are about the exporter, not about the user's model: keep the report readable.
    warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
    warnings.filterwarnings("ignore", category=UserWarning, module="torch")
    started, phases = time.time(), Phases()
    base_manifest = json.loads((args.model / MANIFEST_FILE).read_text())
    base_cfg = C.ModelSetConfig.from_dict(base_manifest["training"]["configs"])
    cfg = adapted_config(base_cfg, args.name or f"{base_manifest['name']}-adapted", args.minutes)
    entropy_model = load_from_onnx(EntropyModel(cfg.entropy), args.model / ENTROPY_FILE)
    blt_model = load_from_onnx(ByteLatentTransformer(cfg.blt), args.model / BLT_FILE)

    parts = [split(read_log(p), HOLDOUT_FRACTION) for p in args.logs]
    sources = [make_source(GROUP, train) for train, _ in parts if train]
    held_back_files = [h[:h.rfind(b"\n", 0, HELD_OUT_BYTES_PER_FILE) + 1] or h for _, h in parts]
    held_out = {GROUP: b"".join(held_back_files)}
    weights = {GROUP: 1.0}
    log(f"{sum(len(s.data) for s in sources) / 1e3:.0f} KB to train on, {len(held_out[GROUP]) / 1e3:.0f} KB held back")
    base_theta = base_manifest["patching"]["theta"]
    before = evaluate(entropy_model, blt_model, held_out, cfg, base_theta)["domains"][GROUP]
    d = cfg.blt.d_latent
    before["template_accuracy"] = round(probe_accuracy(blt_model.embedding_head,
                                                       template_probe(entropy_model, blt_model, held_back_files, cfg,
                                                                      base_theta), d), 4)
    boundaries_before = patch_boundaries(entropy_model, held_out[GROUP], cfg, base_theta)
    log(f"before: {json.dumps(before)}")
    phases.done("before")

    entropy_model, entropy_report = train_entropy_model(cfg, sources, held_out, log, entropy_model, weights)
    phases.done("entropy_training")
    # Temperature and theta from the held-back part, not from what the model was trained on.
    temperature = fit_temperature(entropy_model, [held_out[GROUP]], cfg)
    apply_temperature(entropy_model, temperature)
    theta = calibrate(entropy_model, [make_source(GROUP, held_out[GROUP])], cfg)
    log(f"temperature {temperature:.2f}, theta {theta:.4f} nats")
    phases.done("calibration")
    share = PATCHED_BYTES // len(sources)
    patched = patch_sources(entropy_model, [make_source(GROUP, s.data[:share]) for s in sources], cfg, theta)
    blt_model, blt_report = train_blt(cfg, entropy_model, patched, held_out, theta, log, blt_model, weights)
    phases.done("blt_training")
    probe = template_probe(entropy_model, blt_model, held_back_files, cfg, theta)
    head_report = None
    if blt_model.embedding_head is not None:
        head_report = refit_head(entropy_model, blt_model, [t for t, _ in parts], probe, cfg, theta,
                                 args.minutes * HEAD_SHARE)
        phases.done("embedding_head")
    after = evaluate(entropy_model, blt_model, held_out, cfg, theta)["domains"][GROUP]
    after["template_accuracy"] = round(probe_accuracy(blt_model.embedding_head, probe, d), 4)
    boundaries_after = patch_boundaries(entropy_model, held_out[GROUP], cfg, theta)
    either = boundaries_before | boundaries_after
    moved = round(len(boundaries_before ^ boundaries_after) / max(1, len(either)), 4)
    phases.done("after")

    rows = [("entropy_model_bits_per_byte", "entropy model bits/byte"), ("blt_bits_per_byte", "BLT bits/byte"),
            ("avg_patch_size", "bytes per patch"), ("calibration", "calibration (predicted / actual)"),
            ("template_accuracy", "template accuracy")]
    print(f"held back: {len(held_out[GROUP]):,} bytes, never trained on")
    print(f"{'':<34} {'before':>10} {'after':>10}")
    for key, label in rows:
        print(f"{label:<34} {before[key]:>10.3f} {after[key]:>10.3f}")
    print(f"{'patch boundaries moved':<34} {moved:>21.1%}")
    worse = [label for key, label in rows[:2] if after[key] > before[key]]
    if worse:
        print(f"refused: the adapted model is worse on the held-back lines ({', '.join(worse)}); "
              f"nothing written to {args.out}. Try more minutes or a larger sample of your logs.")
        raise SystemExit(REFUSED_EXIT)

    training = dict(base_manifest["training"], configs=cfg.to_dict())
    manifest = write_model_folder(args.out, entropy_model, blt_model, cfg, theta, {
        "flops_per_byte": base_manifest["flops_per_byte"],
        "metrics": base_manifest["metrics"],
        "training": training,
        "adaptation": {
            "base_model_id": base_manifest["model_id"],
            "command": "/usr/bin/python3 adapt.py --logs " + " ".join(p.name for p in args.logs)
                       + f" --minutes {args.minutes:g}",
            "logs": [{"file": p.name, "train_bytes": len(t), "held_out_bytes": len(h)} for p, (t, h) in zip(args.logs, parts)],
            "sample": args.sample_note,
            "held_out": "the last tenth of each file, never trained on; it fits the temperature and theta",
            "temperature": temperature,
            "theta": {"before": base_theta, "after": theta},
            "entropy_model": {k: v for k, v in entropy_report.items() if k != "history"},
            "blt": {k: v for k, v in blt_report.items() if k != "history"},
            "embedding_head": head_report,
            "before": before,
            "after": after,
            "patch_boundaries_moved": moved,
            "phase_seconds": phases.seconds,
            "total_seconds": round(time.time() - started, 1),
        },
    })
    print(f"wrote {args.out} ({manifest['model_id']})")


if __name__ == "__main__":
    main()
