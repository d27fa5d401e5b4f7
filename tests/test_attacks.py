"""Two independent walls against dangerous SQL (SECURITY.md): every attack in
tests/fixtures/attacks/attacks.yml is refused by the linter, and, with the linter out of the
way (`dbagent dryrun` does not lint), stopped by the sandbox itself. A canary file is never
created or read."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dbagent import dry_run
from dbagent.lint import SqlSource, lint

ATTACKS = yaml.safe_load((Path(__file__).parent / "fixtures" / "attacks" / "attacks.yml").read_text())["attacks"]


@pytest.fixture
def canary(tmp_path):
    path = tmp_path / "canary"
    path.write_text("secret-canary-contents")
    path.chmod(0o600)
    return path


@pytest.mark.parametrize("name", list(ATTACKS))
def test_lint_wall_refuses(name, tmp_path):
    sql = ATTACKS[name].format(canary=tmp_path / "canary")
    report = lint([SqlSource(name="attack.sql", text=sql)])
    blocking = [f for f in report.findings if f.group in ("sandbox", "security") and f.severity == "error"]
    assert blocking, f"{name}: lint let it through: {[(f.rule, f.severity) for f in report.findings]}"


@pytest.mark.parametrize("name", list(ATTACKS))
def test_sandbox_wall_stops_it_without_lint(name, write, canary, sandbox):
    sql = ATTACKS[name].format(canary=canary)
    result = dry_run([write("attack.sql", sql + "\n")])
    assert result.status == "failed", f"{name}: the sandbox ran it: {result.dry_run.statements}"
    outputs = " ".join(result.dry_run.output + [s.message or "" for s in result.dry_run.statements])
    assert "secret-canary-contents" not in outputs          # never read
    assert canary.read_text() == "secret-canary-contents"   # never written
    assert not (canary.parent / "canary.created").exists()
