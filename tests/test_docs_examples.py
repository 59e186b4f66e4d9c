"""docs/writing.md teaches by example, so every complete example in it must pass the linter.

The convention: a fenced ```yaml block whose first line is a comment naming where the file goes,

    # file: <example>/<path inside the content folder>

e.g. ``# file: first-story/story.yaml`` or ``# file: faro/chapters/01-muelle.yaml``. All blocks naming
the same <example> form one content folder, wherever they appear in the guide (a story may be built up
section by section). Each folder is written to a temporary directory and linted exactly as
``diana lint`` would; any error fails. Blocks without the comment are snippets or deliberate mistakes
and are not checked here.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

import pytest

from engine.content.api import lint_path
from engine.diagnostics import Severity

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "writing.md"
LINT_DOC = ROOT / "docs" / "lint.md"

YAML_BLOCK = re.compile(r"^```yaml[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
FILE_MARK = re.compile(r"^#\s*file:\s*(\S+)\s*$")


def yaml_blocks() -> list[tuple[int, str]]:
    """(line number of the opening fence, block text) for every ```yaml block of the guide."""
    text = GUIDE.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start()) + 1, m.group(1)) for m in YAML_BLOCK.finditer(text)]


def examples() -> dict[str, dict[PurePosixPath, str]]:
    """example name -> {path inside its content folder: file text}, from the marked blocks."""
    found: dict[str, dict[PurePosixPath, str]] = {}
    for line, block in yaml_blocks():
        mark = FILE_MARK.match(block.split("\n", 1)[0])
        if mark is None:
            continue
        path = PurePosixPath(mark.group(1))
        assert not path.is_absolute(), f"writing.md:{line}: '# file:' needs a relative path"
        assert ".." not in path.parts, f"writing.md:{line}: '# file:' may not leave its example folder"
        assert len(path.parts) >= 2, f"writing.md:{line}: write '# file: <example>/<path>', not '{path}'"
        assert path.suffix == ".yaml", f"writing.md:{line}: content files end in .yaml, not '{path}'"
        name, inside = path.parts[0], PurePosixPath(*path.parts[1:])
        files = found.setdefault(name, {})
        assert inside not in files, f"writing.md:{line}: '{path}' is given twice; give each file once"
        files[inside] = block
    return found


EXAMPLES = examples() if GUIDE.exists() else {}


def test_guide_exists_and_has_complete_examples() -> None:
    assert GUIDE.exists(), "docs/writing.md is missing"
    assert EXAMPLES, "docs/writing.md has no complete example (a ```yaml block starting '# file: ...')"
    for name, files in EXAMPLES.items():
        assert PurePosixPath("story.yaml") in files, f"example '{name}' has no story.yaml"
        assert any(p.parts[0] == "chapters" for p in files), f"example '{name}' has no chapter"


def test_file_marks_only_open_blocks() -> None:
    """A '# file:' comment further down a block would silently not count: it must be the first line."""
    for line, block in yaml_blocks():
        for offset, text in enumerate(block.splitlines()[1:], start=1):
            assert not FILE_MARK.match(text), (
                f"writing.md:{line + offset + 1}: '# file:' must be the first line of its block"
            )


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_passes_lint(name: str, tmp_path: Path) -> None:
    folder = tmp_path / name
    for inside, text in EXAMPLES[name].items():
        target = folder.joinpath(*inside.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    report = lint_path(folder)
    errors = [d for d in report.diagnostics if d.severity is Severity.ERROR]
    assert errors == [], f"the '{name}' example in docs/writing.md fails diana lint:\n" + "\n".join(
        f"  {d.loc}: {d.code} {d.name}: {d.message}" for d in errors
    )


def test_links_to_lint_codes_exist() -> None:
    """Every lint.md#dNNN link in the guide lands on a documented code."""
    anchors = set(re.findall(r'<a id="(d\d{3})"></a>', LINT_DOC.read_text(encoding="utf-8")))
    linked = set(re.findall(r"lint\.md#(d\d{3})\b", GUIDE.read_text(encoding="utf-8")))
    assert sorted(linked - anchors) == []
