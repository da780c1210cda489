"""The autograd graph, as torch builds it, recorded by the engine as data and drawn as DOT text."""

from __future__ import annotations

import re

import torch

from core.lesson.drafts import DRAFTS, SOLUTION
from core.run import engine
from core.run.graph import autograd_graph
from core.words import graph_reading

NODE = re.compile(r'^\s*(\w+) \[label="((?:[^"\\]|\\.)*)"(.*)\];$')
EDGE = re.compile(r"^\s*(\w+) -> (\w+);$")


def parse(dot: str) -> tuple[dict[str, str], list[tuple[str, str]], dict[str, str]]:
    """Check the DOT is well formed and return its nodes (id -> label), edges and node styles."""
    assert dot.count("{") == dot.count("}") == 1
    lines = dot.strip().splitlines()
    assert lines[0] == "digraph autograd {" and lines[-1] == "}"
    labels, styles, edges = {}, {}, []
    for line in lines[1:-1]:
        if line.strip().startswith("node ["):
            continue
        if node := NODE.match(line):
            assert node[1] not in labels, f"node {node[1]} declared twice"
            labels[node[1]], styles[node[1]] = node[2], node[3]
        elif edge := EDGE.match(line):
            edges.append((edge[1], edge[2]))
        else:
            raise AssertionError(f"not a node or an edge: {line!r}")
    for start, end in edges:
        assert start in labels and end in labels, f"edge {start} -> {end} to an undeclared node"
    return labels, edges, styles


def graph_of(result: engine.RunResult, iteration: int, what: str) -> str:
    (snapshot,) = [g for g in result.graphs if (g.iteration, g.what) == (iteration, what)]
    return snapshot.dot


def parents(edges, node: str) -> list[str]:
    return [start for start, end in edges if end == node]


def test_the_solutions_loss_graph(run):
    labels, edges, styles = parse(graph_of(run(SOLUTION), 0, "loss"))
    kinds = sorted(label.split("\\n")[-1] for label in labels.values())
    assert kinds == sorted(
        ["loss", "SqrtBackward0", "MeanBackward0", "PowBackward0", "SubBackward0", "AddBackward0", "MulBackward0"]
        + ["AccumulateGrad"] * 2
    )
    leaves = {labels[n] for n in labels if labels[n].endswith("AccumulateGrad")}
    assert leaves == {"leaf m\\nAccumulateGrad", "leaf b\\nAccumulateGrad"}
    # The loss at the top: nothing points to it, and it points to SqrtBackward0.
    (top,) = [n for n in labels if not parents(edges, n)]
    assert labels[top] == "loss" and [labels[end] for start, end in edges if start == top] == ["SqrtBackward0"]
    # The leaves are the bottom, drawn apart from the other nodes.
    for node, label in labels.items():
        is_leaf = label.endswith("AccumulateGrad")
        assert is_leaf == (not [end for start, end in edges if start == node] and node != top)
        assert ("fillcolor" in styles[node]) == (is_leaf or node == top)


def test_draft_1_makes_m_a_new_tensor_whose_graph_reaches_the_old_leaf(run):
    labels, edges, _ = parse(graph_of(run(DRAFTS["1"]), 0, "m"))
    assert sorted(labels.values()) == ["SubBackward0", "leaf m\\nAccumulateGrad", "m after the update"]
    (leaf,) = [n for n, label in labels.items() if label.startswith("leaf m")]
    assert [labels[p] for p in parents(edges, leaf)] == ["SubBackward0"]


def test_draft_1s_second_loss_graph_passes_through_the_update(run):
    labels, edges, _ = parse(graph_of(run(DRAFTS["1"].with_changes(iterations=2)), 1, "loss"))
    for name in ("m", "b"):
        (leaf,) = [n for n, label in labels.items() if label == f"leaf {name}\\nAccumulateGrad"]
        (update,) = parents(edges, leaf)
        assert labels[update] == "SubBackward0"  # m = m - 0.02*m.grad, recorded by autograd
        assert [labels[p] for p in parents(edges, update)] == ["MulBackward0" if name == "m" else "AddBackward0"]


def test_graphs_are_recorded_for_the_first_iterations_and_the_last_only(run):
    solution = run(SOLUTION.with_changes(iterations=5))
    assert [(g.iteration, g.what) for g in solution.graphs] == [(0, "loss"), (1, "loss"), (2, "loss"), (4, "loss")]
    # Later loss graphs look the same: the leaves stay the same tensors.
    assert len({g.dot for g in solution.graphs}) == 1
    sgd = run(DRAFTS["sgd"].with_changes(iterations=5))
    assert [g.dot for g in sgd.graphs] == [g.dot for g in solution.graphs]
    draft_1 = run(DRAFTS["1"].with_changes(iterations=2))
    assert [(g.iteration, g.what) for g in draft_1.graphs] == [(0, "loss"), (0, "m"), (0, "b"), (1, "loss")]


def test_a_run_that_raises_in_backward_records_no_graph_for_that_iteration(run):
    result = run(SOLUTION.with_changes(update="reassign", iterations=3))
    assert result.outcome.error.statement == "backward"
    assert [(g.iteration, g.what) for g in result.graphs] == [(0, "loss")]


def test_a_shared_node_is_declared_once_with_one_edge_per_use():
    m = torch.tensor([2.0], requires_grad=True)
    square = m * m  # MulBackward0 uses m twice: two edges to one AccumulateGrad
    labels, edges, _ = parse(autograd_graph(square + m, {id(m): "m"}, "z").dot())
    assert sorted(labels.values()) == ["AddBackward0", "MulBackward0", "leaf m\\nAccumulateGrad", "z"]
    (leaf,) = [n for n, label in labels.items() if label.startswith("leaf")]
    assert sorted(labels[p] for p in parents(edges, leaf)) == ["AddBackward0", "MulBackward0", "MulBackward0"]


def test_tensors_without_a_graph():
    leaf = torch.tensor([1.0], requires_grad=True)
    labels, edges, _ = parse(autograd_graph(leaf, label="m").dot())
    assert list(labels.values()) == ["m\\n(no grad_fn: a leaf)"] and edges == []
    labels, _, _ = parse(autograd_graph(torch.tensor([1.0]) * 2, label="m").dot())
    assert list(labels.values()) == ["m\\n(no grad_fn: requires_grad=False)"]


def test_an_unnamed_leaf_and_awkward_labels_stay_valid_dot():
    m = torch.tensor([1.0], requires_grad=True)
    labels, _, _ = parse(autograd_graph(m * 3, label='say "hi" \\ bye').dot())
    assert "leaf tensor\\nAccumulateGrad" in labels.values()
    assert 'say \\"hi\\" \\\\ bye' in labels.values()


def test_the_graph_of_draft_1s_second_iteration_reaches_back_to_the_old_leaf(run):
    looped = run(DRAFTS["1"].with_changes(iterations=2))
    sentence = graph_reading.reaches_back(looped, 1)
    assert "through `SubBackward0` recorded by an earlier update, to the starting leaf `m`" in sentence
    assert "not a leaf but that update's result (`grad_fn` `SubBackward0`)" in sentence
    assert "its `.grad` was `None`" in sentence  # the facts recorded after that backward()
    assert graph_reading.path_to_leaf(looped.graphs[0].graph) == [
        "SqrtBackward0",
        "MeanBackward0",
        "PowBackward0",
        "SubBackward0",
        "AddBackward0",
        "MulBackward0",
    ]
    assert "nothing from an earlier iteration" in graph_reading.reaches_back(looped, 0)
    assert "iteration 1's differs from iteration 0's" in graph_reading.sameness(looped.graphs)


def test_the_solutions_graphs_are_recorded_at_a_few_iterations_and_are_all_the_same(run):
    solution = run(DRAFTS["4"])
    assert sorted({g.iteration for g in solution.graphs}) == [0, 1, 2, 10, 100, 1_000, 9_999]
    assert "nothing from an earlier iteration" in graph_reading.reaches_back(solution, 1_000)
    assert graph_reading.sameness(solution.graphs).startswith("All of them are the same graph")
    assert graph_reading.reaches_back(solution, 5) is None  # not recorded: nothing is claimed
