"""`diana users show`, `diana economy verify`, `diana flags` as an admin runs them (SQLite file)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.runtime.test_cli_runtime import env, run

__all__ = ["env"]


@pytest.mark.slow  # five CLI processes
def test_users_show_verify_and_flags(env: dict[str, str], tmp_path: Path) -> None:
    assert run(["db", "upgrade"], env).returncode == 0
    assert run(["publish", "content"], env).returncode == 0
    assert run(["chat", "--user", "42", "--name", "Ana", "--script", "-"], env, "1\n").returncode == 0

    shown = run(["users", "show", "42", "--format", "json", "--last", "2"], env)
    assert shown.returncode == 0, shown.stderr
    report = json.loads(shown.stdout)
    assert report["first_name"] == "Ana" and report["balance"] > 0
    assert len(report["transactions"]) == 2 and report["transaction_count"] >= 2
    assert report["transactions"][0]["balance_after"] == report["balance"]
    human = run(["users", "show", "42"], env)
    assert human.returncode == 0 and "balance" in human.stdout and "transactions" in human.stdout
    missing = run(["users", "show", "999"], env)
    assert missing.returncode == 1 and "no user 999" in missing.stderr

    verified = run(["economy", "verify", "--format", "json"], env)
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout)["ok"] is True
    with sqlite3.connect(tmp_path / "play.db") as db:  # a hand edit the ledger does not explain
        db.execute("UPDATE user_gamification SET balance = balance + 5 WHERE user_id = 42")
    broken = run(["economy", "verify", "--format", "json"], env)
    assert broken.returncode == 1
    difference = json.loads(broken.stdout)["differences"][0]
    assert (difference["user_id"], difference["check"]) == (42, "balance")
    assert difference["actual"] - difference["expected"] == 5
    assert "difference" in run(["economy", "verify"], env).stdout

    flags = run(["flags", "--format", "json"], env)
    assert flags.returncode == 0, flags.stderr
    assert json.loads(flags.stdout) == {"flags": []}
    assert "Suspicious patterns" in run(["flags", "--help"], env).stdout
