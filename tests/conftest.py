"""One real sandbox server per test session; each dry-run uses its own scratch database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dbagent.sandbox import close_sandbox, get_sandbox

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="session")
def sandbox():
    sb = get_sandbox()
    yield sb
    close_sandbox()


@pytest.fixture
def write(tmp_path):
    """Write a text file under tmp_path and return its path."""
    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path
    return _write


def run_cli(*args: str, tmpdir: Path | None = None, env: dict | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the installed `dbagent` console entry point as a user would, in a separate process."""
    full_env = dict(os.environ, **(env or {}))
    if tmpdir is not None:
        full_env["TMPDIR"] = str(tmpdir)
    return subprocess.run([sys.executable, "-c", "from dbagent.cli import main; main()", *args],
                          capture_output=True, text=True, env=full_env, timeout=timeout, cwd=ROOT)
