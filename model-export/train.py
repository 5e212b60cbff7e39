#!/usr/bin/python3
"""Train the entropy model, calibrate theta, train BLT on the patches it cuts, evaluate, and export.

    /usr/bin/python3 train.py --config default          # the shipped models (about 85 min, 2 cores)
    /usr/bin/python3 train.py --config tiny --out /tmp/blt-tiny   # seconds, for tests

Writes <out>/entropy.onnx, blt.onnx, fixtures.json and manifest.json, and checkpoints under build/.
"""
import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from blt_models import config as C
from blt_models import corpus
from blt_models.export import BLT_FILE, MANIFEST_FILE, write_model_folder
from blt_models.model import ByteLatentTransformer, EntropyModel, flops_per_byte_blt, flops_per_token_entropy
from blt_models.onnx_weights import load_from_onnx
from blt_models.patcher import calibrate_theta, document_entropies
from blt_models.training import (apply_temperature, blt_bits_per_byte, entropy_runner, fit_temperature, make_source,
                                 spread_sample,
                                 patch_sources, train_blt, train_entropy_model, training_sources,
                                 validation_sets)

HERE = Path(__file__).resolve().parent
CALIBRATION_BYTES_PER_SOURCE = 20_000  # calibration sample of every training source, spread over it
TEMPERATURE_BYTES_PER_FILE = 32_000  # per held-out file, from the middle (validation reads the head)


def temperature_sample(files):
    """Text of the formats held out of training, away from the part validation reports on."""
    out = []
    for f in files:
        if f.domain == "real_logs_unseen":
            middle = f.validation[len(f.validation) // 2:]
            middle = middle[middle.find(b"\n") + 1:][:TEMPERATURE_BYTES_PER_FILE]
            out.append(middle[:middle.rfind(b"\n") + 1])
    return out


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class Phases:
    """Wall-clock seconds per phase of the run, for the manifest (the budget is 90 minutes)."""

    def __init__(self):
        self.seconds, self._mark = {}, time.time()

    def done(self, name):
        now = time.time()
        self.seconds[name] = round(self.seconds.get(name, 0.0) + now - self._mark, 1)
        self._mark = now
        log(f"[{name}: {self.seconds[name]:.0f}s]")


def load_or_train(checkpoint, new_model, seed, train, save_as):
    """A model and its training report: from a checkpoint (the report is the .json beside it), or
    trained now and saved as save_as (and its report beside it), for a later --*-checkpoint run."""
    if checkpoint:
        torch.manual_seed(seed)
        model = new_model()
        model.load_state_dict(torch.load(checkpoint))
        model.eval()
        return model, json.loads(checkpoint.with_suffix(".json").read_text())
    model, report = train()
    torch.save(model.state_dict(), save_as)
    save_as.with_suffix(".json").write_text(json.dumps(report, indent=2))
    return model, report


def calibrate(entropy_model, sources, cfg):
    runner = entropy_runner(entropy_model)
    sample = [document_entropies(runner, spread_sample(s.data, CALIBRATION_BYTES_PER_SOURCE), cfg.streaming.entropy_context_bytes,
                                 cfg.streaming.entropy_block_bytes)[0] for s in sources]
    return calibrate_theta(sample, cfg.patching.target_avg_patch_size, cfg.patching.theta_monotonic,
                           cfg.patching.max_patch_length)


def blt_of_folder(folder, cfg):
    """BLT as another model folder has it: (cfg with its BLT config, the model, its training record
    naming the folder's model id, and the manifest sections that describe it, such as its embedding
    head's objective)."""
    base = json.loads((folder / MANIFEST_FILE).read_text())
    base_cfg = C.ModelSetConfig.from_dict(base["training"]["configs"])
    # The weights and sizes of the folder's BLT, run with this preset's windows (sliding windows are
    # how it streams, not what it learned: see BltConfig.byte_window).
    windows = {k: getattr(cfg.blt, k) for k in ("byte_window", "patch_window", "rope_period")}
    cfg = replace(cfg, blt=replace(base_cfg.blt, **windows), blt_train=base_cfg.blt_train)
    model = load_from_onnx(ByteLatentTransformer(cfg.blt), folder / BLT_FILE)
    report = {**base["training"]["blt"], "from_model": base["model_id"]}
    carried = {k: base[k] for k in ("embedding_objective",) if k in base}
    log(f"BLT from {base['model_id']} ({folder})")
    return cfg, model, report, carried


def entropy_attention_context(cfg):
    """Keys each byte attends to in steady state: the sliding window, or the aligned blocks' mean."""
    if cfg.entropy.attention_window > 0:
        return cfg.entropy.attention_window
    window = cfg.streaming.entropy_context_bytes + cfg.streaming.entropy_block_bytes
    return window // 2 + cfg.streaming.entropy_context_bytes // 2


def blt_attention_context(cfg):
    """(bytes, patches) each BLT position attends to in steady state: the sliding windows, or the
    aligned blocks' (160 bytes, the context patches)."""
    if cfg.blt.byte_window > 0:
        return cfg.blt.byte_window, cfg.blt.patch_window
    return 160, cfg.streaming.blt_context_patches


def evaluate(entropy_model, blt_model, validation, cfg, theta):
    metrics = {"segmentation": "stream (aligned-block windows, as the Java patcher runs)", "domains": {}}
    total_bytes = 0
    sums = {"blt": 0.0, "entropy": 0.0, "patches": 0}
    for domain, data in validation.items():
        blt_bpb, ent_bpb, avg, predicted = blt_bits_per_byte(blt_model, entropy_model, data, cfg, theta)
        metrics["domains"][domain] = {"bytes": len(data), "entropy_model_bits_per_byte": round(ent_bpb, 4),
                                      "blt_bits_per_byte": round(blt_bpb, 4), "avg_patch_size": round(avg, 3),
                                      "entropy_model_mean_predicted_bits": round(predicted, 4),
                                      "calibration": round(predicted / ent_bpb, 3)}
        total_bytes += len(data)
        sums["blt"] += blt_bpb * len(data)
        sums["entropy"] += ent_bpb * len(data)
        sums["patches"] += len(data) / avg
    metrics["validation"] = {"bytes": total_bytes,
                             "entropy_model_bits_per_byte": round(sums["entropy"] / total_bytes, 4),
                             "blt_bits_per_byte": round(sums["blt"] / total_bytes, 4),
                             "avg_patch_size": round(total_bytes / sums["patches"], 3)}
    return metrics


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", choices=sorted(C.PRESETS), default="default")
    parser.add_argument("--out", type=Path, help="artifact folder (default artifacts/<name>)")
    parser.add_argument("--entropy-checkpoint", type=Path, help="reuse a trained entropy model (.pt)")
    parser.add_argument("--theta", type=float,
                        help="with both checkpoints: the theta their training run calibrated (skips calibrating again)")
    parser.add_argument("--blt-checkpoint", type=Path,
                        help="reuse a trained BLT (.pt, with its report beside it as .json): export only")
    parser.add_argument("--blt-from", type=Path, metavar="FOLDER",
                        help="take BLT (config, weights, embedding head and their training record) from another model "
                             "folder instead of training one: a new entropy model under a BLT that is kept")
    args = parser.parse_args()

    torch.set_num_threads(int(os.environ.get("BLT_TORCH_THREADS", os.cpu_count())))  # default: all cores
    cfg = C.PRESETS[args.config]()
    out = args.out or HERE / "artifacts" / cfg.name
    build = HERE / "build" / cfg.name
    out.mkdir(parents=True, exist_ok=True)
    build.mkdir(parents=True, exist_ok=True)
    started = time.time()
    phases = Phases()

    files = corpus.load() + corpus.load_real()
    sources = training_sources(files)
    validation = validation_sets(files, cfg.entropy_train.eval_bytes_per_domain)
    log(f"corpus: {sum(len(s.data) for s in sources) / 1e6:.2f} MB training, "
        f"{sum(len(v) for v in validation.values()) / 1e3:.0f} KB validation")
    phases.done("corpus")

    entropy_model, entropy_report = load_or_train(
        args.entropy_checkpoint, lambda: EntropyModel(cfg.entropy), cfg.entropy_train.seed,
        lambda: train_entropy_model(cfg, sources, validation, log), build / "entropy.pt")
    phases.done("entropy_training")

    temperature = fit_temperature(entropy_model, temperature_sample(files), cfg)
    apply_temperature(entropy_model, temperature)
    log(f"temperature {temperature:.2f} (fitted on held-out formats, folded into the output layer)")
    phases.done("temperature")

    keeps_blt = args.blt_checkpoint or args.blt_from
    theta = args.theta if args.theta is not None and keeps_blt else calibrate(entropy_model, sources, cfg)
    log(f"calibrated theta = {theta:.4f} nats for average patch size {cfg.patching.target_avg_patch_size}")
    phases.done("calibration")

    limit = cfg.blt_train.blt_train_bytes_per_source
    # Spread, not the head: BLT trained on the head of the multilingual file (a few languages) and
    # met the others only in validation, at 13.9 bits per byte.
    trimmed = [make_source(s.group, spread_sample(s.data, limit)) for s in sources]

    def train_blt_now():
        patched = patch_sources(entropy_model, trimmed, cfg, theta)
        phases.done("patching_blt_data")
        return train_blt(cfg, entropy_model, patched, validation, theta, log)

    carried = {}
    if args.blt_from:
        cfg, blt_model, blt_report, carried = blt_of_folder(args.blt_from, cfg)
    else:
        blt_model, blt_report = load_or_train(
            args.blt_checkpoint, lambda: ByteLatentTransformer(cfg.blt), cfg.blt_train.seed, train_blt_now,
            build / "blt.pt")
    phases.done("blt_training")

    metrics = evaluate(entropy_model, blt_model, validation, cfg, theta)
    log(json.dumps(metrics["validation"]))
    phases.done("evaluation")

    avg = metrics["validation"]["avg_patch_size"]
    extra = {
        "flops_per_byte": {
            "entropy_model": round(flops_per_token_entropy(cfg.entropy, entropy_attention_context(cfg))),
            "blt": round(flops_per_byte_blt(cfg.blt, *blt_attention_context(cfg), avg)),
            "note": "forward FLOPs per byte, 2 per multiply-add: each model's at its attention windows (a "
                    "rolling cache's steady state) or at the mean attention context of the aligned-block "
                    "windows, excluding their recomputed context",
        },
        "metrics": metrics,
        "training": {
            "command": "/usr/bin/python3 train.py " + " ".join(sys.argv[1:]),
            "data": {"corpus": "model-export/corpus and model-export/corpus_real (see model-export/NOTICE)",
                     "held_out_formats": sorted({f.name.split("/")[0] for f in files if f.domain == "real_logs_unseen"}),
                     "temperature": temperature,
                     "files": [{"domain": f.domain, "name": f.name, "train_bytes": len(f.train),
                                "validation_bytes": len(f.validation)} for f in files],
                     "synthetic_logs": {"bytes": len(sources[-1].data), "seed": 20241213},
                     "split": "per file: ~4 KB chunks cut at newlines; every 10th chunk validation, the rest train"},
            "entropy_model": {k: v for k, v in entropy_report.items() if k != "history"},
            "blt": {k: v for k, v in blt_report.items() if k != "history"},
            "torch": torch.__version__, "threads": torch.get_num_threads(),
            "total_seconds": round(time.time() - started, 1),
            "phase_seconds": phases.seconds,
            "configs": cfg.to_dict(),
        },
        **carried,
    }
    manifest = write_model_folder(out, entropy_model, blt_model, cfg, theta, extra)
    log(f"wrote {out} ({manifest['model_id']}) in {time.time() - started:.0f}s")


if __name__ == "__main__":
    np.set_printoptions(precision=4)
    main()
