#!/usr/bin/python3
"""PyTorch reference timing of record-mode patching, for comparison with `blt bench` (ONNX Runtime).

    /usr/bin/python3 bench_pytorch.py --checkpoint build/sweep/e128x2/entropy.pt --candidate e128x2 FILE...

Same work as the Java benchmark: every line is a record, scored under the aligned-block windows,
all windows of a batch of 256 lines in padded batches of 64; eager PyTorch, all cores.
"""
import argparse
import os
import time

import torch

from blt_models import config as C
from blt_models.model import EntropyModel, EntropyModelExport
from blt_models.patcher import block_windows
from blt_models.runtime import run_entropy


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--candidate", default=C.DEFAULT_ENTROPY_CANDIDATE, choices=sorted(C.ENTROPY_CANDIDATES))
    parser.add_argument("--max-bytes", type=int, default=262144)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    torch.set_num_threads(int(os.environ.get("BLT_TORCH_THREADS", os.cpu_count())))  # default: all cores
    model = EntropyModel(C.ENTROPY_CANDIDATES[args.candidate])
    model.load_state_dict(torch.load(args.checkpoint))
    wrapper = EntropyModelExport(model.eval())
    s = C.default().streaming
    lines, total = [], 0
    for f in args.files:
        for line in open(f, "rb").read().split(b"\n"):
            line = line.rstrip(b"\r")
            if total >= args.max_bytes:
                break
            lines.append(line)
            total += len(line)
    best = 0.0
    for _ in range(args.repeat):
        start = time.time()
        for i in range(0, len(lines), 256):
            windows = []
            for line in lines[i:i + 256]:
                windows += [w.tokens(line) for w in block_windows(len(line), s.entropy_context_bytes, s.entropy_block_bytes)]
            run_entropy(wrapper, windows, batch_size=64)
        best = max(best, total / 1e3 / (time.time() - start))
    print(f"pytorch {args.candidate}: {len(lines)} lines, {total} bytes, record KB/s {best:.1f} "
          f"(torch {torch.__version__}, {torch.get_num_threads()} threads)")


if __name__ == "__main__":
    main()
