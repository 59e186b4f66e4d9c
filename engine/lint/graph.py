"""The story as one directed graph of scenes across chapters, and what the graph checks need from it.

Nodes are scene keys (``chapter.scene``); an edge ``a -> b`` carries every :class:`Exit` from ``a`` to
``b``: choices (with their ``if``, ``requires``, ``vip`` and ``cost``), ``next`` routes (with their
``if``) and an ending's ``next_chapter`` (to that chapter's start). Exits whose target does not exist are
left out (the references check reports them).

An exit *can be taken* unless one of its conditions (or the ``unlock`` of the chapter it enters) can never
be true given what the variables can hold (:mod:`engine.lint.domain`). VIP is no obstacle here: a VIP
player takes VIP exits; what a free player cannot do is the VIP check's business.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

import networkx as nx

from engine.content.model import Chapter, Choice, Condition, Content, Scene
from engine.content.project import Project
from engine.diagnostics import Loc
from engine.expr import Call, Expr
from engine.lint.domain import EITHER, FALSE, Possible, Truth


class Exit(NamedTuple):
    """One way out of a scene (a tuple: stories have hundreds of thousands of them)."""

    source: str
    target: str
    kind: str  # choice | route | next_chapter
    position: int
    loc: Loc
    if_: Condition | None = None
    requires: Condition | None = None
    vip: bool = False
    cost: int = 0
    choice: Choice | None = None


@dataclass
class StoryGraph:
    content: Content
    exits: dict[str, list[Exit]]  # scene -> its exits, in the order the player sees them
    incoming: dict[str, list[Exit]]  # scene -> the exits that lead to it
    chapter_starts: dict[str, str]
    start: str | None

    @cached_property
    def graph(self) -> nx.DiGraph:
        """The networkx graph: nodes carry chapter, scene id, ending and VIP; edges their exits."""
        graph = nx.DiGraph()
        graph.add_nodes_from(
            (scene.key, {"chapter": c.id, "scene": scene.id, "ending": scene.ending, "vip": c.vip})
            for c in self.content.chapters.values()
            for scene in c.scenes.values()
        )
        edges: dict[tuple[str, str], list[Exit]] = {}
        for items in self.exits.values():
            for item in items:
                edges.setdefault((item.source, item.target), []).append(item)
        graph.add_edges_from((u, v, {"exits": found}) for (u, v), found in edges.items())
        return graph


def chapter_start(chapter: Chapter) -> str | None:
    if not chapter.scenes:
        return None
    first = chapter.start.value if chapter.start else next(iter(chapter.scenes))
    if first not in chapter.scenes:
        first = next(iter(chapter.scenes))
    return f"{chapter.id}.{first}"


def build_graph(content: Content) -> StoryGraph:
    starts = {cid: s for cid, chapter in content.chapters.items() if (s := chapter_start(chapter))}
    exits: dict[str, list[Exit]] = {}
    incoming: dict[str, list[Exit]] = {}
    for scene in content.all_scenes():
        found = list(_exits(content, scene, starts))
        exits[scene.key] = found
        for item in found:
            incoming.setdefault(item.target, []).append(item)
    start = content.story.start if content.scene(content.story.start) is not None else None
    return StoryGraph(content, exits, incoming, starts, start)


def _exits(content: Content, scene: Scene, starts: dict[str, str]) -> Iterable[Exit]:
    for choice in scene.choices:
        target = content.qualify(choice.goto, scene.chapter)
        if content.scene(target) is not None:
            yield Exit(
                scene.key,
                target,
                "choice",
                choice.index,
                choice.loc,
                choice.if_,
                choice.requires,
                choice.vip,
                choice.cost,
                choice,
            )
    for index, route in enumerate(scene.routes):
        target = content.qualify(route.goto, scene.chapter)
        if content.scene(target) is not None:
            yield Exit(scene.key, target, "route", index, route.loc, route.if_)
    if scene.ending and scene.next_chapter and scene.next_chapter.value in starts:
        target = starts[scene.next_chapter.value]
        yield Exit(scene.key, target, "next_chapter", 0, scene.next_chapter.loc)


@dataclass
class Analysis:
    """Everything the story-level checks share, computed once per linted story."""

    project: Project
    possible: Possible
    story: StoryGraph
    _trees: dict[tuple[str, str | None], Expr | None] = field(default_factory=dict)
    _truths: dict[tuple[str, str | None], Truth] = field(default_factory=dict)
    _reachable: set[str] | None = None
    _to_ending: set[str] | None = None
    _open: dict[str, list[Exit]] = field(default_factory=dict)

    @property
    def content(self) -> Content:
        return self.project.content

    def tree(self, condition: Condition | None, chapter: str | None) -> Expr | None:
        """The checked (qualified) tree of a condition; None when it has errors (reported elsewhere)."""
        if condition is None:
            return None
        key = (condition.source, chapter)
        if key not in self._trees:
            self._trees[key] = self.project.checked(condition, chapter).tree
        return self._trees[key]

    def truth(self, condition: Condition | None, chapter: str | None) -> Truth:
        """What a condition can evaluate to; a missing condition is true, a broken one either."""
        if condition is None:
            return frozenset((True,))
        key = (condition.source, chapter)
        found = self._truths.get(key)
        if found is None:
            tree = self.tree(condition, chapter)
            found = EITHER if tree is None else self.possible.truth(tree, self.call_truth)
            self._truths[key] = found
        return found

    def call_truth(self, call: Call) -> Truth:
        """visited()/chose() of a scene nobody can reach is always false; the rest may be either."""
        if self._reachable is None or self.story.start is None or call.function not in ("visited", "chose"):
            return EITHER
        scene = call.argument.value
        if call.function == "chose":
            scene = scene.rpartition(".")[0]
        return EITHER if scene in self._reachable else FALSE

    def unlock(self, chapter_id: str) -> Condition | None:
        return self.content.chapters[chapter_id].unlock

    def enters_other_chapter(self, item: Exit) -> str | None:
        target = item.target.partition(".")[0]
        return target if target != item.source.partition(".")[0] else None

    def can_take(self, item: Exit) -> bool:
        """False when the exit can never be taken by anyone (a condition that is never true)."""
        chapter = item.source.partition(".")[0]
        for condition in (item.if_, item.requires):
            if True not in self.truth(condition, chapter):
                return False
        other = self.enters_other_chapter(item)
        return other is None or True in self.truth(self.unlock(other), other)

    def open_exits(self, key: str) -> list[Exit]:
        found = self._open.get(key)
        if found is None:
            found = [item for item in self.story.exits.get(key, ()) if self.can_take(item)]
            self._open[key] = found
        return found

    @property
    def reachable(self) -> set[str]:
        """Scenes some player can reach: from the start, over exits that can be taken, and through the
        chapter menu (a chapter with an ``unlock`` that can be true, or one the player has been in)."""
        if self._reachable is not None:
            return self._reachable
        story = self.story
        seen: set[str] = set()
        queue: deque[str] = deque()
        entered: set[str] = set()

        def visit(key: str) -> None:
            if key in seen:
                return
            seen.add(key)
            queue.append(key)
            chapter = key.partition(".")[0]
            if chapter not in entered:
                entered.add(chapter)
                start = story.chapter_starts.get(chapter)
                if start is not None:
                    visit(start)

        if story.start is not None:
            visit(story.start)
            for cid, chapter in self.content.chapters.items():
                if chapter.unlock is not None and True in self.truth(chapter.unlock, cid):
                    start = story.chapter_starts.get(cid)
                    if start is not None:
                        visit(start)
        while queue:
            key = queue.popleft()
            for item in self.open_exits(key):
                visit(item.target)
        self._reachable = seen
        return seen

    @property
    def to_ending(self) -> set[str]:
        """Scenes from which some ending can be reached over exits that can be taken."""
        if self._to_ending is not None:
            return self._to_ending
        seen = {scene.key for scene in self.content.all_scenes() if scene.ending}
        queue = deque(seen)
        while queue:
            key = queue.popleft()
            for item in self.story.incoming.get(key, ()):
                if item.source not in seen and self.can_take(item):
                    seen.add(item.source)
                    queue.append(item.source)
        self._to_ending = seen
        return seen

    @cached_property
    def open_graph(self) -> nx.DiGraph:
        """The graph with only the edges that have an exit that can be taken."""
        graph = nx.DiGraph()
        graph.add_nodes_from(self.story.exits)
        graph.add_edges_from(
            (key, target) for key in self.story.exits for target in {i.target for i in self.open_exits(key)}
        )
        return graph

    @cached_property
    def components(self) -> list[list[str]]:
        """Strongly connected components of the open graph, each in story order, in topological order
        (every edge between two components goes from an earlier one to a later one)."""
        graph = self.open_graph
        order = {key: index for index, key in enumerate(self.story.exits)}
        found = [sorted(c, key=order.__getitem__) for c in nx.strongly_connected_components(graph)]
        of = {key: index for index, members in enumerate(found) for key in members}
        indegree = [0] * len(found)
        after: list[set[int]] = [set() for _ in found]
        for source, target in graph.edges:
            a, b = of[source], of[target]
            if a != b and b not in after[a]:
                after[a].add(b)
                indegree[b] += 1
        ready = deque(sorted((i for i, n in enumerate(indegree) if n == 0), key=lambda i: order[found[i][0]]))
        ordered: list[list[str]] = []
        while ready:
            index = ready.popleft()
            ordered.append(found[index])
            for following in after[index]:
                indegree[following] -= 1
                if indegree[following] == 0:
                    ready.append(following)
        return ordered

    def cyclic(self, members: list[str]) -> bool:
        return len(members) > 1 or self.open_graph.has_edge(members[0], members[0])


def analysis(project: Project) -> Analysis:
    """The shared analysis of ``project``, computed by the first check that asks and kept on the project
    (so it lives exactly as long as the project does)."""
    cached = vars(project).get("_lint_analysis")
    if isinstance(cached, Analysis):
        return cached
    result = Analysis(project, Possible.of(project.content), build_graph(project.content))
    _ = result.reachable  # before any condition is judged: visited() of a scene nobody reaches is false
    vars(project)["_lint_analysis"] = result
    return result
