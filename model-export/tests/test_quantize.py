"""quantize.py and blt_models/quantize.py: the int8 graphs and their PyTorch twin. run-tests.sh has this
write the tiny model's int8 folder to build/test-models/ first, where the Java golden-fixture,
chunking and step-graph tests run it through ONNX Runtime (which this Python lacks)."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from onnx import numpy_helper
from torch import nn

from blt_models import config as C
from blt_models.export import ENTROPY_FILE
from blt_models.model import EntropyModel
from blt_models.onnx_weights import load_from_onnx
from blt_models.quantize import (WEIGHT_LEVELS, ActivationRanges, Fp16Linear, Int8Linear, activation_params, half_graph,
                                 kept_weights, quantize_graph, quantize_linears, quantize_weight, weight_key)
from folders import checksummed_manifest

HERE = Path(__file__).resolve().parent.parent
TINY = HERE / "artifacts/blt-tiny"
GENERATED = HERE / "build/test-models"


def quantized_folder(precision: str = "int8") -> Path:
    out = GENERATED / f"blt-tiny-{precision}"
    if not (out / "manifest.json").exists():
        subprocess.run([sys.executable, str(HERE / "quantize.py"), "--model", str(TINY), "--to", precision,
                        "--out", str(out)], check=True, cwd=HERE, capture_output=True)
    return out


def tiny_entropy_model():
    cfg = C.ModelSetConfig.from_dict(json.loads((TINY / "manifest.json").read_text())["training"]["configs"])
    return load_from_onnx(EntropyModel(cfg.entropy), TINY / ENTROPY_FILE)


def test_weights_are_seven_bit_per_column_and_close():
    w = np.random.default_rng(3).normal(size=(64, 16)).astype(np.float32)
    w[:, 5] *= 100  # one large column must not coarsen the others
    q, scale = quantize_weight(w)
    assert q.dtype == np.int8 and np.abs(q).max() == WEIGHT_LEVELS
    assert np.all(np.abs(q.astype(np.float32) * scale - w) <= scale / 2 + 1e-7)
    assert scale[5] > 50 * np.delete(scale, 5).max()


def test_activation_range_covers_the_calibrated_range_and_zero():
    scale, zero = activation_params(0.5, 3.0)  # widened to [0, 3]: zero is a code of its own
    assert zero == 0 and scale == np.float32(3.0 / 255)
    scale, zero = activation_params(-2.0, 2.0)
    zero = int(zero)
    assert zero in (127, 128)
    assert -zero * scale <= -2.0 + scale and (255 - zero) * scale >= 2.0 - scale  # both ends within one step


def test_int8_linear_matches_float_linear_closely_and_rows_do_not_mix():
    torch.manual_seed(0)
    linear = nn.Linear(32, 24, bias=True)
    x = torch.randn(2, 5, 32)
    q = Int8Linear(linear, (float(x.min()), float(x.max())))
    with torch.no_grad():
        exact, approx = linear(x), q(x)
        alone = q(x[1:, 2:3])
    assert (approx - exact).abs().max() < 0.05 * exact.abs().max()
    assert torch.equal(alone[0, 0], approx[1, 2])  # a row's result never depends on the others in its batch


def test_every_weight_product_of_the_graph_is_quantized_and_calibrated_like_the_model():
    model = tiny_entropy_model()
    with ActivationRanges(model) as recorder:
        model(torch.randint(C.BYTE_OFFSET, C.VOCAB_SIZE, (2, 40)))
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert len(recorder.ranges) == len(linears)
    graph, count = quantize_graph(onnx.load(str(TINY / ENTROPY_FILE)), recorder.ranges)
    assert count == len(linears)
    inits = {i.name: numpy_helper.to_array(i) for i in graph.graph.initializer}
    float_weights = [n for n in graph.graph.node if n.op_type == "MatMul" and n.input[1] in inits]
    assert float_weights == []  # every weight now enters through DequantizeLinear
    assert sum(n.op_type == "QuantizeLinear" for n in graph.graph.node) == count
    quantized = quantize_linears(model, recorder.ranges)
    assert sum(isinstance(m, Int8Linear) for m in quantized.modules()) == count
    assert all(weight_key(m.weight.detach().numpy().T) in recorder.ranges for m in linears)


def test_products_kept_in_fp32_stay_float_in_graph_and_model():
    model = tiny_entropy_model()
    with ActivationRanges(model) as recorder:
        model(torch.randint(C.BYTE_OFFSET, C.VOCAB_SIZE, (1, 30)))
    downs = [m for name, m in model.named_modules() if name.endswith("ffn.down")]
    keep = kept_weights(model, ["down"])
    assert len(downs) > 0 and len(keep) == len(downs)
    graph, count = quantize_graph(onnx.load(str(TINY / ENTROPY_FILE)), recorder.ranges, keep)
    assert count == len(recorder.ranges) - len(downs)
    inits = {i.name: numpy_helper.to_array(i) for i in graph.graph.initializer}
    float_weights = {weight_key(inits[n.input[1]]) for n in graph.graph.node if n.op_type == "MatMul" and n.input[1] in inits}
    assert float_weights == keep
    quantized = quantize_linears(model, recorder.ranges, keep)
    assert all(isinstance(m, nn.Linear) for name, m in quantized.named_modules() if name.endswith("ffn.down"))


def test_a_product_that_never_ran_is_refused():
    with pytest.raises(ValueError, match="no calibrated input range"):
        quantize_graph(onnx.load(str(TINY / ENTROPY_FILE)), {})


def test_quantized_folder_is_complete_checksummed_and_keeps_theta():
    manifest = checksummed_manifest(quantized_folder())
    base = json.loads((TINY / "manifest.json").read_text())
    assert manifest["name"] == "blt-tiny-int8"
    assert manifest["patching"] == base["patching"] and manifest["streaming"] == base["streaming"]
    q = manifest["quantization"]
    assert q["base_model_id"] == base["model_id"] and q["integer_matmuls"]["entropy.onnx"] > 0
    assert q["integer_matmuls"]["entropy.onnx"] == q["integer_matmuls"]["entropy_step.onnx"]
    assert q["keep_fp32"] == ["down"]  # the default: see blt_models/quantize.py
    # The validation figures stay close to the fp32 model's: quantization must not change what it predicts.
    assert abs(manifest["metrics"]["validation"]["entropy_model_bits_per_byte"]
               - q["base_validation"]["entropy_model_bits_per_byte"]) < 0.05


def test_fp16_linear_rounds_inputs_weights_and_result_to_half():
    torch.manual_seed(1)
    linear = nn.Linear(16, 8, bias=False)
    x = torch.randn(3, 16)
    with torch.no_grad():
        y = Fp16Linear(linear)(x)
        exact = linear(x)
    assert torch.equal(y, y.half().float())  # every value is a half
    assert (y - exact).abs().max() < 1e-2 * exact.abs().max()


def test_fp16_graph_runs_every_weight_product_in_half_and_keeps_the_rest():
    graph, count = half_graph(onnx.load(str(TINY / ENTROPY_FILE)))
    inits = {i.name: i for i in graph.graph.initializer}
    products = [n for n in graph.graph.node if n.op_type == "MatMul" and n.input[1] in inits]
    assert count == len(products) == sum(isinstance(m, nn.Linear) for m in tiny_entropy_model().modules())
    assert all(inits[n.input[1]].data_type == onnx.TensorProto.FLOAT16 for n in products)


def test_fp16_folder_is_complete_and_close_to_fp32():
    folder = quantized_folder("fp16")
    manifest = checksummed_manifest(folder)
    assert manifest["name"] == "blt-tiny-fp16"
    q = manifest["quantization"]
    assert q["fp16_matmuls"]["entropy.onnx"] > 0 and "--to fp16" in q["command"]
    assert abs(manifest["metrics"]["validation"]["entropy_model_bits_per_byte"]
               - q["base_validation"]["entropy_model_bits_per_byte"]) < 0.01
