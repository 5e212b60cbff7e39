#!/usr/bin/python3
"""Copies of a model folder that run the same weights with a shorter entropy-model context, for the
context trade-off table in README.md (bits per byte and throughput against context length).

    /usr/bin/python3 context_variants.py artifacts/blt-default build/variants 64 128 256
    ./blt eval-loghub --tables compression --model build/variants/blt-default-c64 ../shared/data/eval/loghub

Each variant is a complete, checksummed model folder whose manifest differs only in
streaming.entropy_context_bytes, its name and so its model_id. Its fixtures are the original's
(they pin the full context) and are not used when the job runs.
"""
import argparse
import json
import shutil
from pathlib import Path

from blt_models.export import MANIFEST_FILE, model_id


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("contexts", type=int, nargs="+")
    args = parser.parse_args()
    manifest = json.loads((args.model / MANIFEST_FILE).read_text())
    for context in args.contexts:
        variant = json.loads(json.dumps(manifest))
        variant["name"] = f"{manifest['name']}-c{context}"
        variant["streaming"]["entropy_context_bytes"] = context
        variant["model_id"] = model_id(variant)
        folder = args.out / variant["name"]
        if folder.exists():
            shutil.rmtree(folder)
        shutil.copytree(args.model, folder)
        (folder / MANIFEST_FILE).write_text(json.dumps(variant, indent=2) + "\n")
        print(f"{folder} ({variant['model_id']})")


if __name__ == "__main__":
    main()
