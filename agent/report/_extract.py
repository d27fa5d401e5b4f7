"""Structured fields of each section, read from its paragraphs, lists, tables and fences."""

from __future__ import annotations

import re

from dbagent.report._blocks import Fence, Item, Table, plain
from dbagent.report.models import (Alert, Area, ChecklistItem, Metric, Phase)

LEVELS = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "MAINTENANCE")
_LEVEL = re.compile(r"\b(CRITICAL|HIGH|MEDIUM|LOW|MAINTENANCE)\b")
_LEVEL_ANY_CASE = re.compile(r"\b(critical|high|medium|low|maintenance)\b", re.I)
_SQL_START = re.compile(r"^\s*(SELECT|WITH|EXPLAIN|SHOW|TABLE)\b", re.I)


def classification(paragraphs: list[str], items: list[Item], tables: list[Table]) -> tuple[str | None, str]:
    """(level, rationale): the first level word, upper case preferred, and the text around it."""
    texts = [plain(p) for p in paragraphs] + [i.text for i in items] + \
        [" ".join(r) for t in tables for r in [t.header, *t.rows]]
    for pattern in (_LEVEL, _LEVEL_ANY_CASE):
        for text in texts:
            m = pattern.search(text)
            if m:
                rationale = text[m.end():].strip(" .:-–—*") or " ".join(texts[1:2])
                return m.group(1).upper(), rationale
    return None, ""


_SUMMARY_LABELS = {"objective": "objective", "goal": "objective", "scope": "scope",
                   "dependenc": "dependencies", "prerequisite": "dependencies",
                   "risk": "risk_assessment"}


_LABEL_END = re.compile(r"^[\w\s/&-]{0,40}?[.:]\s*")


def summary(paragraphs: list[str], items: list[Item], tables: list[Table]) -> dict[str, str]:
    """Objective, scope, dependencies, risk: a labelled paragraph ("**Scope.** ..."), or the
    list and table under a label line; the objective defaults to the first paragraph."""
    out = {"objective": "", "scope": "", "dependencies": "", "risk_assessment": ""}

    def field_of(label_text: str) -> str | None:
        low = plain(label_text).lower()
        return next((f for label, f in _SUMMARY_LABELS.items() if low.startswith(label)), None)

    for para in paragraphs:
        text = plain(para)
        field = field_of(text)
        if field and not out[field]:
            head = _LABEL_END.match(text)
            out[field] = text[head.end():].strip() if head else ""
    for text, ctx in [(i.text, i.context) for i in items if i.depth == 1] + \
            [(" | ".join(r), t.context) for t in tables for r in t.rows]:
        field = field_of(ctx) if ctx else None
        if field and len(out[field]) < 4000:
            out[field] = (out[field] + "\n" + text).strip()
    if not out["objective"] and paragraphs:
        out["objective"] = plain(paragraphs[0])
    return out


def requirements(items: list[Item], tables: list[Table]) -> tuple[list[str], list[str]]:
    functional, non_functional = [], []
    for text, ctx in [(i.text, i.context) for i in items if i.depth == 1] + \
            [(" | ".join(r), t.context) for t in tables for r in t.rows]:
        low = plain(ctx).lower()
        if "non-functional" in low or "nonfunctional" in low or "non functional" in low:
            non_functional.append(text)
        elif "functional" in low or not low:
            functional.append(text)
    return functional, non_functional


def plan(items: list[Item], tables: list[Table], headings: list[str]) -> list[Phase]:
    """Phases from a table (first column names the phase), a numbered list, or sub-headings."""
    for table in tables:
        if table.rows:
            return [Phase(name=row[0] or f"Phase {k}", steps=[c for c in row[1:] if c])
                    for k, row in enumerate(table.rows, 1)]
    phases: list[Phase] = []
    for item in items:
        if item.depth == 1:
            phases.append(Phase(name=item.text))
        elif phases:
            phases[-1].steps.append(item.text)
    if phases:
        return phases
    return [Phase(name=plain(h)) for h in headings]


def _area(context: str) -> Area:
    low = plain(context).lower()
    for area in ("schema", "security", "performance"):
        if area in low:
            return area
    return "other"


def checklist(items: list[Item]) -> list[ChecklistItem]:
    return [ChecklistItem(area=_area(i.context), text=i.text, checked=bool(i.checked)) for i in items]


def deployment(items: list[Item], tables: list[Table]) -> tuple[list[str], list[str]]:
    staging, production = [], []
    rows = [(i.text, i.context) for i in items if i.depth == 1] + \
        [(" | ".join(r), t.context) for t in tables for r in t.rows]
    for text, ctx in rows:
        low = plain(ctx).lower() or text.lower()[:40]
        if "staging" in low:
            staging.append(text)
        else:
            production.append(text)
    return staging, production


def _column(header: list[str], *words: str) -> int | None:
    for k, cell in enumerate(header):
        if any(w in cell.lower() for w in words):
            return k
    return None


def metrics(items: list[Item], tables: list[Table]) -> list[Metric]:
    out: list[Metric] = []
    for table in tables:
        name_col = _column(table.header, "metric", "name", "kpi", "measure")
        target_col = _column(table.header, "target", "goal", "threshold")
        how_col = _column(table.header, "how", "measured", "query", "source", "method")
        if name_col is None:
            name_col = 0
        for row in table.rows:
            cell = lambda k: row[k] if k is not None and k < len(row) else ""  # noqa: E731
            how = cell(how_col)
            out.append(Metric(name=cell(name_col), target=cell(target_col), measured_by=how,
                              query=how if _SQL_START.match(how) else None))
    if not out:
        for item in items:
            name, _, rest = item.text.partition(":")
            out.append(Metric(name=name.strip(), target=rest.strip()))
    return out


def maintenance(items: list[Item], tables: list[Table]) -> tuple[list[str], list[Alert]]:
    tasks: list[str] = []
    alerts: list[Alert] = []
    for table in tables:
        is_alerts = "alert" in plain(table.context).lower() or _column(table.header, "alert", "threshold") is not None
        threshold_col = _column(table.header, "threshold", "condition", "trigger", "fires")
        for row in table.rows:
            if is_alerts:
                thr = row[threshold_col] if threshold_col is not None and threshold_col < len(row) else \
                    " | ".join(row[1:])
                alerts.append(Alert(name=row[0], threshold=thr))
            else:
                tasks.append(" | ".join(c for c in row if c))
    for item in items:
        if "alert" in plain(item.context).lower():
            name, _, rest = item.text.partition(":")
            alerts.append(Alert(name=name.strip(), threshold=rest.strip()))
        elif item.depth == 1:
            tasks.append(item.text)
    return tasks, alerts


def rollback_steps(items: list[Item], fences: list[Fence], artifact_lines: set[int]) -> tuple[list[str], list[str]]:
    """Emergency steps (list items) and validation queries (SQL blocks that are not files)."""
    steps = [i.text for i in items if i.depth == 1]
    queries = [f.content.strip() for f in fences
               if f.line not in artifact_lines and f.info.split()[:1] in ([], ["sql"], ["psql"], ["pgsql"])]
    return steps, queries
