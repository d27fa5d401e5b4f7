"""The lint corpus: hand-written migrations plus every rule case exported as a file.

    python benchmarks/lint_corpus.py export   # rewrite tests/fixtures/lint/corpus/cases/ from the YAML

The exported files exist so that other tools (squawk) can read every case; a test checks
they match the YAML fixtures.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
LINT = ROOT / "tests" / "fixtures" / "lint"
CORPUS = LINT / "corpus"
CASES = CORPUS / "cases"
SCHEMA = LINT / "doc_schema.sql"


def rule_cases() -> dict[str, str]:
    """File name -> SQL for every named case of every rule's YAML fixture.

    A case split with `-- file: NAME` markers becomes one file per part, keeping the part's
    name as the suffix so that its role (e.g. NAME.down.sql, a rollback) survives.
    """
    out = {}
    for path in sorted((LINT / "rules").glob("*.yml")):
        data = yaml.safe_load(path.read_text())
        for name, case in data["cases"].items():
            kind = "fail" if "fail_sql" in case else "pass"
            stem = f"{data['rule']}--{name.replace('_', '-')}--{kind}"
            parts: list[tuple[str, list[str]]] = [("", [])]
            for line in case.get("fail_sql", case.get("pass_sql")).splitlines(keepends=True):
                if line.startswith("-- file: "):
                    parts.append((line.removeprefix("-- file: ").strip(), []))
                else:
                    parts[-1][1].append(line)
            for part, lines in parts:
                if part or any(l.strip() for l in lines):
                    out[f"{stem}--{part}" if part else f"{stem}.sql"] = "".join(lines)
    return out


def corpus_files() -> list[Path]:
    """Every corpus file: the hand-written migrations, then the exported rule cases."""
    return sorted(CORPUS.glob("*.sql")) + sorted(CASES.glob("*.sql"))


def export() -> int:
    CASES.mkdir(parents=True, exist_ok=True)
    wanted = rule_cases()
    for stale in set(p.name for p in CASES.glob("*.sql")) - set(wanted):
        (CASES / stale).unlink()
    for name, sql in wanted.items():
        (CASES / name).write_text(sql)
    print(f"{len(wanted)} case files in {CASES.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(export() if sys.argv[1:] == ["export"] else print(__doc__) or 2)
