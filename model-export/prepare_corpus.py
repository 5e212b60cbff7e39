#!/usr/bin/python3
"""Copy the training corpus from ../shared/data/train into corpus/ (already committed; rerun only
to rebuild it). Never touches ../shared/data/eval."""
import argparse
from pathlib import Path

from blt_models.corpus import CORPUS_DIR, copy_from_shared

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared-train", type=Path,
                        default=Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "train")
    args = parser.parse_args()
    copy_from_shared(args.shared_train)
    total = sum(p.stat().st_size for p in CORPUS_DIR.rglob("*") if p.is_file())
    print(f"corpus written to {CORPUS_DIR}: {total / 1e6:.2f} MB")
