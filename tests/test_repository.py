"""The repository's own promises: the lock covers every declared dependency and the
layout is the fixed one (domain purity and the other import rules:
``test_architecture.py``)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = sorted(p.parent for p in ROOT.glob("*/*/pyproject.toml"))


def _name(requirement: str) -> str:
    return re.split(r"[<>=\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_every_declared_dependency_is_pinned_in_the_lock() -> None:
    lock = (ROOT / "requirements.lock").read_text()
    pinned = {_name(line) for line in lock.splitlines() if re.match(r"^[A-Za-z0-9]", line)}
    local = {tomllib.loads((p / "pyproject.toml").read_text())["project"]["name"] for p in PACKAGES}
    for package in PACKAGES:
        project = tomllib.loads((package / "pyproject.toml").read_text())["project"]
        for requirement in project.get("dependencies", []):
            name = _name(requirement)
            assert name in pinned or name in local, f"{name} ({package.name}): run `make lock`"


def test_the_fixed_layout_exists() -> None:
    for path in (
        "services/ingest-email",
        "services/ingest-chat",
        "services/ingest-voice",
        "services/router",
        "services/case",
        "libs/common",
        "deploy",
        "tests",
        "docker-compose.yml",
        "README.md",
    ):
        assert (ROOT / path).exists(), path


def test_deploy_definitions_match_the_code() -> None:
    from contactcenter_cli.main import deploy_files

    for path, text in deploy_files().items():
        assert path.read_text(encoding="utf-8") == text, f"{path.name}: run `make deploy-defs`"


def test_the_deploy_validator_catches_a_broken_compose_file(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "validate_deploy", ROOT / "scripts/validate_deploy.py"
    )
    assert spec is not None
    assert spec.loader is not None
    validator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(validator)
    assert validator.check_compose() == []
    broken = tmp_path / "compose.yml"
    broken.write_text(
        "services:\n"
        "  api:\n"
        "    image: x\n"
        "    environment:\n"
        "      API_SECRET: hunter2\n"
        "    depends_on: [db]\n"
    )
    problems = validator.check_compose(broken)
    assert "service api has no healthcheck" in problems
    assert "service api depends on unknown db" in problems
    assert any("API_SECRET is committed" in p for p in problems)
    broken.write_text("services:\n  api:\n    image: x\n    restart: sometimes\n")
    assert "unknown variant `sometimes`" in validator.check_compose(broken)[0]


def test_alerts_and_dashboard_only_use_metrics_the_services_export() -> None:
    import json

    import yaml
    from prometheus_client import REGISTRY

    import case_service.metrics  # noqa: F401  registers the case service's metrics
    import router_service.metrics  # noqa: F401  registers the router's metrics
    from cc_common import metrics  # noqa: F401

    exported = {
        sample.name
        for collector in list(REGISTRY._collector_to_names)
        for family in collector.collect()
        for sample in family.samples
    } | {name for names in REGISTRY._collector_to_names.values() for name in names}
    rules = yaml.safe_load((ROOT / "deploy/monitoring/alerts.yaml").read_text())
    expressions = [r["expr"] for g in rules["groups"] for r in g["rules"]]
    dashboard = json.loads((ROOT / "deploy/monitoring/grafana-dashboard.json").read_text())
    expressions += [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    used = {name for expr in expressions for name in re.findall(r"\bcc_[a-z_]+", expr)}
    assert used, "no metric found in the rules"
    assert used <= exported, f"unknown metrics: {sorted(used - exported)}"
    for group in rules["groups"]:
        for rule in group["rules"]:
            assert rule["labels"]["severity"] in {"page", "ticket"}
            assert rule["annotations"]["summary"]


def test_the_configuration_reference_is_current() -> None:
    from contactcenter_cli.config_doc import render

    assert (ROOT / "docs/configuration.md").read_text() == render(), "run: make config-doc"
