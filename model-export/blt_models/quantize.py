"""int8 and fp16 variants of the exported graphs, and the same arithmetic in PyTorch for their fixtures.

Every matrix product with a trained weight (each nn.Linear: attention projections, feed-forward,
heads) becomes an integer product; attention scores, norms and softmax stay fp32. The graph says it
in ONNX's QDQ form (QuantizeLinear -> DequantizeLinear around each MatMul input), which ONNX
Runtime fuses into one integer kernel on the CPU and any runtime can read.

- Weights: int8 per output column, symmetric, 7 bits ([-63, 63]). Seven, not eight, because x86
  CPUs without AVX-512 VNNI (this project's 2-core AMD EPYC among them) multiply uint8 by int8 with
  `vpmaddubsw`, which adds two products into a saturating int16: 255 * 63 * 2 fits, 255 * 127 * 2
  does not. (ONNX Runtime's quantizer calls this `reduce_range`.)
- Activations: uint8 with a fixed scale and zero point per product, calibrated on training bytes
  (`ActivationRanges`: the range each product's input took). Fixed, not computed per call as
  `DynamicQuantizeLinear` does: a per-call scale makes a row's result depend on the other rows of
  its batch, and the job's output must not depend on how bytes were batched (chunking invariance).
  A scale per row would keep rows apart too, but the ops that compute it cost more than int8 saves
  on this CPU (measured: bench/README.md).
- Kept fp32 by default: the feed-forward `down` products. Their input (SiLU(gate) * up) has the
  widest range of any product, so one fixed scale leaves most of its values a few codes wide: on
  the logs validation set, quantizing them too moved the entropy by 0.09 nats on average and left
  83% of patch boundaries in place, against 0.03 and 93% with them in fp32.

The integer sums are exact in float32 too (|q - zero point| <= 255, |w| <= 63, at most 1,024
terms: below 2^24), so `Int8Linear` reproduces the integer product bit for bit; only the float steps
around it differ by rounding, as fp32 graphs do from PyTorch.
"""
import copy
import hashlib
from typing import Callable, Dict, Iterable, Set, Tuple

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper
from torch import nn

WEIGHT_LEVELS = 63  # 7-bit symmetric weights (see the module doc)

SCHEME = {
    "weights": "int8 per output column, symmetric, 7 bits ([-63, 63]; reduce_range for AVX2 without VNNI)",
    "activations": "uint8, one fixed scale and zero point per matrix product, from the range its input took on "
                   "calibration bytes of the training corpus",
    "graph": "QDQ: QuantizeLinear -> DequantizeLinear before each MatMul with a weight (ONNX Runtime fuses them)",
    "kept_fp32": "embeddings, norms, attention scores and softmax, rotary positions, and the products named in "
                 "keep_fp32",
}


def weight_key(w_kn: np.ndarray) -> str:
    """Names a weight by its values ([K, N] as the graph's MatMul takes it), so a graph's MatMul and the
    model's nn.Linear meet even where the exporter's node names do not say which module it was."""
    return hashlib.sha256(np.ascontiguousarray(w_kn, dtype=np.float32).tobytes()).hexdigest()[:16]


def quantize_weight(w: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """[K, N] fp32 weight -> (int8 [K, N], fp32 scale [N])."""
    w = np.asarray(w, dtype=np.float32)
    amax = np.abs(w).max(axis=0)
    scale = np.where(amax > 0, amax / np.float32(WEIGHT_LEVELS), np.float32(1)).astype(np.float32)
    q = np.clip(np.rint(w / scale), -WEIGHT_LEVELS, WEIGHT_LEVELS).astype(np.int8)
    return q, scale


def activation_params(lo: float, hi: float) -> Tuple[np.float32, np.uint8]:
    """uint8 scale and zero point covering [lo, hi] (widened to hold 0, which must be exact)."""
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    scale = np.float32((hi - lo) / 255.0) if hi > lo else np.float32(1.0)
    zero_point = np.uint8(np.clip(np.rint(-lo / scale), 0, 255))
    return scale, zero_point


class ActivationRanges:
    """Records the range of every nn.Linear's input while a model runs (forward pre-hooks)."""

    def __init__(self, *models: nn.Module):
        self.ranges: Dict[str, Tuple[float, float]] = {}
        self._hooks = []
        for model in models:
            for module in model.modules():
                if isinstance(module, nn.Linear):
                    key = weight_key(module.weight.detach().numpy().T)
                    self._hooks.append(module.register_forward_pre_hook(self._recorder(key)))

    def _recorder(self, key):
        def record(_module, inputs):
            x = inputs[0].detach()
            lo, hi = self.ranges.get(key, (0.0, 0.0))
            self.ranges[key] = (min(lo, float(x.min())), max(hi, float(x.max())))
        return record

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for hook in self._hooks:
            hook.remove()


class Int8Linear(nn.Module):
    """nn.Linear computed as the int8 graph computes it (inference only)."""

    def __init__(self, linear: nn.Linear, activation_range: Tuple[float, float]):
        super().__init__()
        q, scale = quantize_weight(linear.weight.detach().numpy().T)
        a_scale, a_zero = activation_params(*activation_range)
        self.register_buffer("weight_q", torch.from_numpy(q.astype(np.float32)))  # [K, N], integer values
        self.register_buffer("scale", torch.from_numpy(scale * a_scale))  # [N]: weight scale * input scale
        self.a_scale, self.a_zero = float(a_scale), float(a_zero)
        self.bias = None if linear.bias is None else nn.Parameter(linear.bias.detach().clone(), requires_grad=False)

    def forward(self, x):
        q = torch.clamp(torch.round(x / self.a_scale) + self.a_zero, 0, 255) - self.a_zero
        y = torch.matmul(q, self.weight_q) * self.scale
        return y if self.bias is None else y + self.bias


def kept_weights(model: nn.Module, keep_fp32: Iterable[str]) -> Set[str]:
    """weight_key of every nn.Linear whose own name (the last part of its path) is in keep_fp32."""
    keep = set(keep_fp32)
    return {weight_key(m.weight.detach().numpy().T) for name, m in model.named_modules()
            if isinstance(m, nn.Linear) and name.rsplit(".", 1)[-1] in keep}


def _replace_linears(model: nn.Module, make: Callable) -> nn.Module:
    """A copy of model with each nn.Linear replaced by make(linear), where that is not None."""
    model = copy.deepcopy(model)
    for module in list(model.modules()):
        for child_name, child in list(module.named_children()):
            replacement = make(child) if isinstance(child, nn.Linear) else None
            if replacement is not None:
                setattr(module, child_name, replacement)
    return model.eval()


def quantize_linears(model: nn.Module, ranges: Dict[str, Tuple[float, float]], keep: Set[str] = frozenset()) -> nn.Module:
    """A copy of model with every nn.Linear replaced by its Int8Linear (ranges: ActivationRanges.ranges),
    except those whose weight_key is in keep."""

    def make(linear):
        key = weight_key(linear.weight.detach().numpy().T)
        if key in keep:
            return None
        if key not in ranges:
            raise ValueError("no calibrated input range for a Linear that never ran during calibration")
        return Int8Linear(linear, ranges[key])

    return _replace_linears(model, make)


def _rewrite_weight_products(model: onnx.ModelProto, rewrite: Callable) -> Tuple[onnx.ModelProto, int]:
    """Calls rewrite(node, weight [K, N], name prefix) for each MatMul by a 2-D fp32 weight initializer;
    it returns (new initializers, new nodes) or None to leave the node as it is. Weights no node uses
    any more are dropped. Returns (checked graph, count rewritten)."""
    model = copy.deepcopy(model)
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    nodes, added, replaced_weights, count = [], [], set(), 0
    for node in graph.node:
        weight = inits.get(node.input[1]) if node.op_type == "MatMul" else None
        done = None
        if weight is not None and len(weight.dims) == 2 and weight.data_type == TensorProto.FLOAT:
            done = rewrite(node, numpy_helper.to_array(weight), str(count))
        if done is None:
            nodes.append(node)
            continue
        added += done[0]
        nodes += done[1]
        replaced_weights.add(weight.name)
        count += 1
    still_used = {i for n in nodes for i in n.input}
    kept = [i for i in graph.initializer if i.name not in replaced_weights or i.name in still_used]
    del graph.initializer[:]
    graph.initializer.extend(kept + added)
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.checker.check_model(model, full_check=True)
    return model, count


def quantize_graph(model: onnx.ModelProto, ranges: Dict[str, Tuple[float, float]],
                   keep: Set[str] = frozenset()) -> Tuple[onnx.ModelProto, int]:
    """The graph with each MatMul by a 2-D weight initializer in QDQ form, except weights whose
    weight_key is in keep; returns (graph, count of products made integer)."""

    def rewrite(node, w, prefix):
        key = weight_key(w)
        if key in keep:
            return None
        if key not in ranges:
            raise ValueError(f"no calibrated input range for the weight of {node.name}")
        p = "q8/" + prefix
        q, w_scale = quantize_weight(w)
        a_scale, a_zero = activation_params(*ranges[key])
        initializers = [numpy_helper.from_array(q, p + "/w"), numpy_helper.from_array(w_scale, p + "/w_scale"),
                        numpy_helper.from_array(np.zeros(q.shape[1], np.int8), p + "/w_zero"),
                        numpy_helper.from_array(np.array(a_scale), p + "/a_scale"),
                        numpy_helper.from_array(np.array(a_zero), p + "/a_zero")]
        return initializers, [
            helper.make_node("QuantizeLinear", [node.input[0], p + "/a_scale", p + "/a_zero"], [p + "/a_q"]),
            helper.make_node("DequantizeLinear", [p + "/a_q", p + "/a_scale", p + "/a_zero"], [p + "/a"]),
            helper.make_node("DequantizeLinear", [p + "/w", p + "/w_scale", p + "/w_zero"], [p + "/w_dq"], axis=1),
            helper.make_node("MatMul", [p + "/a", p + "/w_dq"], list(node.output), name=node.name),
        ]

    return _rewrite_weight_products(model, rewrite)

# ---------------------------------------------------------------------------------------------------
# fp16: the same products in half precision, for GPUs (tensor cores); nothing to calibrate
# ---------------------------------------------------------------------------------------------------

FP16_SCHEME = {
    "weights": "fp16",
    "activations": "cast to fp16 before each product with a weight, the product cast back to fp32",
    "kept_fp32": "embeddings, norms, attention scores and softmax, rotary positions; everything between products",
}


class Fp16Linear(nn.Module):
    """nn.Linear computed as the fp16 graph computes it: fp16 inputs and weights, an fp16 result."""

    def __init__(self, linear: nn.Linear):
        super().__init__()
        self.register_buffer("weight_h", linear.weight.detach().T.half().float().contiguous())  # [K, N], fp16 values
        self.bias = None if linear.bias is None else nn.Parameter(linear.bias.detach().clone(), requires_grad=False)

    def forward(self, x):
        y = torch.matmul(x.half().float(), self.weight_h).half().float()
        return y if self.bias is None else y + self.bias


def half_linears(model: nn.Module) -> nn.Module:
    """A copy of model with every nn.Linear replaced by its Fp16Linear."""
    return _replace_linears(model, Fp16Linear)


def half_graph(model: onnx.ModelProto) -> Tuple[onnx.ModelProto, int]:
    """The graph with each MatMul by a 2-D weight initializer run in fp16; returns (graph, count)."""

    def rewrite(node, w, prefix):
        p = "f16/" + prefix
        return [numpy_helper.from_array(w.astype(np.float16), p + "/w")], [
            helper.make_node("Cast", [node.input[0]], [p + "/a"], to=TensorProto.FLOAT16),
            helper.make_node("MatMul", [p + "/a", p + "/w"], [p + "/y"], name=node.name),
            helper.make_node("Cast", [p + "/y"], list(node.output), to=TensorProto.FLOAT),
        ]

    return _rewrite_weight_products(model, rewrite)
