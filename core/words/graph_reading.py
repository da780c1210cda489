"""What a recorded autograd graph says, in words: read from its nodes and edges, never assumed.

The engine records the graph behind the loss (``core.run.graph.autograd_graph``) at a few iterations.
Its leaves are named after the run's starting tensors ("leaf m"), so a graph that reaches a
starting leaf through operations of earlier updates shows it: the ``m`` the loop uses is no
longer that leaf, and ``backward()`` fills the leaf's ``.grad`` instead of ``m.grad``.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.lesson.graph import AutogradGraph
from core.lesson.results import GraphSnapshot, RunResult

FORWARD_PRODUCT = "MulBackward0"  # the forward pass's m*x: below it, the path to m's leaf


def path_to_leaf(graph: AutogradGraph, leaf: str = "m") -> list[str] | None:
    """The operations from the graph's root down to the starting leaf ``leaf`` (None if it is not in the graph)."""
    target = next((place for place, node in enumerate(graph.nodes) if node.leaf == leaf), None)
    if target is None:
        return None
    children = graph.children()

    def walk(node: int, seen: frozenset[int]) -> list[int] | None:
        """The places from ``node`` down to the target, ``node`` first; None when no path avoids ``seen``."""
        if node == target:
            return [node]
        for child in children.get(node, []):
            if child not in seen and (rest := walk(child, seen | {child})) is not None:
                return [node, *rest]
        return None

    path = walk(0, frozenset({0}))  # from the tensor's grad_fn, the graph's root
    return None if path is None else [graph.nodes[place].kind for place in path[:-1]]  # the leaf's box left out


def reaches_back(result: RunResult, iteration: int, leaf: str = "m") -> str | None:
    """A sentence on how the loss graph of ``iteration`` reaches the starting leaf ``leaf``; None without one.

    What it says of the tensor itself (a leaf or not, its ``.grad``) comes from the facts the run
    recorded after that iteration's ``backward()``.
    """
    loss = next((g for g in result.graphs if g.iteration == iteration and g.what == "loss"), None)
    path = None if loss is None else path_to_leaf(loss.graph, leaf)
    if path is None or FORWARD_PRODUCT not in path:
        return None
    earlier = path[path.index(FORWARD_PRODUCT) + 1 :]
    if not earlier:
        return (
            f"Iteration {iteration:,}'s graph goes from the loss through this iteration's forward pass straight to "
            f"the leaf `{leaf}`: nothing from an earlier iteration is in it."
        )
    operations = ", ".join(f"`{op}`" for op in earlier)
    sentence = (
        f"Iteration {iteration:,}'s graph reaches back past this iteration's `{leaf}*x`, through {operations} "
        f"recorded by an earlier update, to the starting leaf `{leaf}`."
    )
    facts = next((f for f in result.facts if f.iteration == iteration and f.moment == "before update"), None)
    if facts is not None and not getattr(facts, leaf).is_leaf:
        param = getattr(facts, leaf)
        grad = "`None`" if param.grad_is_none else f"{param.grad:.4g}"
        sentence += (
            f" The `{leaf}` this iteration uses is not a leaf but that update's result (`grad_fn` "
            f"`{param.grad_fn}`), and after `backward()` its `.grad` was {grad}."
        )
    return sentence


def sameness(graphs: Sequence[GraphSnapshot]) -> str:
    """Whether the recorded loss graphs are the same at every recorded iteration, in one sentence."""
    losses = [g for g in graphs if g.what == "loss"]
    if len(losses) < 2:
        return ""
    if all(g.graph == losses[0].graph for g in losses):
        return "All of them are the same graph: each iteration builds it afresh from the same leaves."
    changed = next(g for g in losses if g.graph != losses[0].graph)
    return f"They are not all the same: iteration {changed.iteration:,}'s differs from iteration 0's."
