"""Load the weights of a published ONNX graph into the matching native PyTorch model.

The graph is not translated: the PyTorch model is built from its config (backbone / neck /
head), and only the parameters are taken from the file. Both sides are reduced to the same
sequence of *parameter groups* in execution order - a conv's weight and bias, a batch-norm's
four tensors, a linear layer's weight and bias, a layer norm's scale and shift - and paired
one by one:

* ONNX side: the graph's nodes in their (topological) order. Exporters split some layers up,
  so a conv's bias may be a following ``Add`` of a constant, a linear layer is a ``MatMul`` (+
  ``Add``), a layer norm is ``ReduceMean ... Div, Mul(scale), Add(shift)``.
* PyTorch side: the leaf modules that own parameters, in the order one eval-mode forward pass
  calls them (recorded with forward hooks), so branches that inference never runs (the DB
  threshold branch) keep their own initialisation.

Any difference in count, kind or shape is an error naming the first mismatching layers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from lumenocr.errors import ModelError


def _affine_type() -> type[nn.Module]:
    from lumenocr.models.pplcnet_v3 import LearnableAffine

    return LearnableAffine


_KINDS: tuple[tuple[type[nn.Module], str], ...] = (
    (nn.ConvTranspose2d, "conv_transpose"),
    (nn.Conv2d, "conv"),
    (nn.BatchNorm2d, "batch_norm"),
    (nn.Linear, "linear"),
    (nn.LayerNorm, "layer_norm"),
)


@dataclass
class ParamGroup:
    """One layer's parameters, in PyTorch layout (``weight``, ``bias`` / BN's four tensors)."""

    kind: str
    where: str  # ONNX node name or PyTorch module path
    tensors: dict[str, np.ndarray]

    def describe(self) -> str:
        shapes = ", ".join(f"{k} {list(v.shape)}" for k, v in self.tensors.items())
        return f"{self.where} ({self.kind}: {shapes})"


def read_onnx_groups(path: str | Path) -> list[ParamGroup]:
    """The parameter groups of the ONNX graph at ``path``, in node order."""
    import onnx
    from onnx import numpy_helper

    try:
        model = onnx.load(str(path))
    except Exception as e:  # onnx raises DecodeError, OSError, ...
        raise ModelError(f"{path}: cannot read ONNX model ({type(e).__name__}: {e})") from None
    graph = model.graph
    consts: dict[str, np.ndarray] = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    alias: dict[str, str] = {}
    consumers: dict[str, list] = {}
    for node in graph.node:
        if node.op_type == "Constant" and node.attribute and node.attribute[0].name == "value":
            consts[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
        elif node.op_type in ("Identity", "Cast") and node.input:
            alias[node.output[0]] = node.input[0]
        elif node.op_type in ("Reshape", "Unsqueeze", "Squeeze") and real_in(node.input[0], alias) in consts:
            # exporters reshape a bias constant to (1, C, 1, 1) in the graph: fold it
            consts[node.output[0]] = consts[real_in(node.input[0], alias)]

    def real(name: str) -> str:
        while name in alias:
            name = alias[name]
        return name

    def const(name: str) -> np.ndarray | None:
        return consts.get(real(name))

    for node in graph.node:
        for i in node.input:
            consumers.setdefault(real(i), []).append(node)
    producer = {real(o): n for n in graph.node for o in n.output}

    def following_bias(output: str, size: int) -> np.ndarray | None:
        for nxt in consumers.get(real(output), []):
            if nxt.op_type != "Add":
                continue
            for i in nxt.input:
                c = const(i)
                if c is not None and c.size == size and c.size > 0 and real(i) != real(output):
                    return c.reshape(size).astype(np.float32)
        return None

    groups: list[ParamGroup] = []
    for node in graph.node:
        op = node.op_type
        name = node.name or (node.output[0] if node.output else op)
        if op in ("Conv", "ConvTranspose"):
            w = const(node.input[1])
            if w is None:
                raise ModelError(
                    f"{path}: {op} node {name} has a computed weight; not a plain published model"
                )
            cout = w.shape[0] if op == "Conv" else w.shape[1] * _group(node)
            b = (
                const(node.input[2])
                if len(node.input) > 2 and node.input[2]
                else following_bias(node.output[0], cout)
            )
            t = {"weight": w.astype(np.float32)}
            if b is not None:
                t["bias"] = b.reshape(-1).astype(np.float32)
            groups.append(ParamGroup("conv" if op == "Conv" else "conv_transpose", name, t))
        elif op == "BatchNormalization":
            scale, bias, mean, var = (const(i) for i in node.input[1:5])
            groups.append(
                ParamGroup(
                    "batch_norm",
                    name,
                    {"weight": scale, "bias": bias, "running_mean": mean, "running_var": var},  # type: ignore[dict-item]
                )
            )
        elif op in ("MatMul", "Gemm"):
            w = const(node.input[1])
            if w is None or w.ndim != 2:
                continue  # attention's q @ k: no parameters
            trans_b = any(a.name == "transB" and a.i for a in node.attribute)
            weight = w if trans_b else w.T
            b = const(node.input[2]) if op == "Gemm" and len(node.input) > 2 else None
            if b is None:
                b = following_bias(node.output[0], weight.shape[0])
            t = {"weight": np.ascontiguousarray(weight, dtype=np.float32)}
            if b is not None:
                t["bias"] = b
            groups.append(ParamGroup("linear", name, t))
        elif op == "LayerNormalization":
            ln: dict[str, np.ndarray] = {}
            for key, i in zip(("weight", "bias"), node.input[1:3], strict=False):
                value = const(i)
                if value is not None:
                    ln[key] = value
            groups.append(ParamGroup("layer_norm", name, ln))
        elif op == "Mul" and _scalar_affine(node, const, consumers, real) is not None:
            scale, shift = _scalar_affine(node, const, consumers, real)
            groups.append(ParamGroup("affine", name, {"scale": scale, "bias": shift}))
        elif op == "Mul":
            # a decomposed layer norm: (x - mean) / sqrt(var + eps) * scale + shift
            src = [producer.get(real(i)) for i in node.input]
            scale = next((const(i) for i in node.input if const(i) is not None), None)
            if (
                scale is None
                or scale.ndim != 1
                or scale.size < 2
                or not any(s is not None and s.op_type == "Div" for s in src)
            ):
                continue
            t = {"weight": scale.astype(np.float32)}
            shift = following_bias(node.output[0], scale.size)
            if shift is not None:
                t["bias"] = shift
            groups.append(ParamGroup("layer_norm", name, t))
    return groups


def _scalar_affine(node, const, consumers, real):
    """``scale * x + shift`` with scalar constants (PP-LCNetV3's learnable affine), or None."""
    scale = next((const(i) for i in node.input if const(i) is not None), None)
    if scale is None or scale.size != 1:
        return None
    nxt = consumers.get(real(node.output[0]), [])
    if len(nxt) != 1 or nxt[0].op_type != "Add":
        return None
    shift = next((const(i) for i in nxt[0].input if const(i) is not None), None)
    if shift is None or shift.size != 1:
        return None
    return scale.reshape(1).astype(np.float32), shift.reshape(1).astype(np.float32)


def real_in(name: str, alias: dict[str, str]) -> str:
    while name in alias:
        name = alias[name]
    return name


def _group(node) -> int:
    return next((a.i for a in node.attribute if a.name == "group"), 1)


def torch_groups(model: nn.Module, sample: torch.Tensor) -> list[tuple[ParamGroup, nn.Module]]:
    """The model's parameter groups in the order an eval-mode forward pass on ``sample`` uses them."""
    order: list[tuple[str, nn.Module]] = []
    seen: set[int] = set()
    names = {id(m): n for n, m in model.named_modules()}
    hooks = []

    def hook(module: nn.Module, _inp, _out) -> None:
        if id(module) not in seen:
            seen.add(id(module))
            order.append((names[id(module)], module))

    for module in model.modules():
        if _kind(module):
            hooks.append(module.register_forward_hook(hook))
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(sample)
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    out = []
    for name, module in order:
        tensors = {k: v.detach().numpy() for k, v in module.named_parameters(recurse=False)}
        if isinstance(module, nn.BatchNorm2d):
            tensors["running_mean"] = module.running_mean.numpy()  # type: ignore[union-attr]
            tensors["running_var"] = module.running_var.numpy()  # type: ignore[union-attr]
        out.append((ParamGroup(_kind(module) or "", name, tensors), module))
    return out


def _kind(module: nn.Module) -> str | None:
    if isinstance(module, _affine_type()):
        return "affine"
    for cls, kind in _KINDS:
        if isinstance(module, cls):
            return kind
    return None


def first_mismatch(onnx_groups: list[ParamGroup], torch_side: list[ParamGroup]) -> str | None:
    """A sentence naming the first pair of layers that do not fit, or None when all fit."""
    onnx_groups = comparable(onnx_groups, torch_side)
    for i, (a, b) in enumerate(zip(onnx_groups, torch_side, strict=False)):
        same = a.kind == b.kind and set(a.tensors) == set(b.tensors)
        same = same and all(a.tensors[k].shape == b.tensors[k].shape for k in a.tensors)
        if not same:
            return f"layer {i}: model {b.describe()} vs file {a.describe()}"
    if len(onnx_groups) != len(torch_side):
        return (
            f"the file has {len(onnx_groups)} parameter layers, the model {len(torch_side)} "
            f"(first unpaired: {(onnx_groups + torch_side)[min(len(onnx_groups), len(torch_side))].describe()})"
        )
    return None


def comparable(onnx_groups: list[ParamGroup], torch_side: list[ParamGroup]) -> list[ParamGroup]:
    """Scalar ``x * a + b`` pairs are parameters only in models that have learnable affines
    (PP-LCNetV3); elsewhere the same pattern is a constant (e.g. attention's ``q * scale + 0``)."""
    if any(g.kind == "affine" for g in torch_side):
        return onnx_groups
    return [g for g in onnx_groups if g.kind != "affine"]


def load_onnx_weights(model: nn.Module, path: str | Path, sample: torch.Tensor) -> int:
    """Copy the weights of the ONNX file into ``model``; returns the number of layers loaded."""
    groups = read_onnx_groups(path)
    pairs = torch_groups(model, sample)
    problem = first_mismatch(groups, [p for p, _ in pairs])
    if problem:
        raise ModelError(f"{path}: the model does not fit the file's weights: {problem}")
    groups = comparable(groups, [p for p, _ in pairs])
    with torch.no_grad():
        for g, (_, module) in zip(groups, pairs, strict=True):
            for key, value in g.tensors.items():
                target = getattr(module, key)
                target.copy_(torch.from_numpy(np.array(value, dtype=np.float32)).to(target.dtype))
    return len(groups)
