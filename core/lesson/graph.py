"""An autograd graph as plain data, and as the DOT text the page draws (``st.graphviz_chart``).

The engine reads the graph from torch (``core.run.graph``) into these records, so that it crosses
a process boundary pickled, is compared by value, and is read back by ``core.words.graph_reading``
without any text being parsed. Edges point the way the gradient flows in ``backward()``, from the
tensor at the top down to the leaves.
"""

from __future__ import annotations

from dataclasses import dataclass

ROOT_STYLE = 'shape=ellipse, style=filled, fillcolor="#cfe2f3"'
NODE_STYLE = "shape=box, style=rounded"
LEAF_STYLE = 'shape=box, style=filled, fillcolor="#d9ead3"'  # light green: where .grad ends up
ACCUMULATE = "AccumulateGrad"  # the node that writes a leaf's .grad


@dataclass(frozen=True)
class GraphNode:
    """One node of the graph, named as torch names it; an AccumulateGrad with the leaf it fills."""

    kind: str  # torch's class name: "SqrtBackward0", "AccumulateGrad", ...
    leaf: str | None = None  # for an AccumulateGrad, the leaf's name ("m", "b", or "tensor" when unnamed)

    def label(self) -> str:
        """The node's words in the drawing: an AccumulateGrad is shown as the leaf it accumulates into."""
        return self.kind if self.leaf is None else f"leaf {self.leaf}\n{self.kind}"


@dataclass(frozen=True)
class AutogradGraph:
    """The graph behind a tensor: its nodes from the tensor's ``grad_fn`` on, and the edges between them."""

    tensor: str  # what the tensor at the top is called: "loss", "m after the update"
    nodes: tuple[GraphNode, ...] = ()  # breadth-first, each once; nodes[0] is the tensor's grad_fn
    edges: tuple[tuple[int, int], ...] = ()  # (parent, child) by place in ``nodes``, one per use
    untracked: str = ""  # why a tensor without a grad_fn has none: "a leaf" or "requires_grad=False"

    def children(self) -> dict[int, list[int]]:
        """Each node's children by place, in the order of the edges."""
        children: dict[int, list[int]] = {}
        for parent, child in self.edges:
            children.setdefault(parent, []).append(child)
        return children

    def dot(self) -> str:
        """The graph as DOT text: the tensor ``t`` at the top, then the nodes ``n0``, ``n1``, ... and the edges."""
        lines = ["digraph autograd {", '    node [fontname="Helvetica", fontsize=11];']
        if not self.nodes:
            # A leaf, or a tensor autograd does not track: no graph behind it, just the tensor.
            text = f"{self.tensor}\n(no grad_fn: {self.untracked})"
            return "\n".join([*lines, f"    t [label={_quoted(text)}, {ROOT_STYLE}];", "}"]) + "\n"
        lines.append(f"    t [label={_quoted(self.tensor)}, {ROOT_STYLE}];")
        for place, node in enumerate(self.nodes):
            style = NODE_STYLE if node.leaf is None else LEAF_STYLE
            lines.append(f"    n{place} [label={_quoted(node.label())}, {style}];")
        lines.append("    t -> n0;")
        lines += [f"    n{parent} -> n{child};" for parent, child in self.edges]
        lines.append("}")
        return "\n".join(lines) + "\n"


def _quoted(text: str) -> str:
    """A DOT string literal; a newline in ``text`` becomes a line break in the label."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'
