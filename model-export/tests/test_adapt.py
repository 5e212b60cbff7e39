"""adapt.py: a short fine-tune of the tiny model on the bundled sample logs writes a complete,
checksummed folder whose manifest records the adaptation. run-tests.sh writes the folder to
build/test-models/ first, where the Java golden-fixture and manifest tests pick it up too; this test
reuses it when it is there and makes it otherwise."""
import json
import subprocess
import sys
from pathlib import Path

from folders import checksummed_manifest

HERE = Path(__file__).resolve().parent.parent
SAMPLE_LOG = HERE.parent / "flink-job/src/main/resources/samples/app-services.log"
ADAPTED = HERE / "build/test-models/blt-tiny-adapted"


def adapted_folder() -> Path:
    if not (ADAPTED / "manifest.json").exists():
        subprocess.run([sys.executable, str(HERE / "adapt.py"), "--model", str(HERE / "artifacts/blt-tiny"),
                        "--logs", str(SAMPLE_LOG), "--minutes", "0.1", "--out", str(ADAPTED)],
                       check=True, cwd=HERE, capture_output=True)
    return ADAPTED


def test_adapted_folder_is_complete_and_checksummed():
    manifest = checksummed_manifest(adapted_folder())
    assert manifest["name"] == "blt-tiny-adapted"
    base = json.loads((HERE / "artifacts/blt-tiny/manifest.json").read_text())
    assert manifest["streaming"] == base["streaming"] and manifest["tokens"] == base["tokens"]
    assert manifest["patching"]["theta"] != base["patching"]["theta"]  # recalibrated on the logs


def test_adaptation_learns_the_logs():
    adaptation = json.loads((adapted_folder() / "manifest.json").read_text())["adaptation"]
    assert adaptation["base_model_id"].startswith("blt-tiny@")
    assert adaptation["logs"][0]["file"] == SAMPLE_LOG.name and adaptation["logs"][0]["held_out_bytes"] > 0
    assert adaptation["entropy_model"]["steps"] > 0 and adaptation["blt"]["steps"] > 0
    # The tiny model has barely been trained, so even seconds on one log format must help it.
    assert adaptation["after"]["entropy_model_bits_per_byte"] < adaptation["before"]["entropy_model_bits_per_byte"]


def test_validation_report_compares_before_and_after_on_the_held_back_lines():
    manifest = json.loads((adapted_folder() / "manifest.json").read_text())
    adaptation = manifest["adaptation"]
    for side in ("before", "after"):
        report = adaptation[side]
        assert report["bytes"] == adaptation["logs"][0]["held_out_bytes"]  # the held-back part, all of it
        assert 0 <= report["template_accuracy"] <= 1 and report["calibration"] > 0 and report["avg_patch_size"] >= 1
    # An adapted model is never worse on what it held back: adapt.py refuses to write one.
    assert adaptation["after"]["blt_bits_per_byte"] <= adaptation["before"]["blt_bits_per_byte"]
    assert 0 <= adaptation["patch_boundaries_moved"] <= 1
    assert adaptation["theta"]["after"] == manifest["patching"]["theta"] != adaptation["theta"]["before"]


def test_the_held_back_part_is_the_last_tenth_with_or_without_newlines():
    from adapt import split
    lines = b"".join(b"line %03d\n" % i for i in range(100))
    train, held = split(lines, 0.1)
    assert train + held == lines and held.startswith(b"line 09") and train.endswith(b"\n")
    # Records sent without newlines (kcat's default), concatenated as stream segmentation does.
    stream = b"".join(b"record %03d" % i for i in range(100)) + b"\n"
    train, held = split(stream, 0.1)
    assert train + held == stream and 0.09 * len(stream) < len(held) < 0.11 * len(stream)


def test_record_feature_budgets_are_shared_by_all_files():
    # A Kafka sample is one file per stream: the head's pairs and the probe lines must not grow with them.
    from adapt import HEAD_PAIRS, MIN_PER_FILE, per_file
    assert per_file(HEAD_PAIRS, 1) == HEAD_PAIRS
    assert per_file(HEAD_PAIRS, 4) == HEAD_PAIRS // 4
    assert per_file(HEAD_PAIRS, 64) == MIN_PER_FILE
