#!/usr/bin/python3
"""How well RecordScore.novelty flags a line whose template the stream has not shown recently.

For each Loghub system, the first LINES lines go through `blt embed --per-record` as one key's
records (record context carry, novelty window W, as `blt run --segmentation record`). A line is
"new" when its Loghub template (EventId) is absent from the W lines before it. Printed per system:
how many lines are new, the ROC AUC of novelty for "new" (0.5 = chance), novelty's median and p99
over the other lines (what a threshold sits above), and the same AUC for the masked-form baseline
(1 when the line's masked form, digits and hex runs masked, is absent from the W lines before).
Loghub labels are used to score only, never to fit. Asserts nothing.

    bench/novelty_loghub.py [--lines 500] [--window 32] [--model DIR] [--systems "HDFS Linux"]
"""
import argparse
import csv
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE / "model-export"))
from blt_models.contrastive import mask  # noqa: E402  the masks of the Java baseline (MaskedLines)


def roc_auc(scores, positive) -> float:
    """Mann-Whitney: the chance that a positive scores above a negative, ties counted half."""
    scores, positive = np.asarray(scores, float), np.asarray(positive, bool)
    n_pos, n_neg = positive.sum(), (~positive).sum()
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(scores, kind="stable")
    ranks = np.empty(len(scores))
    i = 0
    while i < len(scores):
        j = i
        while j + 1 < len(scores) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=500)
    parser.add_argument("--window", type=int, default=32)
    parser.add_argument("--model", type=Path, default=HERE / "model-export/artifacts/blt-default")
    parser.add_argument("--loghub", type=Path, default=HERE.parent / "shared/data/eval/loghub")
    parser.add_argument("--systems", default="")
    parser.add_argument("--jar", type=Path, default=HERE / "flink-job/target/blt.jar")
    args = parser.parse_args()
    if not args.loghub.is_dir():
        sys.exit(f"no Loghub data at {args.loghub} (--loghub)")
    systems = args.systems.split() or sorted(p.name for p in args.loghub.iterdir() if p.is_dir())
    manifest = json.loads((args.model / "manifest.json").read_text())
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"{date.today()}, {os.cpu_count()} cores ({cpu}), {manifest['model_id']}, first {args.lines} lines per "
          f"system, novelty window {args.window}\n")
    print("| system | new lines | novelty AUC | novelty p50 / p99 of the others | masked-form baseline AUC |")
    print("|---|---|---|---|---|")
    aucs, baselines = [], []
    for system in systems:
        log = args.loghub / system / f"{system}_2k.log"
        lines = log.read_bytes().splitlines(keepends=True)[:args.lines]
        with open(args.loghub / system / f"{system}_2k.log_structured.csv", newline="") as f:
            events = [row["EventId"] for row in csv.DictReader(f)][:len(lines)]
        out = subprocess.run(["java", "-jar", str(args.jar), "embed", "--per-record", "--model", str(args.model),
                              "--novelty-window", str(args.window), "-"], input=b"".join(lines),
                             capture_output=True, check=True).stdout.decode()
        novelty = [json.loads(line).get("novelty") for line in out.splitlines()]
        assert len(novelty) == len(events), (system, len(novelty), len(events))
        forms = [mask(line.rstrip(b"\r\n")) for line in lines]
        score, baseline, new = [], [], []
        for i in range(args.window, len(events)):  # each line after a full window
            score.append(novelty[i])
            baseline.append(float(forms[i] not in forms[i - args.window:i]))
            new.append(events[i] not in events[i - args.window:i])
        others = np.array([s for s, n in zip(score, new) if not n])
        aucs.append(roc_auc(score, new))
        baselines.append(roc_auc(baseline, new))
        print(f"| {system} | {sum(new)} of {len(new)} | {aucs[-1]:.3f} | {np.median(others):.3f} / "
              f"{np.percentile(others, 99):.3f} | {baselines[-1]:.3f} |")
    print(f"| **mean** | | {np.nanmean(aucs):.3f} | | {np.nanmean(baselines):.3f} |")


if __name__ == "__main__":
    main()
