"""Checks shared by the tests of scripts that write a model folder (adapt, train_embedding, quantize)."""
import json
from pathlib import Path

from blt_models.export import model_id, sha256


def checksummed_manifest(folder: Path) -> dict:
    """The folder's manifest, after checking its model_id and every listed file's SHA-256."""
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["model_id"] == model_id(manifest)
    for name, entry in manifest["files"].items():
        assert sha256(folder / name) == entry["sha256"], name
    return manifest
