"""Every export passes onnx.checker and declares the manifest's names and dynamic axes; model ids."""
import json
from pathlib import Path

import onnx
import pytest

import numpy as np
import torch

from blt_models.export import (BLT_IO, ENTROPY_IO, ENTROPY_STEP_IO, MANIFEST_FILE, export_blt, export_entropy,
                               export_entropy_step, make_fixtures, model_id, model_id_of_text, write_manifest)
from blt_models.model import EntropyModelExport, EntropyStepExport

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


def assert_signature(graph, io):
    """The graph's input and output names are those the manifest's signature lists, in order."""
    assert [i.name for i in graph.input] == [x["name"] for x in io["inputs"]]
    assert [o.name for o in graph.output] == [x["name"] for x in io["outputs"]]


def dims(value_info):
    return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]


def test_entropy_export(entropy_model, tmp_path):
    path = tmp_path / "entropy.onnx"
    export_entropy(entropy_model, path)
    graph = onnx.load(str(path)).graph
    assert_signature(graph, ENTROPY_IO)
    assert dims(graph.input[0]) == ["batch", "seq"]
    assert dims(graph.output[0]) == ["batch", "seq"]
    assert all(o.name != "logits" for o in graph.output)


def test_entropy_step_export_and_steps_equal_one_pass(entropy_model, tmp_path):
    path = tmp_path / "entropy_step.onnx"
    export_entropy_step(entropy_model, path)
    graph = onnx.load(str(path)).graph
    assert_signature(graph, ENTROPY_STEP_IO)
    # A window scored in steps (the first from an empty cache) gives the outputs of one pass.
    cfg = entropy_model.cfg
    tokens = torch.randint(4, 260, (1, 40))
    with torch.no_grad():
        entropy, logprob, _ = EntropyModelExport(entropy_model)(tokens)
        step = EntropyStepExport(entropy_model)
        empty = torch.zeros(cfg.n_layers, 1, cfg.n_heads, 0, cfg.d_model // cfg.n_heads)
        keys, values, stepped, logprobs, last = empty, empty, [], [], None
        for a, b in [(0, 9), (9, 11), (11, 40)]:
            e, lp, last_logp, keys, values = step(tokens[:, a:b], keys, values)
            if last is not None:
                logprobs.append(last[0, tokens[0, a]].reshape(1))
            stepped.append(e[0])
            logprobs.append(lp[0, :-1])
            last = last_logp
    assert keys.shape[3] == 40
    np.testing.assert_allclose(torch.cat(stepped).numpy(), entropy[0].numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(torch.cat(logprobs).numpy(), logprob[0, :-1].numpy(), rtol=1e-4, atol=1e-5)


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
    export_entropy_step(entropy_model, tmp_path / "entropy_step.onnx")
    export_blt(blt_model, tmp_path / "blt.onnx")
    fixtures = make_fixtures(entropy_model, blt_model, tiny_cfg, theta=3.0)
    (tmp_path / "fixtures.json").write_text(json.dumps(fixtures))
    manifest = write_manifest(tmp_path, tiny_cfg, 3.0, {"metrics": {}})
    assert set(manifest["files"]) == {"entropy.onnx", "entropy_step.onnx", "blt.onnx", "fixtures.json"}
    assert manifest["models"]["entropy_step"]["file"] == "entropy_step.onnx"
    assert len(fixtures["records_in_context"]) == 4
    assert all(len(f["sha256"]) == 64 for f in manifest["files"].values())
    assert manifest["patching"]["theta"] == 3.0
    assert manifest["model_id"] == model_id_of_text((tmp_path / MANIFEST_FILE).read_text())
    assert manifest["streaming"]["entropy_context_bytes"] == tiny_cfg.streaming.entropy_context_bytes
    names = {d["name"]: d for d in fixtures["documents"]}
    assert {"english", "logs", "multilingual", "random", "empty", "one_byte"} <= set(names)
    assert names["empty"]["patch_starts"] == [] and names["one_byte"]["patch_starts"] == [0]
    for doc in fixtures["documents"]:
        assert len(doc["entropies"]) == doc["length"] == len(doc["blt_logprobs"])
        assert len(doc["patch_embeddings"]) == len(doc["patch_starts"])


@pytest.mark.parametrize("folder", sorted(p.parent.name for p in ARTIFACTS.glob("*/" + MANIFEST_FILE)))
def test_committed_manifests_carry_their_model_id(folder):
    text = (ARTIFACTS / folder / MANIFEST_FILE).read_text()
    manifest = json.loads(text)
    assert manifest["model_id"] == model_id_of_text(text) == model_id(manifest)
    edited = json.loads(text)
    edited["patching"]["theta"] += 0.5
    assert model_id(edited) != manifest["model_id"]


def test_model_id_matches_java():
    """The sample and id of flink-job's ModelIdTest: escapes, non-ASCII, numbers as written, NaN, CRLF."""
    sample = ('{"name": "t", "model_id": "t@000000000000", '
              '"b": [1, 2.50, 1e-05, -0.0, NaN, -Infinity, true, false, null, []],\r\n'
              ' "a": {"model_id": "kept", "Z": "\\u00e9\u00e9 \U0001F600 \\"q\\" \\\\ \\n\\t\\u0001\\u007f/",'
              ' "y": {}}, "\u00e9": 1, "B": 2}')
    assert model_id_of_text(sample) == "t@aeb31891cfe2"


def test_a_repeated_key_has_no_model_id():
    with pytest.raises(ValueError, match="occurs twice"):
        model_id_of_text('{"name": "m", "patching": {"theta": 1, "theta": 2}}')


@pytest.mark.parametrize("embedding_head", [0, 24])
def test_weights_read_back_from_onnx(tmp_path, entropy_model, tiny_cfg, embedding_head):
    """adapt.py fine-tunes a shipped folder from its graphs alone: every parameter must come back,
    the embedding head's too."""
    import dataclasses
    import torch
    from blt_models.export import export_blt, export_entropy
    from blt_models.model import ByteLatentTransformer, EntropyModel
    from blt_models.onnx_weights import load_from_onnx
    blt_cfg = dataclasses.replace(tiny_cfg.blt, embedding_head=embedding_head)
    torch.manual_seed(1)
    blt_model = ByteLatentTransformer(blt_cfg).eval()
    export_entropy(entropy_model, tmp_path / "entropy.onnx")
    export_blt(blt_model, tmp_path / "blt.onnx")
    for original, fresh, graph in [(entropy_model, EntropyModel(tiny_cfg.entropy), "entropy.onnx"),
                                   (blt_model, ByteLatentTransformer(blt_cfg), "blt.onnx")]:
        load_from_onnx(fresh, tmp_path / graph)
        for name, value in original.state_dict().items():
            assert torch.equal(fresh.state_dict()[name], value), name


def test_config_round_trips_through_a_dict(tiny_cfg):
    from blt_models import config as C
    assert C.ModelSetConfig.from_dict(tiny_cfg.to_dict()) == tiny_cfg
