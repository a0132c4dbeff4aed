"""The import contracts `make lint` enforces (``[tool.importlinter]`` in pyproject.toml)
hold, and each one catches the violation it exists for: a probe module breaking it is
written into the real source tree, ``lint-imports`` must fail naming it, and the probe
is removed again."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
PROBE = "_contract_probe"


def lint_imports(*contracts: str) -> subprocess.CompletedProcess[str]:
    selected = [arg for contract in contracts for arg in ("--contract", contract)]
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", *selected],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@contextmanager
def probe(package_dir: str, source: str) -> Iterator[str]:
    """A module in ``package_dir`` (relative to the repository) with ``source``; yields
    its dotted name."""
    folder = ROOT / package_dir
    path = folder / f"{PROBE}.py"
    assert folder.is_dir()
    assert not path.exists()
    path.write_text(source)
    parts = folder.relative_to(ROOT).parts
    package = ".".join(parts[parts.index("src") + 1 :])
    try:
        yield f"{package}.{PROBE}"
    finally:
        path.unlink()


def test_the_contracts_hold() -> None:
    result = lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


VIOLATIONS = [
    # (contract, where the probe goes, what it imports)
    ("services-independent", "services/router/src/router_service", "import case_service\n"),
    ("common-is-a-library", "libs/common/src/cc_common", "import router_service\n"),
    (
        "tools-drive-services",
        "services/ingest-voice/src/ingest_voice",
        "import contactcenter_cli\n",
    ),
    ("pure-domains", "services/ingest-voice/src/ingest_voice/domain", "import pymongo\n"),
    (
        "pure-domains",
        "services/ingest-email/src/ingest_email/domain",
        "from ingest_email.settings import EmailTenant\n",
    ),
    ("pure-domains", "services/case/src/case_service/domain", "import cc_common.mongo\n"),
    (
        "email-layers",
        "services/ingest-email/src/ingest_email/domain",
        "import ingest_email.intake\n",
    ),
    ("email-layers", "services/ingest-email/src/ingest_email/api", "import ingest_email.main\n"),
    ("case-layers", "services/case/src/case_service/service", "import case_service.api.deps\n"),
    ("case-layers", "services/case/src/case_service/domain", "import case_service.ports\n"),
    (
        "case-adapters-beside",
        "services/case/src/case_service/api",
        "from case_service.adapters.cases import CaseRepository\n",
    ),
    (
        "case-adapters-beside",
        "services/case/src/case_service/service",
        "import case_service.adapters.timeline\n",
    ),
    (
        "case-adapters-inward",
        "services/case/src/case_service/adapters",
        "from case_service.service.case_desk import CaseDesk\n",
    ),
    (
        "entry-points-outermost",
        "services/ingest-voice/src/ingest_voice/adapters",
        "import ingest_voice.api.twilio\n",
    ),
    (
        "entry-points-outermost",
        "services/router/src/router_service/api",
        "import router_service.consumers.worker\n",
    ),
]


@pytest.mark.parametrize(("contract", "where", "source"), VIOLATIONS)
def test_each_contract_catches_its_violation(contract: str, where: str, source: str) -> None:
    with probe(where, source) as module:
        result = lint_imports(contract)
    assert result.returncode != 0, f"{contract} let {module} through:\n{result.stdout}"
    assert module in result.stdout, result.stdout
    assert "BROKEN" in result.stdout
