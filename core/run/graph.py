"""The autograd graph behind a tensor, as DOT text: what ``backward()`` walks, node by node.

The graph is read from torch itself: ``tensor.grad_fn`` and each node's ``next_functions``,
nodes named as torch names them (``SqrtBackward0``, ``AccumulateGrad``, ...). Edges point the
way the gradient flows in ``backward()``, from the tensor at the top down to the leaves. The
result is plain text: the page draws it in the browser (``st.graphviz_chart``), so nothing from
graphviz is needed here.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch

ROOT_STYLE = 'shape=ellipse, style=filled, fillcolor="#cfe2f3"'
NODE_STYLE = "shape=box, style=rounded"
LEAF_STYLE = 'shape=box, style=filled, fillcolor="#d9ead3"'  # light green: where .grad ends up


def _quoted(text: str) -> str:
    """A DOT string literal; a newline in ``text`` becomes a line break in the label."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _node_label(node, names: Mapping[int, str]) -> tuple[str, str]:
    """A node's label and style: an AccumulateGrad is shown as the leaf it accumulates into."""
    kind = type(node).__name__
    if kind == "AccumulateGrad":
        leaf = names.get(id(node.variable), "tensor")
        return f"leaf {leaf}\n{kind}", LEAF_STYLE
    return kind, NODE_STYLE


def _walk(root) -> tuple[list, list[tuple[int, int]]]:
    """Every node reachable from ``root`` (each once, in discovery order) and the edges between them."""
    order, index, edges = [root], {id(root): 0}, []
    for node in order:  # grows while it is walked: a breadth-first walk
        for child, _ in node.next_functions:
            if child is None:  # an input that needs no gradient (x, y, m.grad)
                continue
            if id(child) not in index:  # nodes stay referenced in `order`, so ids are not reused
                index[id(child)] = len(order)
                order.append(child)
            edges.append((index[id(node)], index[id(child)]))
    return order, edges


def graph_dot(tensor: torch.Tensor, names: Mapping[int, str] | None = None, label: str = "loss") -> str:
    """DOT text of the autograd graph behind ``tensor``; ``names`` maps id(leaf tensor) to its name."""
    names = names or {}
    lines = ["digraph autograd {", '    node [fontname="Helvetica", fontsize=11];']
    if tensor.grad_fn is None:
        # A leaf, or a tensor autograd does not track: no graph behind it, just the tensor.
        what = "a leaf" if tensor.requires_grad else "requires_grad=False"
        text = f"{label}\n(no grad_fn: {what})"
        lines += [f"    t [label={_quoted(text)}, {ROOT_STYLE}];", "}"]
        return "\n".join(lines) + "\n"
    nodes, edges = _walk(tensor.grad_fn)
    lines.append(f"    t [label={_quoted(label)}, {ROOT_STYLE}];")
    for number, node in enumerate(nodes):
        text, style = _node_label(node, names)
        lines.append(f"    n{number} [label={_quoted(text)}, {style}];")
    lines.append("    t -> n0;")
    lines += [f"    n{parent} -> n{child};" for parent, child in edges]
    lines.append("}")
    return "\n".join(lines) + "\n"
