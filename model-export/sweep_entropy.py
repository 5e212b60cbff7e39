#!/usr/bin/python3
"""Train each entropy-model candidate with the default training budget, for the trade-off table.

    /usr/bin/python3 sweep_entropy.py     # writes build/sweep/<candidate>/{entropy.onnx,entropy.pt,...}
    /usr/bin/python3 sweep_entropy.py e128x2 e128x2w256     # these candidates (sliding-window ones too)
    BLT_SWEEP_MINUTES=8 /usr/bin/python3 sweep_entropy.py ...   # a shorter budget, the same for each

Patching throughput with ONNX Runtime is then measured by the Java benchmark
(`EntropyThroughputBenchmark`) on the exported graphs, and both go into README.md.
"""
import json
import os
import sys
from pathlib import Path

import torch

from blt_models import config as C
from blt_models import corpus
from blt_models.export import export_entropy
from blt_models.model import flops_per_token_entropy
from blt_models.training import entropy_bits_per_byte, train_entropy_model, training_sources, validation_sets

HERE = Path(__file__).resolve().parent


def main():
    torch.set_num_threads(int(os.environ.get("BLT_TORCH_THREADS", os.cpu_count())))  # default: all cores
    candidates = {**C.ENTROPY_CANDIDATES, **C.WINDOWED_ENTROPY_CANDIDATES}
    names = sys.argv[1:] or list(C.ENTROPY_CANDIDATES)
    unknown = [n for n in names if n not in candidates]
    if unknown:
        sys.exit(f"sweep_entropy.py: unknown candidate(s) {', '.join(unknown)}; known: {', '.join(candidates)}")
    minutes = os.environ.get("BLT_SWEEP_MINUTES")
    files = corpus.load() + corpus.load_real()  # the corpus train.py trains on
    sources = training_sources(files)
    results = {}
    for name in names:
        cfg = C.default()
        cfg.entropy = candidates[name]
        cfg.name = name
        if minutes:
            cfg.entropy_train.max_minutes = float(minutes)
        validation = validation_sets(files, cfg.entropy_train.eval_bytes_per_domain)
        model, report = train_entropy_model(cfg, sources, validation, lambda m: print(m, file=sys.stderr))
        out = HERE / "build" / "sweep" / name
        out.mkdir(parents=True, exist_ok=True)
        torch.save(model.state_dict(), out / "entropy.pt")
        (out / "entropy.json").write_text(json.dumps(report, indent=2))
        export_entropy(model, out / "entropy.onnx")
        with torch.no_grad():
            per_domain = {d: round(entropy_bits_per_byte(model, v, cfg), 4) for d, v in validation.items()}
        total = sum(len(v) for v in validation.values())
        window = cfg.streaming.entropy_context_bytes + cfg.streaming.entropy_block_bytes
        results[name] = {
            "config": vars(cfg.entropy),
            "params": sum(p.numel() for p in model.parameters()),
            "validation_bits_per_byte": round(sum(per_domain[d] * len(v) for d, v in validation.items()) / total, 4),
            "bits_per_byte_by_domain": per_domain,
            # Aligned blocks attend to half a window on average; a sliding window steps over its W.
            "flops_per_byte": round(flops_per_token_entropy(cfg.entropy, cfg.entropy.attention_window
                                                            or window // 2 + cfg.streaming.entropy_context_bytes // 2)),
            "train_seconds": report["seconds"], "train_steps": report["steps"], "train_bytes": report["train_bytes"],
        }
        print(json.dumps({name: results[name]}), flush=True)
    path = HERE / "build" / "sweep" / "results.json"
    old = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps({**old, **results}, indent=2))


if __name__ == "__main__":
    main()
