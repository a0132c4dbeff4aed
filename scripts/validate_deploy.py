"""Validate what operations deploy, without a Docker engine or a cluster.

- docker-compose.yml: YAML anchors and merges resolved, then parsed by a validating
  Compose-spec implementation; plus our own rules (healthchecks, dependencies that
  exist, no secret committed).
- Dockerfiles: hadolint.
- Kubernetes: the production overlay rendered by kustomize (kubectl's built-in one)
  and every resource checked against the Kubernetes schemas, strictly.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml
from compose_spec import PyCompose

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SECRET_NAME = re.compile(r"SECRET|PASSWORD|TOKEN|_KEY$")
ONE_SHOT = {"bootstrap", "indexes"}


def check_compose(path: Path = ROOT / "docker-compose.yml") -> list[str]:
    """Problems in a compose file (empty when it is valid)."""
    data = yaml.safe_load(path.read_text())
    try:
        PyCompose.from_json(json.dumps(data))
    except ValueError as exc:
        return [f"{path.name}: {exc}"]
    problems = []
    services = data["services"]
    for name, service in services.items():
        if name not in ONE_SHOT and "healthcheck" not in service and "build" not in service:
            problems.append(f"service {name} has no healthcheck")
        args = (
            (service.get("build") or {}).get("args", {})
            if isinstance(service.get("build"), dict)
            else {}
        )
        if args and not (ROOT / "services" / args["SERVICE"] / "src" / args["PACKAGE"]).is_dir():
            problems.append(f"service {name} builds a package that does not exist: {args}")
        for dependency in service.get("depends_on", {}):
            if dependency not in services:
                problems.append(f"service {name} depends on unknown {dependency}")
        for key, value in (service.get("environment") or {}).items():
            if SECRET_NAME.search(key) and not str(value).startswith("${"):
                problems.append(f"service {name}: {key} is committed; take it from .env")
    return problems


def check_dockerfiles() -> list[str]:
    """hadolint's findings for the services' image recipe."""
    files = sorted(str(p) for p in ROOT.glob("deploy/docker/*.Dockerfile"))
    result = subprocess.run(
        [str(BIN / "hadolint"), "--failure-threshold", "warning", *files],
        capture_output=True,
        text=True,
        check=False,
    )
    return [line for line in result.stdout.splitlines() if line.strip()]


def check_kubernetes() -> list[str]:
    """Render each kustomization and validate every resource against the schemas."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        # Optional tooling: the other checks still run, and the skip is said plainly.
        print(
            "SKIPPED: the Kubernetes manifests were not rendered or validated, because "
            "kubectl (with its built-in kustomize) is not installed. Install it "
            "(apt-get install kubernetes-client on Debian) and run make validate-deploy "
            "again to check them.",
            file=sys.stderr,
        )
        return []
    problems = []
    for target in ("deploy/k8s/base", "deploy/k8s/overlays/production"):
        rendered = subprocess.run(
            [kubectl, "kustomize", str(ROOT / target)],
            capture_output=True,
            text=True,
            check=False,
        )
        if rendered.returncode != 0:
            problems.append(f"{target}: {rendered.stderr.strip()}")
            continue
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as out:
            out.write(rendered.stdout)
        result = subprocess.run(
            [str(BIN / "kubernetes-validate"), "--strict", "--quiet", out.name],
            capture_output=True,
            text=True,
            check=False,
        )
        Path(out.name).unlink()
        if result.returncode != 0:
            problems.append(f"{target}: {result.stdout.strip()} {result.stderr.strip()}")
    return problems


def main() -> int:
    problems = check_compose() + check_dockerfiles() + check_kubernetes()
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        checked = "and Kubernetes manifests" if shutil.which("kubectl") else "(not Kubernetes)"
        print(f"docker-compose.yml, Dockerfiles {checked} are valid.")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
