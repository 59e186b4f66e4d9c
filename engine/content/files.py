"""The filesystem edge of the loader: gather a content folder's bytes so everything after is pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class ContentFiles:
    """Every YAML file of a content folder (path relative to it -> bytes) and the media paths present.

    ``unreadable`` holds the YAML files that exist but could not be read (path -> why), which the loader
    reports (D107) rather than crashing on a file without read permission.
    """

    root: str
    yaml: dict[str, bytes]
    media: frozenset[str]
    unreadable: dict[str, str] = field(default_factory=dict)


def read_content_dir(root: Path) -> ContentFiles:
    """Read ``root`` (``content/``): the YAML files at its top and under ``chapters/``, and media names.

    Raises FileNotFoundError / NotADirectoryError for a path that is not a folder, which the CLI turns into
    exit code 2 ("could not run"), distinct from content errors.
    """
    if not root.exists():
        raise FileNotFoundError(f"content folder not found: {root}")
    if not root.is_dir():
        raise NotADirectoryError(f"not a folder: {root}")
    yaml_files: dict[str, bytes] = {}
    unreadable: dict[str, str] = {}
    media: set[str] = set()
    for path in sorted(root.rglob("*")):
        if not path.is_file() or any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        rel = path.relative_to(root).as_posix()
        if path.suffix in YAML_SUFFIXES and not rel.startswith("media/"):
            try:
                yaml_files[rel] = path.read_bytes()
            except OSError as exc:
                unreadable[rel] = exc.strerror or str(exc)
        else:
            media.add(rel)
    return ContentFiles(str(root), yaml_files, frozenset(media), unreadable)
