"""Every export passes onnx.checker and declares the manifest's names and dynamic axes."""
import json

import onnx

from blt_models.export import BLT_IO, ENTROPY_IO, export_blt, export_entropy, make_fixtures, write_manifest


def dims(value_info):
    return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]


def test_entropy_export(entropy_model, tmp_path):
    path = tmp_path / "entropy.onnx"
    export_entropy(entropy_model, path)
    graph = onnx.load(str(path)).graph
    assert [i.name for i in graph.input] == [x["name"] for x in ENTROPY_IO["inputs"]]
    assert [o.name for o in graph.output] == [x["name"] for x in ENTROPY_IO["outputs"]]
    assert dims(graph.input[0]) == ["batch", "seq"]
    assert dims(graph.output[0]) == ["batch", "seq"]
    assert all(o.name != "logits" for o in graph.output)


def test_blt_export(blt_model, tmp_path):
    path = tmp_path / "blt.onnx"
    export_blt(blt_model, path)
    graph = onnx.load(str(path)).graph
    assert [i.name for i in graph.input] == ["tokens", "patch_start"]
    assert [o.name for o in graph.output] == [x["name"] for x in BLT_IO["outputs"]]
    assert dims(graph.input[1]) == ["batch", "patches"]
    assert dims(graph.output[0])[:2] == ["batch", "patches"]


def test_manifest_and_fixtures(entropy_model, blt_model, tiny_cfg, tmp_path):
    export_entropy(entropy_model, tmp_path / "entropy.onnx")
    export_blt(blt_model, tmp_path / "blt.onnx")
    fixtures = make_fixtures(entropy_model, blt_model, tiny_cfg, theta=3.0)
    (tmp_path / "fixtures.json").write_text(json.dumps(fixtures))
    manifest = write_manifest(tmp_path, tiny_cfg, 3.0, {"metrics": {}})
    assert set(manifest["files"]) == {"entropy.onnx", "blt.onnx", "fixtures.json"}
    assert all(len(f["sha256"]) == 64 for f in manifest["files"].values())
    assert manifest["patching"]["theta"] == 3.0
    assert manifest["streaming"]["entropy_context_bytes"] == tiny_cfg.streaming.entropy_context_bytes
    names = {d["name"]: d for d in fixtures["documents"]}
    assert {"english", "logs", "multilingual", "random", "empty", "one_byte"} <= set(names)
    assert names["empty"]["patch_starts"] == [] and names["one_byte"]["patch_starts"] == [0]
    for doc in fixtures["documents"]:
        assert len(doc["entropies"]) == doc["length"] == len(doc["blt_logprobs"])
        assert len(doc["patch_embeddings"]) == len(doc["patch_starts"])
