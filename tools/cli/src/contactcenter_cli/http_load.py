"""An app under HTTP load: serve a FastAPI module as its own uvicorn process, drive
it with wrk (the limits and the reference pipeline both do)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from contactcenter_cli.processes import ManagedProcess, free_port, require_wrk, wait_for_ready


@contextmanager
def served_app(source: str, *, name: str, env: Mapping[str, str] | None = None) -> Iterator[str]:
    """Run ``source`` (a module defining ``app``) under one uvicorn process; yields
    its base URL once it answers, and stops it afterwards."""
    with tempfile.TemporaryDirectory() as work:
        (Path(work) / "served_app.py").write_text(source)
        port = free_port()
        server = ManagedProcess(
            name=name,
            argv=[
                sys.executable,
                "-m",
                "uvicorn",
                "served_app:app",
                "--app-dir",
                work,
                "--port",
                str(port),
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            env=dict(env or {}),
            log_path=Path(work) / "served.log",
        )
        server.start()
        try:
            wait_for_ready(server, f"http://127.0.0.1:{port}/docs", 30)
            yield f"http://127.0.0.1:{port}"
        finally:
            server.stop()


def wrk_post(url: str, body: Any, *, seconds: int, connections: int) -> tuple[float, int]:
    """(2xx responses/s, 2xx responses) of wrk POSTing ``body`` as JSON; connect errors
    or timeouts fail the run rather than flatter it."""
    with tempfile.TemporaryDirectory() as work:
        script = Path(work) / "post.lua"
        script.write_text(
            'wrk.method = "POST"\n'
            f"wrk.body = '{json.dumps(body)}'\n"
            'wrk.headers["Content-Type"] = "application/json"\n'
        )
        out = subprocess.run(
            [require_wrk(), "-t2", f"-c{connections}", f"-d{seconds}s", "-s", str(script), url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    total = re.search(r"(\d+) requests in ([\d.]+)s", out)
    if total is None:
        raise RuntimeError(f"unexpected wrk output: {out}")
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if errors is not None and int(errors.group(1)) + int(errors.group(4)):
        raise RuntimeError(f"wrk saw connect errors or timeouts: {out}")
    ok = int(total.group(1)) - (int(failed.group(1)) if failed else 0)
    return ok / float(total.group(2)), ok
