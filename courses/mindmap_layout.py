"""Positions for drawing a mind map (MindMap.tree) as an inline SVG, with no JS library.

The layout is the classic two-sided mind map: the root in the middle, its branches split
between a right and a left side so that both carry about the same number of leaves, each side a
left-to-right tidy tree (mirrored on the left). Every depth of a side is a column as wide as its
widest box, so boxes of different depths never share horizontal space; within a column each
subtree owns a vertical band at least as tall as its own box and the bands of its children, and
siblings' bands are stacked, so boxes of one column never share vertical space either. That is
why no two boxes can overlap, whatever the labels.

There are no font metrics on the server: a label is wrapped at `max_chars` characters and a box
is sized from a generous per-character width, which fits Pico's sans-serif for Cyrillic and
Latin text at the font sizes the template uses (`.mindmap` in static/css/courses.css).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import Any

CHAR_WIDTH = 7.6  # px per character at 13px; Cyrillic capitals are the widest common letters
BRANCH_CHAR_WIDTH = 8.8  # the root's children are drawn semi-bold
ROOT_CHAR_WIDTH = 9.6  # the root is drawn at 15px bold
PALETTE_SIZE = 8  # branch colours in static/css/courses.css (.branch-0 ... .branch-7)
LINE_HEIGHT = 17.0
ROOT_LINE_HEIGHT = 20.0
PAD_X = 10.0
PAD_Y = 7.0
GAP_X = 48.0  # between columns: room for the edges' curves
GAP_Y = 10.0  # between sibling bands
MARGIN = 12.0


@dataclass
class PlacedNode:
    """A box of the map: `x`, `y` are its top-left corner."""

    id: str
    label: str
    lines: list[str]
    depth: int
    branch: int  # index of the root's child this node descends from; -1 for the root
    side: str  # "root", "right" or "left"
    line: int | None  # the seed line the label came from
    x: float = 0.0
    y: float = 0.0
    width: float = 0.0
    height: float = 0.0
    children: list[PlacedNode] = field(default_factory=list, repr=False)

    @property
    def cx(self) -> float:
        return self.x + self.width / 2

    @property
    def cy(self) -> float:
        return self.y + self.height / 2

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.y + self.height

    @property
    def color(self) -> int:
        """The branch colour: -1 for the root, else 0..PALETTE_SIZE-1."""
        return -1 if self.branch < 0 else self.branch % PALETTE_SIZE

    @property
    def line_height(self) -> float:
        return ROOT_LINE_HEIGHT if self.depth == 0 else LINE_HEIGHT

    @property
    def text_lines(self) -> list[tuple[float, str]]:
        """(baseline y, text) of each wrapped line, centred in the box."""
        top = self.cy - self.line_height * len(self.lines) / 2
        # 0.72 of the line height puts the baseline where the glyphs look centred in the line.
        return [(top + self.line_height * (i + 0.72), text) for i, text in enumerate(self.lines)]


@dataclass(frozen=True)
class Edge:
    parent: PlacedNode
    child: PlacedNode
    x1: float
    y1: float
    x2: float
    y2: float

    @property
    def path(self) -> str:
        """A horizontal S-curve from the parent's side to the child's facing side."""
        mid = (self.x1 + self.x2) / 2
        return (
            f"M{self.x1:.1f},{self.y1:.1f} C{mid:.1f},{self.y1:.1f} "
            f"{mid:.1f},{self.y2:.1f} {self.x2:.1f},{self.y2:.1f}"
        )


@dataclass(frozen=True)
class MindMapLayout:
    root: PlacedNode
    nodes: list[PlacedNode]  # pre-order: root first, each parent before its children
    edges: list[Edge]
    width: float
    height: float


def wrap_label(label: str, max_chars: int) -> list[str]:
    """Words kept whole where they fit; a word longer than a line is cut."""
    lines = textwrap.wrap(
        " ".join(label.split()), max_chars, break_long_words=True, break_on_hyphens=False
    )
    return lines or [""]


def layout_mind_map(tree: dict[str, Any], *, max_chars: int = 24) -> MindMapLayout:
    """Place every node of `tree` ({"label", "line", "children": [...]}) and connect each child
    to its parent. Coordinates are in SVG user units with the origin at the top-left."""
    root = _build(tree, "0", depth=0, branch=-1, side="root", max_chars=max_chars)
    right, left = _split_branches(root.children)
    for node in right:
        _set_side(node, "right")
    for node in left:
        _set_side(node, "left")

    root.x, root.y = -root.width / 2, -root.height / 2
    for nodes, direction in ((right, 1), (left, -1)):
        columns = _column_widths(nodes)
        band = _stack_height(nodes)
        top = -band / 2
        for node in nodes:
            _place(node, top, root, columns, direction)
            top += _band(node) + GAP_Y

    nodes = list(_walk(root))
    min_x = min(n.x for n in nodes)
    min_y = min(n.y for n in nodes)
    for node in nodes:
        node.x += MARGIN - min_x
        node.y += MARGIN - min_y
    width = max(n.right for n in nodes) + MARGIN
    height = max(n.bottom for n in nodes) + MARGIN
    edges = [_edge(parent, child) for parent in nodes for child in parent.children]
    return MindMapLayout(root=root, nodes=nodes, edges=edges, width=width, height=height)


def _build(
    data: dict[str, Any], node_id: str, *, depth: int, branch: int, side: str, max_chars: int
) -> PlacedNode:
    label = str(data.get("label", ""))
    lines = wrap_label(label, max_chars)
    char_width = (ROOT_CHAR_WIDTH, BRANCH_CHAR_WIDTH)[depth] if depth < 2 else CHAR_WIDTH
    line_height = ROOT_LINE_HEIGHT if depth == 0 else LINE_HEIGHT
    node = PlacedNode(
        id=node_id,
        label=label,
        lines=lines,
        depth=depth,
        branch=branch,
        side=side,
        line=data.get("line"),
        width=max(len(text) for text in lines) * char_width + 2 * PAD_X,
        height=len(lines) * line_height + 2 * PAD_Y,
    )
    for index, child in enumerate(data.get("children") or []):
        node.children.append(
            _build(
                child,
                f"{node_id}.{index}",
                depth=depth + 1,
                branch=index if depth == 0 else branch,
                side=side,
                max_chars=max_chars,
            )
        )
    return node


def _split_branches(branches: list[PlacedNode]) -> tuple[list[PlacedNode], list[PlacedNode]]:
    """The first branches go right (reading order), the rest left, at the split that leaves the
    two sides' heights closest; the left side is listed bottom-up so that the map reads
    clockwise."""
    if len(branches) < 2:
        return branches, []
    heights = [_band(b) for b in branches]
    best = min(
        range(1, len(branches)),
        key=lambda k: (abs(sum(heights[:k]) - sum(heights[k:])), -k),
    )
    return branches[:best], list(reversed(branches[best:]))


def _set_side(node: PlacedNode, side: str) -> None:
    node.side = side
    for child in node.children:
        _set_side(child, side)


def _band(node: PlacedNode) -> float:
    """The height of the vertical band a subtree owns."""
    return max(node.height, _stack_height(node.children))


def _stack_height(nodes: list[PlacedNode]) -> float:
    if not nodes:
        return 0.0
    return sum(_band(n) for n in nodes) + GAP_Y * (len(nodes) - 1)


def _column_widths(nodes: list[PlacedNode]) -> list[float]:
    """The width of each column of one side: column 0 holds the root's children."""
    widths: list[float] = []
    level = nodes
    while level:
        widths.append(max(n.width for n in level))
        level = [child for n in level for child in n.children]
    return widths


def _place(
    node: PlacedNode, top: float, root: PlacedNode, columns: list[float], direction: int
) -> None:
    column = node.depth - 1
    # The inner edge of the column: the root's side plus the columns and gaps before it.
    inner = root.width / 2 + GAP_X + sum(columns[:column]) + GAP_X * column
    if direction > 0:
        node.x = inner
    else:
        node.x = -inner - node.width
    band = _band(node)
    node.y = top + (band - node.height) / 2
    child_top = top + (band - _stack_height(node.children)) / 2
    for child in node.children:
        _place(child, child_top, root, columns, direction)
        child_top += _band(child) + GAP_Y


def _walk(node: PlacedNode):
    yield node
    for child in node.children:
        yield from _walk(child)


def _edge(parent: PlacedNode, child: PlacedNode) -> Edge:
    if child.side == "left":
        return Edge(parent, child, parent.x, parent.cy, child.right, child.cy)
    return Edge(parent, child, parent.right, parent.cy, child.x, child.cy)
