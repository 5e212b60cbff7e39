#!/usr/bin/python3
"""Fine-tune a shipped model folder on your own logs, on CPU, and write a complete model folder.

    /usr/bin/python3 adapt.py --logs app.log auth.log --minutes 10 --out my-model
    ./blt run --model model-export/my-model ...

Both models continue training from the folder's weights (read from its ONNX graphs) on windows of
your logs only; the softmax temperature is refitted and theta recalibrated on them, for the folder's
target average patch size. The last tenth of each file is held out: never trained on, it fits the
temperature and gives the before/after figures printed at the end and kept in the manifest
("adaptation"). The output folder is checksummed and carries its own golden fixtures, like the
shipped ones. Windows, token ids and model sizes are the base folder's.
"""
import argparse
import gzip
import json
import lzma
import os
import time
from dataclasses import replace
from pathlib import Path

import torch

from blt_models import config as C
from blt_models.export import BLT_FILE, ENTROPY_FILE, MANIFEST_FILE, write_model_folder
from blt_models.model import ByteLatentTransformer, EntropyModel
from blt_models.onnx_weights import load_from_onnx
from blt_models.training import (apply_temperature, fit_temperature, make_source, patch_sources, train_blt,
                                 train_entropy_model)
from train import Phases, calibrate, evaluate, log

HERE = Path(__file__).resolve().parent
GROUP = "your_logs"
HOLDOUT_FRACTION = 0.1
ENTROPY_SHARE = 0.6  # of the minutes; BLT gets the rest
FINE_TUNE_LR = 1e-3  # a third of training's: the weights are already good
HELD_OUT_BYTES_PER_FILE = 64_000  # evaluation and temperature read at most this much of each held-out part
PATCHED_BYTES = 400_000  # BLT's fine-tuning windows come from this many bytes (patching them costs time)


def read_log(path: Path) -> bytes:
    opener = {".gz": gzip.open, ".xz": lzma.open}.get(path.suffix, open)
    with opener(path, "rb") as f:
        data = f.read()
    if not data.strip():
        raise SystemExit(f"{path}: empty")
    return data if data.endswith(b"\n") else data + b"\n"


def split(data: bytes, holdout_fraction: float):
    """(train, held out): the held-out part is the file's last lines, cut at a newline."""
    cut = int(len(data) * (1 - holdout_fraction))
    cut = data.find(b"\n", cut) + 1 or len(data)
    return data[:cut], data[cut:]


def adapted_config(base: C.ModelSetConfig, name: str, minutes: float) -> C.ModelSetConfig:
    def fine_tune(t: C.TrainConfig, share: float) -> C.TrainConfig:
        return replace(t, max_minutes=minutes * share, max_steps=100_000, learning_rate=FINE_TUNE_LR,
                       warmup_steps=10, eval_every=10 ** 9)
    return replace(base, name=name, entropy_train=fine_tune(base.entropy_train, ENTROPY_SHARE),
                   blt_train=fine_tune(base.blt_train, 1 - ENTROPY_SHARE))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--logs", type=Path, nargs="+", required=True, help="your log files (.gz and .xz are read as such)")
    parser.add_argument("--minutes", type=float, default=10.0, help="training time, both models together")
    parser.add_argument("--out", type=Path, required=True, help="the model folder to write")
    parser.add_argument("--model", type=Path, default=HERE / "artifacts" / "blt-default", help="the folder to start from")
    parser.add_argument("--name", help="model name (default: <base name>-adapted)")
    args = parser.parse_args()
    if args.minutes <= 0:
        parser.error("--minutes must be positive")

    torch.set_num_threads(int(os.environ.get("BLT_TORCH_THREADS", os.cpu_count())))
    started, phases = time.time(), Phases()
    base_manifest = json.loads((args.model / MANIFEST_FILE).read_text())
    base_cfg = C.ModelSetConfig.from_dict(base_manifest["training"]["configs"])
    cfg = adapted_config(base_cfg, args.name or f"{base_manifest['name']}-adapted", args.minutes)
    entropy_model = load_from_onnx(EntropyModel(cfg.entropy), args.model / ENTROPY_FILE)
    blt_model = load_from_onnx(ByteLatentTransformer(cfg.blt), args.model / BLT_FILE)

    parts = [split(read_log(p), HOLDOUT_FRACTION) for p in args.logs]
    sources = [make_source(GROUP, train) for train, _ in parts if train]
    held_out = {GROUP: b"".join(h[:h.rfind(b"\n", 0, HELD_OUT_BYTES_PER_FILE) + 1] or h for _, h in parts)}
    weights = {GROUP: 1.0}
    log(f"{sum(len(s.data) for s in sources) / 1e3:.0f} KB to train on, {len(held_out[GROUP]) / 1e3:.0f} KB held out")
    before = evaluate(entropy_model, blt_model, held_out, cfg, base_manifest["patching"]["theta"])["domains"][GROUP]
    log(f"before: {json.dumps(before)}")
    phases.done("before")

    entropy_model, entropy_report = train_entropy_model(cfg, sources, held_out, log, entropy_model, weights)
    phases.done("entropy_training")
    temperature = fit_temperature(entropy_model, [held_out[GROUP]], cfg)
    apply_temperature(entropy_model, temperature)
    theta = calibrate(entropy_model, sources, cfg)
    log(f"temperature {temperature:.2f}, theta {theta:.4f} nats")
    phases.done("calibration")
    share = PATCHED_BYTES // len(sources)
    patched = patch_sources(entropy_model, [make_source(GROUP, s.data[:share]) for s in sources], cfg, theta)
    blt_model, blt_report = train_blt(cfg, entropy_model, patched, held_out, theta, log, blt_model, weights)
    phases.done("blt_training")
    after = evaluate(entropy_model, blt_model, held_out, cfg, theta)["domains"][GROUP]
    phases.done("after")

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
            "held_out": "the last tenth of each file, never trained on; it also fits the temperature",
            "temperature": temperature,
            "entropy_model": {k: v for k, v in entropy_report.items() if k != "history"},
            "blt": {k: v for k, v in blt_report.items() if k != "history"},
            "before": before,
            "after": after,
            "phase_seconds": phases.seconds,
            "total_seconds": round(time.time() - started, 1),
        },
    })
    print(f"{'held out':<28} {'before':>10} {'after':>10}")
    for key in ("entropy_model_bits_per_byte", "blt_bits_per_byte", "avg_patch_size", "calibration"):
        print(f"{key:<28} {before[key]:>10.3f} {after[key]:>10.3f}")
    print(f"wrote {args.out} ({manifest['model_id']})")


if __name__ == "__main__":
    main()
