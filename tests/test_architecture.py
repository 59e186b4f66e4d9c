"""The import-linter contract keeps up with the code: every adapter package under engine/ is forbidden
to the pure core, so a new one cannot be imported by the interpreter unnoticed."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_engine_package_is_pure_core_or_forbidden_to_it() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    [contract] = [
        c for c in config["tool"]["importlinter"]["contracts"] if c["name"].startswith("The pure core")
    ]
    pure, forbidden = set(contract["source_modules"]), set(contract["forbidden_modules"])
    packages = {f"engine.{p.name}" for p in (ROOT / "engine").iterdir() if (p / "__init__.py").exists()}
    assert packages - pure - forbidden == set(), "list the new package in pyproject.toml's contract"
    assert {"engine.store", "engine.bus", "engine.services", "engine.payments"} <= forbidden
