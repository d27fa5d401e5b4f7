"""Golden files for the report parser: tests/fixtures/reports/<case>.expected.json.

    python tests/golden_reports.py     # regenerate after a deliberate parser change

Each file records the sha256 of its report, so a changed report is caught as well as a
changed parser.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

REPORTS = Path(__file__).parent / "fixtures" / "reports"


def cases() -> list[Path]:
    return sorted(p for p in REPORTS.glob("*.md"))


def expected_path(report: Path) -> Path:
    return report.with_name(report.stem + ".expected.json")


def golden(report: Path) -> dict:
    from dbagent.report import parse_report

    text = report.read_text(encoding="utf-8")
    return {
        "_generated": f"by tests/golden_reports.py from {report.name}; do not edit",
        "_source_sha256": hashlib.sha256(text.encode()).hexdigest(),
        "report": parse_report(text).model_dump(mode="json"),
    }


def main() -> int:
    for report in cases():
        expected_path(report).write_text(json.dumps(golden(report), indent=1, ensure_ascii=False) + "\n")
        print("wrote", expected_path(report).name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
