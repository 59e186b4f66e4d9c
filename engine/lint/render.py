"""The story graph as text for drawing tools: Mermaid (renders in GitHub and most editors) and Graphviz DOT.

Scenes are grouped by chapter; endings, scenes of VIP chapters and scenes no player can reach are
styled; each edge is labelled with the conditions, cost and VIP flag of the exits it stands for.
"""

from __future__ import annotations

import re

from engine.lint.graph import Analysis, Exit

FORMATS = ("mermaid", "dot")
_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


def _id(key: str) -> str:
    return "s_" + _UNSAFE.sub("_", key)


def exit_label(item: Exit) -> str:
    parts = []
    if item.choice is not None:
        parts.append(item.choice.id or f"#{item.position + 1}")
    elif item.kind == "next_chapter":
        parts.append("next chapter")
    if item.if_ is not None:
        parts.append(f"if {item.if_.source}")
    if item.requires is not None:
        parts.append(f"requires {item.requires.source}")
    if item.vip:
        parts.append("VIP")
    if item.cost:
        parts.append(f"cost {item.cost}")
    return ", ".join(parts)


def _keys(found: Analysis, chapter: str | None) -> list[str]:
    content = found.content
    chapters = [content.chapters[chapter]] if chapter else list(content.chapters.values())
    return [scene.key for c in chapters for scene in c.scenes.values()]


def _classes(found: Analysis, key: str) -> list[str]:
    data = found.story.graph.nodes[key]
    styles = []
    if data["ending"]:
        styles.append("ending")
    if data["vip"]:
        styles.append("vip")
    if key not in found.reachable:
        styles.append("unreachable")
    if key == found.story.start:
        styles.append("start")
    return styles


def _edges(found: Analysis, keys: list[str]) -> list[tuple[str, str, str]]:
    inside = set(keys)
    edges = []
    for key in keys:
        for target in found.story.graph.successors(key):
            if target not in inside:
                continue
            items = found.story.graph.edges[key, target]["exits"]
            edges.append((key, target, " | ".join(label for i in items if (label := exit_label(i)))))
    return edges


def _node_text(found: Analysis, key: str) -> str:
    scene = found.content.scene(key)
    assert scene is not None
    return f"{scene.id} ({scene.ending})" if scene.ending else scene.id


def mermaid(found: Analysis, chapter: str | None = None) -> str:
    keys = _keys(found, chapter)
    lines = ["flowchart TD"]
    by_chapter: dict[str, list[str]] = {}
    for key in keys:
        by_chapter.setdefault(key.partition(".")[0], []).append(key)
    for cid, members in by_chapter.items():
        vip = " (VIP)" if found.content.chapters[cid].vip else ""
        lines.append(f'  subgraph {_id(cid)}["{cid}{vip}"]')
        for key in members:
            text = _node_text(found, key).replace('"', "'")
            shape = f'(["{text}"])' if found.story.graph.nodes[key]["ending"] else f'["{text}"]'
            lines.append(f"    {_id(key)}{shape}")
        lines.append("  end")
    for source, target, label in _edges(found, keys):
        text = label.replace('"', "'").replace("|", "/")
        arrow = f' -->|"{text}"| ' if text else " --> "
        lines.append(f"  {_id(source)}{arrow}{_id(target)}")
    lines += [
        "  classDef ending fill:#d4f7d4,stroke:#2e7d32",
        "  classDef vip fill:#fff4c2,stroke:#b8860b",
        "  classDef unreachable fill:#f8d7da,stroke:#c62828,stroke-dasharray: 4 3",
        "  classDef start stroke-width:3px",
    ]
    for key in keys:
        for style in _classes(found, key):
            lines.append(f"  class {_id(key)} {style}")
    return "\n".join(lines) + "\n"


def _dot_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def dot(found: Analysis, chapter: str | None = None) -> str:
    keys = _keys(found, chapter)
    lines = [
        f"digraph {_dot_text(found.content.story.id)} {{",
        "  rankdir=TB;",
        '  node [shape=box, style="rounded,filled", fillcolor=white, fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    by_chapter: dict[str, list[str]] = {}
    for key in keys:
        by_chapter.setdefault(key.partition(".")[0], []).append(key)
    for cid, members in by_chapter.items():
        vip = " (VIP)" if found.content.chapters[cid].vip else ""
        lines.append(f"  subgraph {_dot_text('cluster_' + cid)} {{")
        lines.append(f"    label={_dot_text(cid + vip)};")
        for key in members:
            styles = _classes(found, key)
            attrs = [f"label={_dot_text(_node_text(found, key))}"]
            if "ending" in styles:
                attrs += ["shape=doubleoctagon", 'fillcolor="#d4f7d4"']
            if "vip" in styles:
                attrs.append('color="#b8860b"')
                if "ending" not in styles:
                    attrs.append('fillcolor="#fff4c2"')
            if "unreachable" in styles:
                attrs += ['fillcolor="#f8d7da"', 'style="rounded,filled,dashed"']
            if "start" in styles:
                attrs.append("penwidth=3")
            lines.append(f"    {_dot_text(key)} [{', '.join(attrs)}];")
        lines.append("  }")
    for source, target, label in _edges(found, keys):
        edge = f" [label={_dot_text(label)}]" if label else ""
        lines.append(f"  {_dot_text(source)} -> {_dot_text(target)}{edge};")
    lines.append("}")
    return "\n".join(lines) + "\n"
