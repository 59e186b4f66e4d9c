"""The bundle's canonical JSON and content hash: made once at compile time, byte for byte what the plain
definition gives (json.dumps of the whole data tree, sorted keys, no spaces, UTF-8 text as is)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import pytest

from bench.lint_scale import generate
from engine.content.api import build_path
from engine.content.bundle import Bundle, content_hash
from engine.content.compile import compile_bundle

ROOT = Path(__file__).resolve().parents[2]


def plain_json(bundle: Bundle) -> str:
    return json.dumps(bundle.to_dict(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def plain_hash(bundle: Bundle) -> str:
    data = bundle.to_dict()
    data.pop("content_hash")
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.fixture(scope="module", params=["example", "generated"])
def bundle(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Bundle:
    if request.param == "example":
        path = ROOT / "content"
    else:
        path = generate(tmp_path_factory.mktemp("story") / "story", 300, seed=5)
    return build_path(path)[1]


def test_the_stored_json_and_the_hash_are_the_plain_definitions(bundle: Bundle) -> None:
    assert bundle.to_json() == plain_json(bundle)
    assert bundle.content_hash == plain_hash(bundle) == content_hash(bundle)
    assert json.loads(bundle.to_json())["content_hash"] == bundle.content_hash


def test_a_bundle_read_back_encodes_to_the_same_bytes(bundle: Bundle) -> None:
    again = Bundle.from_json(bundle.to_json())
    assert again == bundle
    assert again.to_json() == bundle.to_json(), "encoded afresh, without the text kept at compile time"
    assert content_hash(again) == bundle.content_hash


def test_a_changed_copy_does_not_keep_the_original_json(bundle: Bundle) -> None:
    changed = replace(bundle, story_id="otra")
    assert changed.to_json() == plain_json(changed)
    assert json.loads(changed.to_json())["story_id"] == "otra"
    assert content_hash(changed) != bundle.content_hash


def test_the_kept_json_is_not_data() -> None:
    bundle = build_path(ROOT / "content")[1]
    assert "_json" not in bundle.to_dict()
    assert "_json" not in repr(bundle)
    assert Bundle.from_dict({**bundle.to_dict(), "_json": "{}"}).to_json() == bundle.to_json()


def test_a_project_is_compiled_once() -> None:
    report, bundle = build_path(ROOT / "content")
    assert report.project is not None
    assert compile_bundle(report.project) is bundle


def test_one_predicate_per_distinct_condition_and_chapter(tmp_path: Path) -> None:
    bundle = build_path(generate(tmp_path / "story", 2000, seed=5))[1]
    uses: dict[tuple[str, str], list[int]] = {}
    for scene in bundle.scenes.values():
        for choice in scene.choices:
            if choice.condition is not None:
                uses.setdefault((choice.condition.source, scene.chapter), []).append(id(choice.condition))
    assert any(len(ids) > 1 for ids in uses.values()), "the story repeats a condition within a chapter"
    assert all(len(set(ids)) == 1 for ids in uses.values())
