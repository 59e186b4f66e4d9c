"""``diana lint`` end to end: the real CLI on a story on disk, every output format and exit code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lint_support import CHAPTER, edit, story_files
from typer.testing import CliRunner

import cli.main
from cli.main import app

CH = "chapters/01-a.yaml"
PLAIN_TEXT = edit(CH, 'text: {es: "Ven aquí.", en: "Come here."}', 'text: "Ven aquí."')  # D504 warning
BAD_GOTO = edit(CH, "goto: charla", "goto: charlaa")  # D301 error


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder with an (empty) pyproject.toml, so no settings leak in from folders above.

    The human output is printed wide: off a terminal rich would wrap long temporary paths at 80 columns.
    """
    monkeypatch.setattr(cli.main.console, "width", 400)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'story'\n", encoding="utf-8")
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["lint", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def content(project: Path, overrides: dict[str, str | bytes | None] | None = None) -> str:
    return str(story_files(project / "content", overrides))


# -- exit codes ---------------------------------------------------------------------------------------------


def test_clean_story_exits_0_with_no_problems(project: Path) -> None:
    code, out, _ = run(content(project))
    assert code == 0
    assert "no problems" in out


def test_error_exits_1_and_shows_where_and_why(project: Path) -> None:
    folder = content(project, BAD_GOTO)
    code, out, _ = run(folder)
    assert code == 1
    assert f"{Path(folder) / CH}:14:15" in out
    assert "D301" in out
    assert "unknown-scene" in out
    assert "hint: did you mean 'charla'?" in out
    assert "goto: charlaa" in out  # the source line, with a caret under the column
    assert "1 error(s), 0 warning(s) in 1 file(s)" in out


def test_warning_alone_exits_0(project: Path) -> None:
    code, out, _ = run(content(project, PLAIN_TEXT))
    assert code == 0
    assert "D504" in out
    assert "0 error(s), 1 warning(s)" in out


def test_missing_folder_exits_2(project: Path) -> None:
    code, out, err = run(str(project / "nowhere"))
    assert code == 2
    assert "not found" in err
    assert out == ""


def test_a_file_instead_of_a_folder_exits_2(project: Path) -> None:
    folder = content(project)
    code, _, err = run(str(Path(folder) / "story.yaml"))
    assert code == 2
    assert "not a folder" in err


def test_strict_fails_on_warnings(project: Path) -> None:
    folder = content(project, PLAIN_TEXT)
    assert run(folder, "--strict")[0] == 1
    assert run(content(project), "--strict")[0] == 0


# -- formats ------------------------------------------------------------------------------------------------


def test_json_format(project: Path) -> None:
    code, out, _ = run(content(project, BAD_GOTO), "-f", "json")
    assert code == 1
    document = json.loads(out)
    assert set(document) == {"diagnostics", "summary"}
    (item,) = document["diagnostics"]
    assert item == {
        "code": "D301",
        "name": "unknown-scene",
        "severity": "error",
        "file": CH,
        "line": 14,
        "column": 15,
        "message": "goto 'charlaa' names no scene in chapter 'uno'",
        "hint": "did you mean 'charla'?",
    }
    assert document["summary"] == {"errors": 1, "warnings": 0, "infos": 0, "failed": True}


def test_json_format_clean(project: Path) -> None:
    code, out, _ = run(content(project), "--format", "json")
    assert code == 0
    assert json.loads(out) == {
        "diagnostics": [],
        "summary": {"errors": 0, "warnings": 0, "infos": 0, "failed": False},
    }


def test_sarif_format(project: Path) -> None:
    folder = content(project, {CH: _both(BAD_GOTO, PLAIN_TEXT)})
    code, out, _ = run(folder, "--format", "sarif")
    assert code == 1
    document = json.loads(out)
    assert document["version"] == "2.1.0"
    assert "sarif-2.1.0" in document["$schema"]
    (run_,) = document["runs"]
    rules = run_["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == ["D301", "D504"]
    assert rules[0]["name"] == "unknown-scene"
    assert rules[0]["defaultConfiguration"] == {"level": "error"}
    assert rules[1]["defaultConfiguration"] == {"level": "warning"}
    assert all(rule["shortDescription"]["text"] for rule in rules)
    results = run_["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [("D301", "error"), ("D504", "warning")]
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["message"]["text"]
    location = results[0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == (Path(folder) / CH).as_posix()
    assert location["region"] == {"startLine": 14, "startColumn": 15}


def test_sarif_clean_has_no_results(project: Path) -> None:
    code, out, _ = run(content(project), "--format", "sarif")
    assert code == 0
    document = json.loads(out)
    assert document["runs"][0]["results"] == []
    assert document["runs"][0]["tool"]["driver"]["rules"] == []


def test_github_format(project: Path) -> None:
    folder = content(project, {CH: _both(BAD_GOTO, PLAIN_TEXT)})
    code, out, _ = run(folder, "--format", "github")
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 2
    path = (Path(folder) / CH).as_posix()
    assert lines[0].startswith(f"::error file={path},line=14,col=15,title=D301 unknown-scene::")
    assert "did you mean 'charla'?" in lines[0]
    assert lines[1].startswith(f"::warning file={path},line=35,")


def test_github_format_clean_prints_nothing(project: Path) -> None:
    code, out, _ = run(content(project), "--format", "github")
    assert (code, out) == (0, "")


def test_missing_story_yaml_is_a_content_error_not_a_crash(project: Path) -> None:
    code, out, _ = run(content(project, {"story.yaml": None}), "-f", "json")
    assert code == 1
    (item,) = json.loads(out)["diagnostics"]
    assert (item["code"], item["file"], item["line"]) == ("D100", "story.yaml", 0)


# -- [tool.diana.lint] in pyproject.toml --------------------------------------------------------------------


def _configure(project: Path, body: str) -> None:
    (project / "pyproject.toml").write_text(f"[project]\nname = 'story'\n\n[tool.diana.lint]\n{body}\n")


def test_config_ignore(project: Path) -> None:
    folder = content(project, PLAIN_TEXT)
    _configure(project, 'ignore = ["missing-translation"]')
    code, out, _ = run(folder, "--strict")
    assert code == 0
    assert "no problems" in out


def test_config_severity(project: Path) -> None:
    folder = content(project, PLAIN_TEXT)
    _configure(project, '[tool.diana.lint.severity]\nD504 = "error"')
    code, out, _ = run(folder, "-f", "json")
    assert code == 1
    assert [d["severity"] for d in json.loads(out)["diagnostics"]] == ["error"]


def test_config_severity_can_lower_an_error(project: Path) -> None:
    folder = content(project, BAD_GOTO)
    _configure(project, 'severity = {unknown-scene = "warning"}')
    code, out, _ = run(folder, "-f", "json")
    assert code == 0
    assert json.loads(out)["summary"]["warnings"] == 1


def test_config_strict(project: Path) -> None:
    folder = content(project, PLAIN_TEXT)
    assert run(folder)[0] == 0
    _configure(project, "strict = true")
    assert run(folder)[0] == 1


def test_config_unknown_code_exits_2(project: Path) -> None:
    folder = content(project)
    _configure(project, 'ignore = ["D999"]')
    code, out, err = run(folder)
    assert code == 2
    assert "D999" in err
    assert out == ""


def test_config_unknown_severity_exits_2(project: Path) -> None:
    folder = content(project)
    _configure(project, 'severity = {D504 = "fatal"}')
    code, _, err = run(folder)
    assert code == 2
    assert "severity" in err


def test_config_is_read_from_the_nearest_pyproject(project: Path) -> None:
    """A pyproject.toml next to the content folder wins over one further up."""
    folder = content(project / "inner", PLAIN_TEXT)
    (project / "inner" / "pyproject.toml").write_text("[tool.diana.lint]\nstrict = true\n")
    _configure(project, 'ignore = ["D504"]')
    assert run(folder)[0] == 1


def _both(*overrides: dict[str, str | bytes]) -> str:
    """Apply several single-file edits of the chapter together."""
    text = CHAPTER
    for override in overrides:
        changed = override[CH]
        assert isinstance(changed, str)
        for old_line, new_line in zip(CHAPTER.splitlines(), changed.splitlines(), strict=False):
            if old_line != new_line:
                text = text.replace(old_line, new_line, 1)
                break
    return text
