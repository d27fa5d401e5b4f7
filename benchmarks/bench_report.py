"""Report parsing speed: a 200 KB report (two corpus reports' worth of sections) and each corpus report.

    python benchmarks/bench_report.py

Target: parsing a 200 KB report <= 50 ms.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from dbagent.report import parse_report, render_report

REPORTS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "reports"


def timed(text: str, runs: int = 15) -> float:
    parse_report(text)  # warm: imports, the markdown-it instance
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        parse_report(text)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def big_report(size: int = 200_000) -> str:
    """A valid report of about `size` bytes: the largest corpus report with its files copied
    into further folders (copy1/, copy2/, ...) until it is big enough."""
    report = parse_report((REPORTS / "supplier-rating-feature.md").read_text())
    artifacts, listed = list(report.code.artifacts), list(report.files.files)
    k = 0
    text = render_report(report)
    while len(text.encode()) < size:
        k += 1
        artifacts += [a.model_copy(update={"path": f"copy{k}/{a.path}"}) for a in report.code.artifacts]
        listed += [f.model_copy(update={"path": f"copy{k}/{f.path}"}) for f in report.files.files]
        text = render_report(report.model_copy(update={
            "code": report.code.model_copy(update={"artifacts": artifacts, "body": ""}),
            "files": report.files.model_copy(update={"files": listed, "body": ""})}))
    return text


def main() -> int:
    for path in sorted(REPORTS.glob("*.md")):
        text = path.read_text()
        print(f"{path.name:<32} {len(text.encode()) / 1024:6.0f} KB  {timed(text):6.1f} ms")
    text = big_report()
    print(f"{'generated 200 KB report':<32} {len(text.encode()) / 1024:6.0f} KB  {timed(text):6.1f} ms   target <= 50 ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
