"""`diana randomtest` and `diana graph`: random playthroughs on the real interpreter, and the story graph
as a picture (Mermaid, Graphviz DOT, or SVG through Graphviz's `dot`)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from enum import Enum
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from cli.config import ConfigError, lint_config
from cli.reporting import ReportFormat, fail
from engine.content.api import build_path, lint_path
from engine.diagnostics import ContentError
from engine.lint.graph import analysis
from engine.lint.randomtest import RandomTestReport, random_test
from engine.lint.render import dot, mermaid

console = Console(soft_wrap=not sys.stdout.isatty())
GRAPHVIZ_MISSING = (
    "svg needs Graphviz's 'dot' program, which is not installed: install the graphviz package "
    "(Debian/Ubuntu: apt-get install graphviz), or use --format dot or mermaid"
)


class GraphFormat(str, Enum):
    mermaid = "mermaid"
    dot = "dot"
    svg = "svg"


def show_random_test(report: RandomTestReport) -> None:
    console.print(
        f"{report.runs} runs (seed {report.seed}), {report.steps} moves: "
        f"[bold]{report.coverage:.1f}%[/] of scenes and choices visited",
        highlight=False,
    )
    console.print("[bold]endings[/] (runs that reached each):")
    for key, count in sorted(report.endings.items()):
        style = "red" if count == 0 else "green"
        console.print(f"  [{style}]{count:>6}[/]  {escape(key)}", highlight=False)
    for title, keys in (
        ("scenes never visited", report.unvisited_scenes),
        ("choices never taken", report.unvisited_choices),
    ):
        if keys:
            console.print(
                f"[bold yellow]{title}[/] ({len(keys)}): " + escape(", ".join(keys)), highlight=False
            )
    for failure in report.failures:
        who = ("VIP" if failure.vip else "free") + f", {failure.points} points"
        console.print(
            f"[bold red]{failure.kind}[/] in run {failure.run} ({who}): {escape(failure.message)}",
            highlight=False,
        )
        console.print(f"  path: {escape(' '.join(failure.path[-40:]))}", highlight=False)
    if not report.failed:
        console.print("[bold green]✓ no runtime errors, nobody stuck[/]")


def render_graph(path: Path, output: GraphFormat, chapter: str | None) -> str | bytes:
    try:
        report = lint_path(path, lint_config(path))
    except (FileNotFoundError, NotADirectoryError, ConfigError) as exc:
        raise fail(str(exc)) from None
    if report.project is None:
        raise fail(f"the story cannot be loaded; run 'diana lint {path}'", 1)
    found = analysis(report.project)
    if chapter is not None and chapter not in found.content.chapters:
        raise fail(f"no chapter '{chapter}' (chapters: {', '.join(found.content.chapters)})")
    if output is GraphFormat.mermaid:
        return mermaid(found, chapter)
    source = dot(found, chapter)
    if output is GraphFormat.dot:
        return source
    program = shutil.which("dot")
    if program is None:
        raise fail(GRAPHVIZ_MISSING)
    done = subprocess.run(
        [program, "-Tsvg"], input=source.encode("utf-8"), capture_output=True, check=False, timeout=300
    )
    if done.returncode != 0:
        raise fail(f"dot failed: {done.stderr.decode('utf-8', 'replace').strip()}")
    return done.stdout


def register(app: typer.Typer) -> None:
    """Attach the analysis commands to the main app."""

    @app.command("randomtest")
    def randomtest_command(
        path: Path = typer.Argument(Path("content"), help="The content folder."),
        runs: int = typer.Option(100, "--runs", "-n", min=1, help="How many playthroughs."),
        seed: int = typer.Option(0, "--seed", "-s", help="Same seed, same playthroughs."),
        max_steps: int = typer.Option(200, "--max-steps", min=1, help="Most moves in one playthrough."),
        output: ReportFormat = typer.Option(ReportFormat.human, "--format", "-f", help="human or json."),
        as_json: bool = typer.Option(False, "--json", help="Same as --format json."),
    ) -> None:
        """Play the story N times at random on the real interpreter and report what was never seen.

        Each run is a new player, VIP or not, with a random starting balance, pressing random
        buttons (and replying to mood questions with random moods) for at most --max-steps moves.
        Reports scenes and choices never visited, endings with how many runs reached each, runtime
        errors and stuck players with the moves that led there, and the coverage. Exit 0 when no run
        failed, 1 on a runtime error or a stuck player (or a story with errors), 2 when it could not run.
        """
        try:
            _, bundle = build_path(path, lint_config(path))
        except (FileNotFoundError, NotADirectoryError, ConfigError) as exc:
            raise fail(str(exc)) from None
        except ContentError as exc:
            raise fail(f"the story has errors; run 'diana lint {path}' ({exc})", 1) from None
        report = random_test(bundle, runs=runs, seed=seed, max_steps=max_steps)
        if as_json or output is ReportFormat.json:
            print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        else:
            show_random_test(report)
        raise typer.Exit(1 if report.failed else 0)

    @app.command("graph")
    def graph_command(
        path: Path = typer.Argument(Path("content"), help="The content folder."),
        output: GraphFormat = typer.Option(
            GraphFormat.mermaid, "--format", "-f", help="mermaid, dot or svg."
        ),
        chapter: str = typer.Option("", "--chapter", "-c", help="Only this chapter."),
        to: Path = typer.Option(None, "--output", "-o", help="Write to FILE instead of printing."),
    ) -> None:
        """Draw the story graph: scenes by chapter, choices and routes with their conditions.

        Endings and VIP scenes are styled; scenes no player can reach are highlighted. svg needs
        Graphviz's dot program (Debian/Ubuntu: apt-get install graphviz).
        """
        result = render_graph(path, output, chapter or None)
        data = result.encode("utf-8") if isinstance(result, str) else result
        if to is not None:
            try:
                to.write_bytes(data)
            except OSError as exc:
                raise fail(f"cannot write {to}: {exc.strerror or exc}") from None
            return
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
