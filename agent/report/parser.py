"""Markdown report -> Report, as named steps; what is missing becomes located problems.

    STEPS = (tokenize, find_sections, read_sections, bind_code, check_complete)

The parser takes what strong models write (numbered or bold headings, emoji, merged or
reordered sections, file names in headings, bold lines, fence info strings or file comments)
and never invents SQL: a file with no code block is a problem, not a guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath

from markdown_it.token import Token
from pglast import parse_sql

from dbagent.errors import ReportParseError
from dbagent.lint._ast import ParseError, ast
from dbagent.lint._engine import parsed
from dbagent.lint.rules._common import is_concurrent
from dbagent.report import _extract as extract
from dbagent.report._blocks import Fence, walk
from dbagent.report._files import fence_files, kind_of, listed_files, resolve, says_nontransactional
from dbagent.report._markdown import SectionText, split_sections, tokens_of
from dbagent.report.models import (SECTION_TITLES, ArtifactRole, Classification, Code, Deployment,
                                   FileEntry, FilesStructure, ImplementationPlan, Maintenance, Report,
                                   ReportProblem, Requirements, RollbackProcedures, SqlArtifact,
                                   SuccessMetrics, Summary, Validation, stem)

_SQL_INFOS = {"", "sql", "psql", "pgsql", "postgresql", "postgres", "plpgsql"}


@dataclass
class Parse:
    """One parse's text, intermediate results and problems."""

    text: str
    tokens: list[Token] = field(default_factory=list)
    title: str = ""
    sections: dict[int, list[SectionText]] = field(default_factory=dict)
    blocks: dict[int, tuple] = field(default_factory=dict)   # section -> (paragraphs, items, tables, fences)
    fields: dict[str, object] = field(default_factory=dict)
    problems: list[ReportProblem] = field(default_factory=list)

    def problem(self, section: int | None, message: str, line: int | None = None) -> None:
        self.problems.append(ReportProblem(section=section, line=line, message=message))


def tokenize(p: Parse) -> None:
    """markdown-it-py tokens, with line ranges."""
    p.tokens = tokens_of(p.text)


def find_sections(p: Parse) -> None:
    """Which headings start which of the 11 sections; a missing one is a problem."""
    p.title, p.sections = split_sections(p.text, p.tokens)
    for number, title in SECTION_TITLES.items():
        if number not in p.sections:
            p.problem(number, f"section {number} ({title}) is missing: add a heading '## {number}. {title}'")


def read_sections(p: Parse) -> None:
    """Paragraphs, list items, tables and fences of each section, then its structured fields."""
    for number, parts in p.sections.items():
        merged: tuple[list, list, list, list] = ([], [], [], [])
        for part in parts:
            for acc, got in zip(merged, walk(_slice(p.tokens, part.start, part.end))):
                acc.extend(got)
        p.blocks[number] = merged
    b = lambda n: p.blocks.get(n, ([], [], [], []))  # noqa: E731
    level, rationale = extract.classification(*b(1)[:3])
    if 1 in p.sections and level is None:
        p.problem(1, "section 1 gives no classification: write one of CRITICAL, HIGH, MEDIUM, LOW or MAINTENANCE",
                  _line(p, 1))
    p.fields["classification"] = Classification(body=_body(p, 1), level=level or "MEDIUM", rationale=rationale)
    p.fields["summary"] = Summary(body=_body(p, 2), **extract.summary(*b(2)[:3]))
    functional, non_functional = extract.requirements(b(3)[1], b(3)[2])
    p.fields["requirements"] = Requirements(body=_body(p, 3), functional=functional, non_functional=non_functional)
    p.fields["files"] = FilesStructure(body=_body(p, 4), files=listed_files(*b(4)))
    p.fields["plan"] = ImplementationPlan(body=_body(p, 5), phases=extract.plan(b(5)[1], b(5)[2], []))
    p.fields["validation"] = Validation(body=_body(p, 7), items=extract.checklist(b(7)[1]))
    staging, production = extract.deployment(b(8)[1], b(8)[2])
    p.fields["deployment"] = Deployment(body=_body(p, 8), staging=staging, production=production)
    p.fields["metrics"] = SuccessMetrics(body=_body(p, 9), metrics=extract.metrics(b(9)[1], b(9)[2]))
    tasks, alerts = extract.maintenance(b(10)[1], b(10)[2])
    p.fields["maintenance"] = Maintenance(body=_body(p, 10), tasks=tasks, alerts=alerts)


def bind_code(p: Parse) -> None:
    """SQL blocks of sections 6 and 11, bound to file names; differing duplicates are problems."""
    listed: list[FileEntry] = p.fields["files"].files
    by_path = {e.path: e for e in listed}
    artifacts: dict[str, SqlArtifact] = {}
    where: dict[str, int] = {}
    used_lines: set[int] = set()
    for number in (6, 11):
        for fence in p.blocks.get(number, ([], [], [], []))[3]:
            info = fence.info.split()[0].lower() if fence.info.split() else ""
            if info not in _SQL_INFOS and not fence.info.lower().endswith((".sql", ".psql")):
                continue
            for name, sql in fence_files(fence):
                if name is None:
                    continue
                path = resolve(name, listed)
                entry = by_path.get(path)
                if number == 11 and entry is None and kind_of(path) != "rollback":
                    continue
                used_lines.add(fence.line)
                line = fence.line + 1
                if path in artifacts:
                    if artifacts[path].sql.strip() != sql.strip():
                        p.problem(number, f"section {number} has two different blocks for {path} "
                                          f"(lines {where[path]} and {line}): keep one", line)
                    continue
                artifacts[path] = SqlArtifact(path=path, role=_role(path, entry, fence, sql), sql=sql,
                                              section=number)
                where[path] = line
    p.fields["code"] = Code(body=_body(p, 6), artifacts=list(artifacts.values()))
    steps, queries = extract.rollback_steps(p.blocks.get(11, ([], [], [], []))[1],
                                            p.blocks.get(11, ([], [], [], []))[3], used_lines)
    p.fields["rollback"] = RollbackProcedures(body=_body(p, 11), steps=steps, validation_queries=queries)


def check_complete(p: Parse) -> None:
    """Every listed file has code; every forward migration has a rollback; there is SQL at all."""
    code: Code = p.fields["code"]
    have = {a.path for a in code.artifacts}
    if 6 in p.sections and not code.artifacts:
        p.problem(6, "section 6 gives no SQL file: put each file in a ```sql block under a line naming "
                     "it, e.g. **File: `migrations/001_x.sql`**", _line(p, 6))
    for entry in p.fields["files"].files:
        if entry.path not in have:
            p.problem(4, f"section 4 lists {entry.path} but no code block gives it: add it to section 6 "
                         "under a heading or line that names the file", _line(p, 4))
    downs = {stem(a.path) for a in code.artifacts if a.role == "down"}
    for a in code.artifacts:
        if a.role in ("up", "up-nontransactional") and stem(a.path) not in downs:
            p.problem(11, f"{a.path} has no rollback: give {_down_name(a.path)} (in section 6 or 11) "
                          "that undoes it", _line(p, 11) or _line(p, 6))


STEPS = (tokenize, find_sections, read_sections, bind_code, check_complete)


def parse_report(text: str) -> Report:
    """The Report in `text`; raises ReportParseError listing every located problem."""
    # markdown-it normalises line ends and NULs before it counts lines; so do we
    p = Parse(text.replace("\r\n", "\n").replace("\r", "\n").replace("\0", "\ufffd"))
    for step in STEPS:
        step(p)
    if p.problems:
        raise ReportParseError(p.problems)
    return Report(title=p.title, **p.fields)


# --- helpers ----------------------------------------------------------------------------------

def _slice(tokens: list[Token], start: int, end: int) -> list[Token]:
    """Tokens of the lines [start, end), as a contiguous run (closing tokens included)."""
    first = next((i for i, t in enumerate(tokens) if t.map and t.map[0] >= start), len(tokens))
    last = next((i for i in range(first, len(tokens)) if tokens[i].map and tokens[i].map[0] >= end
                 and tokens[i].level == 0), len(tokens))
    return tokens[first:last]


def _body(p: Parse, number: int) -> str:
    parts = p.sections.get(number, [])
    return "\n\n".join(dict.fromkeys(part.body for part in parts))


def _line(p: Parse, number: int) -> int | None:
    parts = p.sections.get(number)
    return parts[0].heading_line + 1 if parts else None


def _role(path: str, entry: FileEntry | None, fence: Fence, sql: str) -> ArtifactRole:
    kind = entry.kind if entry else kind_of(path)
    if kind == "rollback":
        return "down"
    if kind == "test":
        return "verify"
    if kind == "script":
        return "script"
    if says_nontransactional(fence.context, fence.headings, entry.purpose if entry else "") or _needs_autocommit(sql):
        return "up-nontransactional"
    return "up"


def _needs_autocommit(sql: str) -> bool:
    """Statements PostgreSQL refuses in a transaction block, in a file that opens none."""
    low = sql.lower()
    if "concurrently" not in low and "vacuum" not in low:  # fast path: pglast decides the rest
        return False
    try:
        nodes = [raw.stmt for raw in parse_sql(sql)]  # PostgreSQL's parser in C: fast on a whole file
    except ParseError:  # psql meta-commands or variables: statement by statement
        nodes = [node for node, *_ in parsed(sql) if node is not None]
    if any(isinstance(n, ast.TransactionStmt) for n in nodes):
        return False
    return any(is_concurrent(n) or (isinstance(n, ast.VacuumStmt) and n.is_vacuumcmd) for n in nodes)


def _down_name(path: str) -> str:
    p = PurePosixPath(path)
    return str(p.with_name(f"{stem(path)}.down{p.suffix}"))
