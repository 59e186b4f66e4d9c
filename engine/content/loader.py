"""Turn a content folder's files into the typed :class:`~engine.content.model.Content`.

Stages, each reporting diagnostics rather than raising: read YAML (positions kept) -> validate each file
against its JSON Schema -> build the model. Structural errors stop before the model is built: reference
checks on a half-understood tree would bury the real mistake under noise.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from engine.codes import diagnostic
from engine.content import build
from engine.content.files import ContentFiles
from engine.content.model import Chapter, Content, SourceFile
from engine.content.schemacheck import validate
from engine.content.sourcemap import SourceText
from engine.content.yamlread import read_yaml
from engine.content.ynode import YMap, YNode
from engine.diagnostics import Diagnostic, Loc, Severity

TOP_LEVEL = {
    "story.yaml": "story",
    "characters.yaml": "characters",
    "achievements.yaml": "achievements",
    "rewards.yaml": "rewards",
    "shop.yaml": "shop",
    "moods.yaml": "moods",
}
_SUPPRESS = re.compile(r"#\s*diana:\s*ignore\[([^\]]*)\]")


@dataclass(slots=True)
class LoadResult:
    content: Content | None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.content is not None and not any(d.severity is Severity.ERROR for d in self.diagnostics)


def file_kind(path: str) -> str | None:
    """Which schema a content file follows, from where it sits."""
    if path in TOP_LEVEL:
        return TOP_LEVEL[path]
    if path.startswith("chapters/") and path.count("/") == 1:
        return "chapter"
    return None


def suppressions(text: str) -> dict[int, frozenset[str]]:
    """``# diana: ignore[D301, unknown-scene]`` on a line silences those findings on that line."""
    found: dict[int, frozenset[str]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        match = _SUPPRESS.search(line)
        if match:
            found[number] = frozenset(part.strip() for part in match.group(1).split(",") if part.strip())
    return found


def _has_error(diagnostics: list[Diagnostic]) -> bool:
    return any(d.severity is Severity.ERROR for d in diagnostics)


def load(files: ContentFiles) -> LoadResult:
    diagnostics: list[Diagnostic] = []
    trees: dict[str, tuple[str, YNode]] = {}
    sources: dict[str, SourceFile] = {}
    # Chapters are read last and built one at a time as soon as they are read, so that only one file's
    # YAML tree is alive at once (at 100k scenes the trees are most of the memory).
    ordered = sorted(files.yaml.items(), key=lambda item: (file_kind(item[0]) == "chapter", item[0]))
    positions = {path: i for i, path in enumerate(sorted(p for p in files.yaml if file_kind(p)))}
    builder: build.Builder | None = None
    built: dict[str, Chapter] = {}
    for path, data in ordered:
        kind = file_kind(path)
        if kind is None:
            diagnostics.append(
                diagnostic(
                    "D109",
                    Loc(path, 1, 1),
                    f"'{path}' is not a content file the story reads",
                    hint="chapters go in content/chapters/; the other files are " + ", ".join(TOP_LEVEL),
                )
            )
            continue
        read = read_yaml(path, data)
        diagnostics.extend(read.diagnostics)
        sources[path] = SourceFile(
            path, hashlib.sha256(data).hexdigest(), suppressions(read.text), SourceText(path, read.text)
        )
        if read.root is None or read.diagnostics:
            continue
        if not isinstance(read.root, YMap):
            diagnostics.append(
                diagnostic(
                    "D202",
                    read.root.loc,
                    "a content file must be a mapping of keys",
                    hint="write 'key: value' lines at the left margin, e.g. 'id: encuentro'",
                )
            )
            continue
        diagnostics.extend(validate(kind, read.root))
        trees[path] = (kind, read.root)
        story = trees.get("story.yaml")
        if kind != "chapter" or story is None or not isinstance(story[1], YMap) or _has_error(diagnostics):
            continue
        if builder is None:
            builder = build.Builder(trees, files.media, sources, built)
            builder.locale_from(story[1])
        built[path] = builder.chapter(path, read.root, positions[path])
        trees[path] = (kind, YMap(read.root.loc))  # the chapter is built: let its tree go

    for path, reason in sorted(files.unreadable.items()):
        diagnostics.append(
            diagnostic(
                "D107",
                Loc(path, 1, 1),
                f"'{path}' could not be read: {reason}",
                hint="check that the file is readable (permissions) and not locked by another program",
            )
        )
    if "story.yaml" not in files.yaml and "story.yaml" not in files.unreadable:
        diagnostics.append(
            diagnostic(
                "D100",
                Loc("story.yaml"),
                f"no story.yaml in {files.root}",
                hint="is this the content folder? It needs story.yaml and chapters/*.yaml",
            )
        )
    if not any(kind == "chapter" for kind, _ in trees.values()) and not any(
        file_kind(p) == "chapter" for p in [*files.yaml, *files.unreadable]
    ):
        diagnostics.append(
            diagnostic(
                "D100",
                Loc("chapters/"),
                "the story has no chapters",
                hint="add content/chapters/01-start.yaml with an id, a title and scenes",
            )
        )
    if any(d.severity is Severity.ERROR for d in diagnostics):
        return LoadResult(None, diagnostics)
    builder = build.Builder(trees, files.media, sources, built)
    content = builder.build()
    diagnostics.extend(builder.diagnostics)
    return LoadResult(content, diagnostics)
