"""The mind-map layout (courses/mindmap_layout.py): every node placed once, no two boxes
overlapping, every edge joining a parent to its child, long labels wrapped."""

from __future__ import annotations

import random
from itertools import combinations

import pytest

from courses.mindmap_layout import CHAR_WIDTH, layout_mind_map, wrap_label


def node(label: str, *children: dict, line: int | None = None) -> dict:
    return {"label": label, "line": line, "children": list(children)}


def seed_like_tree() -> dict:
    """The shape of the seeds' maps: eight branches of five leaves, some labels long."""
    return node(
        "Machine Learning Engineer (Профессиональный уровень)",
        *[
            node(
                f"Ветка {b}: " + "очень длинное название ветки " * (b % 3),
                *[
                    node(f"Лист {b}.{i} " + "Feature selection и dimension " * (i % 2))
                    for i in range(5)
                ],
            )
            for b in range(8)
        ],
    )


def random_tree(rng: random.Random, depth: int = 0) -> dict:
    words = ["сеть", "Transformer", "оптимизация", "градиент", "спуск", "ONNX", "MLOps", "данные"]
    label = " ".join(rng.choice(words) for _ in range(rng.randint(1, 9)))
    fanout = rng.randint(0, 6) if depth < 4 else 0
    if depth == 0:
        fanout = rng.randint(1, 9)
    return node(label, *[random_tree(rng, depth + 1) for _ in range(fanout)])


def tree_size(tree: dict) -> int:
    return 1 + sum(tree_size(child) for child in tree["children"])


def labels_in_preorder(tree: dict) -> list[str]:
    return [tree["label"], *(label for c in tree["children"] for label in labels_in_preorder(c))]


def boxes_overlap(a, b) -> bool:
    return a.x < b.right and b.x < a.right and a.y < b.bottom and b.y < a.bottom


TREES = [
    pytest.param(seed_like_tree(), id="seed-like"),
    pytest.param(node("Один узел"), id="single-node"),
    pytest.param(node("Корень", node("Единственная ветка", node("лист"))), id="one-branch"),
    pytest.param(node("a", node("b", node("c", node("d", node("e", node("f")))))), id="chain"),
    pytest.param(node("Корень", node("x " * 60), node("y"), node("z")), id="tall-branch"),
    *[pytest.param(random_tree(random.Random(seed)), id=f"random-{seed}") for seed in range(12)],
]


@pytest.mark.parametrize("tree", TREES)
def test_every_node_of_the_tree_is_placed_once(tree):
    layout = layout_mind_map(tree)
    assert len(layout.nodes) == tree_size(tree)
    assert len({n.id for n in layout.nodes}) == len(layout.nodes)
    assert [n.label for n in layout.nodes] == labels_in_preorder(tree)
    assert all(n.width > 0 and n.height > 0 for n in layout.nodes)


@pytest.mark.parametrize("tree", TREES)
def test_no_two_node_boxes_overlap(tree):
    layout = layout_mind_map(tree)
    overlapping = [
        (a.label, b.label) for a, b in combinations(layout.nodes, 2) if boxes_overlap(a, b)
    ]
    assert overlapping == []


@pytest.mark.parametrize("tree", TREES)
def test_every_edge_joins_a_parent_box_to_its_child_box(tree):
    layout = layout_mind_map(tree)
    by_id = {n.id: n for n in layout.nodes}
    assert len(layout.edges) == len(layout.nodes) - 1
    assert sorted(e.child.id for e in layout.edges) == sorted(n.id for n in layout.nodes[1:])
    for edge in layout.edges:
        parent, child = edge.parent, edge.child
        assert by_id[child.id.rsplit(".", 1)[0]] is parent
        assert child.depth == parent.depth + 1
        # The edge leaves the parent's outer side and arrives at the child's facing side.
        if child.side == "right":
            assert (edge.x1, edge.x2) == (parent.right, child.x)
        else:
            assert (edge.x1, edge.x2) == (parent.x, child.right)
        assert parent.y <= edge.y1 <= parent.bottom and child.y <= edge.y2 <= child.bottom
        assert edge.path.startswith(f"M{edge.x1:.1f},{edge.y1:.1f} ")
        assert edge.path.endswith(f" {edge.x2:.1f},{edge.y2:.1f}")


@pytest.mark.parametrize("tree", TREES)
def test_children_lie_outward_of_their_parent(tree):
    layout = layout_mind_map(tree)
    for edge in layout.edges:
        parent, child = edge.parent, edge.child
        if child.side == "right":
            assert child.x > parent.right
        else:
            assert child.side == "left"
            assert child.right < parent.x


@pytest.mark.parametrize("tree", TREES)
def test_the_map_fits_its_canvas(tree):
    layout = layout_mind_map(tree)
    assert min(n.x for n in layout.nodes) >= 0 and min(n.y for n in layout.nodes) >= 0
    assert max(n.right for n in layout.nodes) <= layout.width
    assert max(n.bottom for n in layout.nodes) <= layout.height


def test_branches_are_shared_between_both_sides_of_the_root():
    layout = layout_mind_map(seed_like_tree())
    sides = [branch.side for branch in layout.root.children]
    assert sides.count("right") == sides.count("left") == 4
    heights = {
        side: sum(b.height for b in layout.nodes if b.side == side and b.depth == 2)
        for side in ("left", "right")
    }
    assert abs(heights["left"] - heights["right"]) < 0.25 * max(heights.values())


def test_a_branch_and_its_descendants_share_one_colour():
    layout = layout_mind_map(seed_like_tree())
    assert layout.root.color == -1
    for index, branch in enumerate(layout.root.children):
        assert branch.color == index
        assert {leaf.color for leaf in branch.children} == {index}


def test_long_labels_are_wrapped_and_their_box_holds_the_longest_line():
    label = "Feature selection и dimensionality reduction для табличных данных большого объёма"
    layout = layout_mind_map(node("Корень", node(label)), max_chars=20)
    leaf = layout.nodes[1]
    assert len(leaf.lines) > 1
    assert " ".join(leaf.lines) == label
    assert all(len(line) <= 20 for line in leaf.lines)
    assert leaf.width >= max(len(line) for line in leaf.lines) * CHAR_WIDTH
    baselines = [y for y, _ in leaf.text_lines]
    assert baselines == sorted(baselines)
    assert leaf.y < baselines[0] and baselines[-1] < leaf.bottom


def test_a_word_longer_than_a_line_is_cut():
    assert wrap_label("Длинноесловобезпробелов", 10) == ["Длинноесло", "вобезпробе", "лов"]
    assert wrap_label("  много   пробелов  ", 40) == ["много пробелов"]
    assert wrap_label("", 10) == [""]
