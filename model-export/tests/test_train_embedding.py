"""train_embedding.py: a short run on the tiny model writes a complete folder with an embedding head
that changes the published patch embeddings and nothing else. run-tests.sh writes the folder to
build/test-models/ first, where the Java golden-fixture and manifest tests check it too; this test
reuses it when it is there and makes it otherwise."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from folders import checksummed_manifest

HERE = Path(__file__).resolve().parent.parent
BASE = HERE / "artifacts/blt-tiny"
TRAINED = HERE / "build/test-models/blt-tiny-embedding"


def trained_folder() -> Path:
    if not (TRAINED / "manifest.json").exists():
        subprocess.run([sys.executable, str(HERE / "train_embedding.py"), "--model", str(BASE), "--minutes", "0.05",
                        "--pairs-per-source", "3", "--probe-lines", "12", "--hidden", "16",
                        "--features", str(TRAINED.parent / "tiny-embedding-features.pt"), "--out", str(TRAINED)],
                       check=True, cwd=HERE, capture_output=True)
    return TRAINED


def test_folder_is_complete_with_a_trained_head():
    manifest = checksummed_manifest(trained_folder())
    assert manifest["models"]["blt"]["config"]["embedding_head"] == 16
    objective = manifest["embedding_objective"]
    assert objective["base_model_id"].startswith("blt-tiny@")
    assert objective["pairs"] > 0 and objective["steps"] > 0
    assert 0 <= objective["template_accuracy_unseen"]["after"] <= 1


def test_head_changes_embeddings_and_nothing_else():
    base = json.loads((BASE / "fixtures.json").read_text())
    trained = json.loads((trained_folder() / "fixtures.json").read_text())
    assert base.keys() == trained.keys()
    changed = False
    for b, t in zip(base["documents"], trained["documents"], strict=True):
        name = b["name"]
        # Next-byte outputs unchanged. The fixtures hold 6 decimals and the base's were written on
        # another CPU, whose BLAS may round the last digit the other way: equal within that rounding.
        assert_close(t["blt_logprobs"], b["blt_logprobs"], name)
        assert_close(t["patch_end_logprobs"], b["patch_end_logprobs"], name)
        assert t["patch_starts"] == b["patch_starts"], name
        changed |= t["patch_embeddings"] != b["patch_embeddings"]
    assert changed


def assert_close(got, want, name, tolerance=1e-5):
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, name
    worst = float(np.max(np.abs(got - want), initial=0.0))
    assert worst <= tolerance, f"{name}: differs by up to {worst}"
