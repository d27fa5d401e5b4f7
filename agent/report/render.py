"""Report -> markdown through the jinja2 template prompts/report.md.j2."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import jinja2

import dbagent.prompts
from dbagent.report.models import SECTION_FIELDS, SECTION_TITLES, Report

_HEADING = re.compile(r"^(#{1,6})\s", re.M)
_FENCE = re.compile(r"^\s*(```|~~~).*?^\s*\1", re.M | re.S)


@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(dbagent.prompts.__file__).parent),
                             keep_trailing_newline=True, autoescape=False, undefined=jinja2.StrictUndefined)
    return env.get_template("report.md.j2")


def _section_level(bodies: list[str]) -> int:
    """Section headings one level above the shallowest heading inside any body (## by default)."""
    levels = [len(m.group(1)) for body in bodies for m in _HEADING.finditer(_FENCE.sub("", body))]
    return max(1, min(2, min(levels, default=3) - 1))


def render_report(report: Report) -> str:
    """The report as markdown; parse_report of the result gives back an equal Report."""
    sections = [(n, SECTION_TITLES[n], getattr(report, SECTION_FIELDS[n])) for n in range(1, 12)]
    hashes = "#" * _section_level([s.body for _, _, s in sections])
    return _template().render(report=report, sections=sections, hashes=hashes).rstrip("\n") + "\n"
