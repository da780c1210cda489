"""The autograd graph behind a tensor, as torch built it: what ``backward()`` walks, node by node.

The graph is read from torch itself: ``tensor.grad_fn`` and each node's ``next_functions``,
nodes named as torch names them (``SqrtBackward0``, ``AccumulateGrad``, ...). Edges point the
way the gradient flows in ``backward()``, from the tensor at the top down to the leaves. The
result is plain data (``core.lesson.graph``), which renders itself as the DOT text the page
draws in the browser, so nothing from graphviz is needed here.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch

from core.lesson.graph import ACCUMULATE, AutogradGraph, GraphNode


def _node(node, names: Mapping[int, str]) -> GraphNode:
    """A torch node as data: an AccumulateGrad with the name of the leaf it accumulates into."""
    kind = type(node).__name__
    if kind == ACCUMULATE:
        return GraphNode(kind, leaf=names.get(id(node.variable), "tensor"))
    return GraphNode(kind)


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


def autograd_graph(tensor: torch.Tensor, names: Mapping[int, str] | None = None, label: str = "loss") -> AutogradGraph:
    """The autograd graph behind ``tensor``; ``names`` maps id(leaf tensor) to its name."""
    names = names or {}
    if tensor.grad_fn is None:
        # A leaf, or a tensor autograd does not track: no graph behind it, just the tensor.
        return AutogradGraph(label, untracked="a leaf" if tensor.requires_grad else "requires_grad=False")
    nodes, edges = _walk(tensor.grad_fn)
    return AutogradGraph(label, tuple(_node(node, names) for node in nodes), tuple(edges))
