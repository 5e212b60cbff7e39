"""The sliding-window BLT's rolling graph: whole patches scored from rolling caches give what one
pass over the whole stream gives (within float tolerance: no patch boundary depends on the BLT)."""
import numpy as np
import onnx
import pytest
import torch

from blt_models import config as C
from blt_models.export import BLT_ROLLING_IO, export_blt_rolling
from blt_models.model import BltExport, BltRollingExport, ByteLatentTransformer
from blt_models.runtime import rolling_blt_call, rolling_blt_stream, run_blt


@pytest.fixture(scope="module")
def rolling_blt():
    torch.manual_seed(7)
    return ByteLatentTransformer(C.tiny_window().blt).eval()


def stream(seed, length=90, mean_patch=3):
    rng = np.random.default_rng(seed)
    tokens = [C.BOS_ID] + [int(x) for x in rng.integers(C.BYTE_OFFSET, C.VOCAB_SIZE, length)]
    cuts = sorted(set(int(x) for x in rng.integers(2, len(tokens), length // mean_patch)))
    return tokens, [0, 1] + cuts  # BOS is a patch of its own, as in the Java stage


@pytest.mark.parametrize("patches_per_call", [1, 2, 5, 1000])
def test_rolling_calls_give_the_one_pass_outputs(rolling_blt, patches_per_call):
    tokens, starts = stream(1)
    emb, logprob, ends = run_blt(BltExport(rolling_blt).eval(), [(tokens, starts)])[0]
    r_emb, r_logprob, r_ends = rolling_blt_stream(BltRollingExport(rolling_blt).eval(), rolling_blt.cfg, tokens,
                                                  starts, patches_per_call)
    np.testing.assert_allclose(r_emb, emb, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(r_logprob, logprob, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(r_ends, ends, rtol=1e-4, atol=1e-5)


def test_rows_of_other_streams_do_not_change_a_row(rolling_blt):
    cfg = rolling_blt.cfg
    model = BltRollingExport(rolling_blt).eval()
    tokens, starts = stream(2)
    cut, end = starts[6], starts[12]  # calls hold whole patches
    first = {"tokens": tokens[:cut], "patch_start": starts[:6], "byte_pos": 0, "patch_pos": 0}
    _, _, _, state = rolling_blt_call(model, cfg, [first])[0]
    second = {"tokens": tokens[cut:end], "patch_start": [s - cut for s in starts[6:12]],
              "byte_pos": cut, "patch_pos": 6, **state}
    alone = rolling_blt_call(model, cfg, [second])[0]
    other_tokens, other_starts = stream(3, length=70)
    other = {"tokens": other_tokens, "patch_start": other_starts, "byte_pos": 0, "patch_pos": 0}
    together = rolling_blt_call(model, cfg, [other, second])[1]
    for a, b in zip(alone[:3], together[:3]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_the_same_far_into_a_stream(rolling_blt):
    """Positions count modulo rope_period: a stream one period on scores as it did at 0."""
    cfg = rolling_blt.cfg
    model = BltRollingExport(rolling_blt).eval()
    tokens, starts = stream(4, length=30)
    call = {"tokens": tokens[1:], "patch_start": [s - 1 for s in starts[1:]]}
    near = rolling_blt_call(model, cfg, [{**call, "byte_pos": 1, "patch_pos": 1}])[0]
    far = rolling_blt_call(model, cfg, [{**call, "byte_pos": 1 + (1 << 31), "patch_pos": 1 + (1 << 31)}])[0]
    for a, b in zip(near[:3], far[:3]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_a_rolling_blt_needs_its_windows():
    model = ByteLatentTransformer(C.tiny().blt).eval()
    with pytest.raises(ValueError, match="byte_window"):
        rolling_blt_call(BltRollingExport(model), model.cfg, [{"tokens": [1, 5], "patch_start": [0, 1],
                                                                "byte_pos": 0, "patch_pos": 0}])


def test_the_rolling_graph_exports_with_its_signature(rolling_blt, tmp_path):
    """Python has no ONNX Runtime here: the Java side runs this graph against the fixtures
    (GoldenFixtureIT) and against the one-pass graph (BltStageInvarianceIT)."""
    path = tmp_path / "blt_rolling.onnx"
    export_blt_rolling(rolling_blt, path)
    graph = onnx.load(str(path)).graph
    assert [i.name for i in graph.input] == [x["name"] for x in BLT_ROLLING_IO["inputs"]]
    assert [o.name for o in graph.output] == [x["name"] for x in BLT_ROLLING_IO["outputs"]]
