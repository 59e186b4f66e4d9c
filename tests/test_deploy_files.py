"""The deployment files stay consistent with the code: probes exist, settings are real settings."""

from __future__ import annotations

from pathlib import Path

import yaml

from engine.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def documents() -> list[dict[str, object]]:
    found = []
    for path in sorted((ROOT / "k8s").glob("*.yaml")):
        found.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    return found


def test_manifests_parse_and_the_deployment_runs_three_probed_replicas() -> None:
    kinds = {doc["kind"] for doc in documents()}
    assert {"Deployment", "Service", "ConfigMap", "Secret", "Job"} <= kinds
    deployment = next(doc for doc in documents() if doc["kind"] == "Deployment")
    spec = deployment["spec"]  # type: ignore[index]
    assert spec["replicas"] == 3
    container = spec["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"


def test_configured_keys_are_settings_the_code_reads() -> None:
    known = {name.upper() for name in Settings.model_fields}
    for doc in documents():
        data = doc.get("data") or doc.get("stringData") or {}
        assert set(data) <= known, set(data) - known  # type: ignore[arg-type]


def test_probe_routes_exist_in_the_bot() -> None:
    source = (ROOT / "bot" / "app.py").read_text()
    for route in ("/health", "/ready", "/metrics"):
        assert f'"{route}"' in source


def test_the_event_worker_runs_a_real_cli_command() -> None:
    from cli.main import app

    worker = next(doc for doc in documents() if doc["metadata"]["name"] == "diana-worker")  # type: ignore[index]
    command = worker["spec"]["template"]["spec"]["containers"][0]["command"]  # type: ignore[index]
    assert command == ["diana", "worker"]
    assert "worker" in {info.name or info.callback.__name__ for info in app.registered_commands}  # type: ignore[union-attr]
