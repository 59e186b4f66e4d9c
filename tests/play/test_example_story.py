"""Scripted playthroughs of the example story reach each of its endings, through `diana play --script`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from engine.content.bundle import Bundle

SCRIPTS = sorted((Path(__file__).parent / "scripts").glob("*.txt"))
ROOT = Path(__file__).resolve().parents[2]


def header(script: Path) -> dict[str, str]:
    values = {}
    for line in script.read_text(encoding="utf-8").splitlines():
        if line.startswith("# ") and ":" in line:
            key, _, value = line[2:].partition(":")
            values[key.strip()] = value.strip()
    return values


def replay(script: Path, *extra: str) -> list[dict[str, object]]:
    args = ["play", str(ROOT / "content"), "--script", str(script), "--json", "--today", "2026-03-01", *extra]
    if header(script)["profile"] == "vip":
        args.append("--vip")
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]


def test_every_ending_has_a_script(example_bundle: Bundle) -> None:
    endings = {key for key, scene in example_bundle.scenes.items() if scene.ending}
    assert {header(s)["ending"] for s in SCRIPTS} == endings


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_script_reaches_its_ending(script: Path, example_bundle: Bundle) -> None:
    output = replay(script)
    views = [v for v in output if "scene" in v]
    ending = header(script)["ending"]
    assert views[-1]["scene"] == ending
    assert views[-1]["ending"] == example_bundle.scenes[ending].ending
    assert not [v for v in output if "note" in v]  # every input was a valid move


@pytest.mark.parametrize(
    "script",
    [
        s
        for s in SCRIPTS
        if all(line.isdigit() or line.startswith("#") for line in s.read_text().splitlines())
    ],
    ids=lambda s: s.stem,
)
def test_english_players_reach_the_same_ending(script: Path) -> None:
    views = [v for v in replay(script, "--locale", "en") if "scene" in v]
    assert views[-1]["scene"] == header(script)["ending"]
    assert all(v["locale"] == "en" for v in views)
