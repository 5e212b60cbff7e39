"""Read a model's PyTorch weights back out of its exported ONNX graph, so a shipped model folder is
all that fine-tuning needs (adapt.py): no second copy of the weights is shipped.

torch.onnx.export keeps a parameter's name when the graph uses it as it is (embeddings, norms) and
stores a Linear weight transposed under a generated name (constant folding turns x @ W.T into
MatMul(x, W_T)). The MatMul node that uses it is named after the module, for example
/model/blocks.0/attn/qkv/MatMul, which names the parameter: blocks.0.attn.qkv.weight. (When the
wrapper calls a method of the model other than forward, the tracer leaves out the /model scope:
/blocks.0/attn/qkv/MatMul.)
"""
from pathlib import Path
from typing import Dict

import numpy as np
import onnx
import torch
from onnx import numpy_helper

WRAPPER_PREFIX = "model."  # the export wrappers hold the model as .model


def module_of_matmul(node_name: str) -> str:
    """The model's module name for an exported MatMul node: /model/blocks.0/attn/qkv/MatMul -> blocks.0.attn.qkv."""
    scope = node_name[len("/model/"):] if node_name.startswith("/model/") else node_name[1:]
    return scope.rsplit("/", 1)[0].replace("/", ".")


def state_dict_from_onnx(path: Path, expected: Dict[str, torch.Size]) -> Dict[str, torch.Tensor]:
    """Parameters named in expected (name -> shape), from the graph at path."""
    graph = onnx.load(str(path)).graph
    arrays = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    state = {}
    for name, array in arrays.items():
        if name.startswith(WRAPPER_PREFIX) and name[len(WRAPPER_PREFIX):] in expected:
            state[name[len(WRAPPER_PREFIX):]] = torch.from_numpy(np.array(array))
    for node in graph.node:
        if node.op_type == "Identity" and node.input[0] in arrays and node.output[0].startswith(WRAPPER_PREFIX):
            # Export merges parameters of equal value (for example norms still at 1) into one
            # initializer; the others become Identity nodes whose output keeps their name.
            state[node.output[0][len(WRAPPER_PREFIX):]] = torch.from_numpy(np.array(arrays[node.input[0]]))
        elif node.op_type == "MatMul" and node.name.startswith("/"):
            key = module_of_matmul(node.name) + ".weight"
            for name in node.input:
                if name in arrays and not name.startswith(WRAPPER_PREFIX) and key in expected:
                    state[key] = torch.from_numpy(np.array(arrays[name]).T.copy())
    return {k: v for k, v in state.items() if k in expected}


def load_from_onnx(model: torch.nn.Module, path: Path) -> torch.nn.Module:
    """Loads the graph's weights into model (strict: every parameter must be found)."""
    expected = {k: v.shape for k, v in model.state_dict().items()}
    model.load_state_dict(state_dict_from_onnx(path, expected), strict=True)
    return model.eval()
