"""`diana randomtest`, `diana graph`, the compiled schema check, and the example story under analysis."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lint_support import CHAPTER, MINIMAL, edit, lint_memory, story_files
from typer.testing import CliRunner

import cli.analysis
from cli.main import app
from engine.content.api import build_path, lint_path
from engine.content.compile import compile_bundle
from engine.content.fastschema import compile_schema, equal
from engine.content.schemacheck import FILE_KINDS, schema_dir, validator_for
from engine.content.yamlread import read_yaml
from engine.content.ynode import to_data
from engine.diagnostics import Severity
from engine.lint import LintConfig, randomtest
from engine.lint.randomtest import random_test

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "content"
CH = "chapters/01-a.yaml"
NO_FALLBACK = edit(CH, "      - goto: final\n", "")
HIDDEN_ONLY_CHOICE = edit(
    CH,
    '    text: {es: "Ven aquí.", en: "Come here."}\n    next: final\n',
    '    text: {es: "Ven aquí.", en: "Come here."}\n    choices:\n'
    '      - {text: {es: "Abrazarla", en: "Hug her"}, if: "confianza >= 1", goto: final}\n',
)
UNREACHABLE = {CH: CHAPTER + '  perdida:\n    text: {es: "Nadie.", en: "Nobody."}\n    next: final\n'}


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


# -- randomtest -------------------------------------------------------------------------------------------


def test_randomtest_is_deterministic_by_seed(tmp_path: Path) -> None:
    _, bundle = build_path(story_files(tmp_path))
    first = random_test(bundle, runs=40, seed=3)
    assert first.to_dict() == random_test(bundle, runs=40, seed=3).to_dict()
    assert first.to_dict() != random_test(bundle, runs=40, seed=4).to_dict()


def test_randomtest_covers_the_minimal_story(tmp_path: Path) -> None:
    _, bundle = build_path(story_files(tmp_path))
    report = random_test(bundle, runs=60, seed=1)
    assert report.endings["uno.final"] > 0
    assert report.unvisited_scenes == []
    assert report.unvisited_choices == []
    assert report.coverage == 100.0
    assert not report.failed


def test_randomtest_reports_a_runtime_error_with_its_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, bundle = build_path(story_files(tmp_path))
    real = randomtest.play

    def failing(bundle_: Any, state: Any, action: Any, ctx: Any) -> Any:
        step = real(bundle_, state, action, ctx)
        if step.state.scene == "uno.consuelo":
            raise RuntimeError("boom at consuelo")
        return step

    monkeypatch.setattr(randomtest, "play", failing)
    report = random_test(bundle, runs=30, seed=2)
    assert report.errors, report.to_dict()
    failure = report.errors[0]
    assert failure.message == "RuntimeError: boom at consuelo"
    assert failure.path[0] == "uno.inicio"
    assert "say triste" in failure.path
    assert report.failed


def test_randomtest_reports_a_stuck_player() -> None:
    report = lint_memory(HIDDEN_ONLY_CHOICE)
    assert report.project is not None
    bundle = compile_bundle(report.project)
    result = random_test(bundle, runs=20, seed=5, max_steps=80)
    assert result.stuck
    assert result.stuck[0].message == "nothing to press at uno.consuelo"
    assert result.stuck[0].path[-3:] == ("uno.charla", "say triste", "uno.consuelo")


def test_randomtest_cli_human_and_json(tmp_path: Path) -> None:
    folder = str(story_files(tmp_path / "content"))
    code, out, _ = invoke("randomtest", folder, "--runs", "20", "--seed", "1")
    assert code == 0
    assert "20 runs (seed 1)" in out
    assert "uno.final" in out
    assert "no runtime errors" in out
    code, out, _ = invoke("randomtest", folder, "--runs", "20", "--seed", "1", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["runs"] == 20
    assert data["coverage"] == 100.0
    assert data["endings"] == {"uno.final": data["endings"]["uno.final"]}
    assert data["errors"] == [] and data["stuck"] == [] and data["failed"] is False
    assert json.loads(invoke("randomtest", folder, "-n", "20", "-s", "1", "--json")[1]) == data


def test_randomtest_cli_refuses_a_story_with_errors(tmp_path: Path) -> None:
    folder = str(story_files(tmp_path / "content", NO_FALLBACK))
    code, _, err = invoke("randomtest", folder, "--runs", "5")
    assert code == 1
    assert "the story has errors" in err


def test_randomtest_cli_missing_folder_exits_2(tmp_path: Path) -> None:
    assert invoke("randomtest", str(tmp_path / "nope"))[0] == 2


@pytest.mark.slow
def test_example_story_randomtest_reaches_every_ending() -> None:
    _, bundle = build_path(CONTENT)
    report = random_test(bundle, runs=1000, seed=0)
    assert not report.failed, report.failures[:3]
    assert [key for key, count in report.endings.items() if count == 0] == []
    assert report.coverage == 100.0


# -- graph ------------------------------------------------------------------------------------------------


def test_graph_mermaid_styles_endings_vip_and_unreachable(tmp_path: Path) -> None:
    folder = str(story_files(tmp_path / "content", UNREACHABLE))
    code, out, _ = invoke("graph", folder)
    assert code == 0
    assert out.startswith("flowchart TD")
    assert 's_uno_final(["final (good)"])' in out
    assert "class s_uno_final ending" in out
    assert "class s_uno_perdida unreachable" in out
    assert "class s_uno_inicio start" in out
    assert 's_uno_inicio -->|"confiar, if conocio and confianza >= 1, requires' in out
    assert "cost 5" in out


def test_graph_dot_and_chapter_filter(tmp_path: Path) -> None:
    second = {
        "chapters/02-b.yaml": "id: dos\ntitle: {es: Dos, en: Two}\norder: 2\nvip: true\n"
        "unlock: \"chapter_done('uno')\"\nscenes:\n  jardin:\n    text: {es: J, en: G}\n    ending: good\n"
    }
    folder = str(story_files(tmp_path / "content", second))
    code, out, _ = invoke("graph", folder, "--format", "dot")
    assert code == 0
    assert out.startswith('digraph "mini" {')
    assert 'subgraph "cluster_dos" {' in out
    assert 'label="dos (VIP)"' in out
    assert '"dos.jardin" [label="jardin (good)", shape=doubleoctagon' in out
    code, out, _ = invoke("graph", folder, "-f", "dot", "--chapter", "uno")
    assert code == 0
    assert "dos.jardin" not in out
    assert '"uno.inicio" [label="inicio"' in out


def test_graph_unknown_chapter_exits_2(tmp_path: Path) -> None:
    code, _, err = invoke("graph", str(story_files(tmp_path / "content")), "--chapter", "tres")
    assert code == 2
    assert "no chapter 'tres'" in err


def test_graph_output_file(tmp_path: Path) -> None:
    target = tmp_path / "story.mmd"
    code, out, _ = invoke("graph", str(story_files(tmp_path / "content")), "-o", str(target))
    assert code == 0
    assert out == ""
    assert target.read_text(encoding="utf-8").startswith("flowchart TD")


def test_graph_svg_without_graphviz_fails_clearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli.analysis.shutil, "which", lambda name: None)
    code, out, err = invoke("graph", str(story_files(tmp_path / "content")), "--format", "svg")
    assert code == 2
    assert out == ""
    assert "graphviz" in err
    assert "apt-get install graphviz" in err
    assert err.startswith("diana: svg needs Graphviz's 'dot' program")


def test_graph_svg_through_dot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The svg branch, whether or not Graphviz is installed: a stand-in `dot` proves the plumbing."""
    fake = tmp_path / "dot"
    fake.write_text('#!/bin/sh\n[ "$1" = "-Tsvg" ] || exit 3\nprintf "<svg>"; wc -c; printf "</svg>"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(cli.analysis.shutil, "which", lambda name: str(fake) if name == "dot" else None)
    target = tmp_path / "story.svg"
    code, _, err = invoke("graph", str(story_files(tmp_path / "content")), "-f", "svg", "-o", str(target))
    assert code == 0, err
    text = target.read_text()
    assert text.startswith("<svg>") and text.endswith("</svg>")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed here")
def test_graph_svg_with_real_graphviz(tmp_path: Path) -> None:
    code, out, _ = invoke("graph", str(story_files(tmp_path / "content")), "-f", "svg")
    assert code == 0
    assert "<svg" in out
    assert "inicio" in out


# -- the compiled schema check agrees with jsonschema -------------------------------------------------------


def _documents() -> dict[str, dict[str, Any]]:
    return {p.name: json.loads(p.read_text()) for p in schema_dir().glob("*.schema.json")}


def _data(path: str, text: str | bytes) -> object:
    read = read_yaml(path, text.encode() if isinstance(text, str) else text)
    assert read.root is not None
    return to_data(read.root)


KIND_OF = {
    "story.yaml": "story",
    "characters.yaml": "characters",
    "achievements.yaml": "achievements",
    "rewards.yaml": "rewards",
    "shop.yaml": "shop",
    "moods.yaml": "moods",
    CH: "chapter",
}
SAMPLES = [(kind, _data(path, MINIMAL[path])) for path, kind in KIND_OF.items()]
SAMPLES += [
    ("chapter" if p.parent.name == "chapters" else p.stem, _data(str(p), p.read_bytes()))
    for p in sorted(CONTENT.rglob("*.yaml"))
]


def test_every_schema_compiles() -> None:
    documents = _documents()
    for kind in FILE_KINDS:
        compile_schema(documents, f"{kind}.schema.json")


@pytest.mark.parametrize(("kind", "data"), SAMPLES)
def test_fast_check_accepts_the_valid_files(kind: str, data: object) -> None:
    assert compile_schema(_documents(), f"{kind}.schema.json")(data)


JSONISH = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-3, 300),
        st.floats(-2, 2, allow_nan=False),
        st.sampled_from(["", "x", "es", "good", "vip", "uno", "Mayús", "final", "a b", "{name}"]),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(["text", "goto", "es", "en", "if", "id", "x", "points"]), inner, max_size=3
        ),
    ),
    max_leaves=8,
)


def _paths(node: object, prefix: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


def _replace(node: Any, path: tuple[object, ...], value: object) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(node, dict):
        return {k: (_replace(v, rest, value) if k == head else v) for k, v in node.items()}
    return [(_replace(v, rest, value) if i == head else v) for i, v in enumerate(node)]


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(sample=st.integers(0, len(SAMPLES) - 1), where=st.integers(0, 10_000), value=JSONISH)
def test_fast_check_agrees_with_jsonschema(sample: int, where: int, value: object) -> None:
    kind, data = SAMPLES[sample]
    paths = _paths(data)
    changed = _replace(data, paths[where % len(paths)], value)
    fast = compile_schema(_documents(), f"{kind}.schema.json")(changed)
    assert fast == validator_for(kind).is_valid(changed)


def test_json_equality_keeps_booleans_apart_from_numbers() -> None:
    assert not equal(True, 1)
    assert not equal([0], [False])
    assert equal(1, 1.0)
    assert equal({"a": [1, "x"]}, {"a": [1.0, "x"]})


# -- the example story ------------------------------------------------------------------------------------


def test_example_story_lints_clean_with_strict() -> None:
    report = lint_path(CONTENT, LintConfig(strict=True))
    shown = [f"{d.loc} {d.code} {d.message}" for d in report.diagnostics if d.severity is not Severity.INFO]
    assert not report.failed, shown
