"""The spec's 11-section report: models, a parser that takes real model output, a renderer.

    from dbagent.report import parse_report, render_report
    report = parse_report(text)          # raises ReportParseError with located problems
    assert parse_report(render_report(report)) == report
"""

from dbagent.report.models import Report, ReportProblem, SqlArtifact
from dbagent.report.parser import parse_report
from dbagent.report.render import render_report

__all__ = ["Report", "ReportProblem", "SqlArtifact", "parse_report", "render_report"]
