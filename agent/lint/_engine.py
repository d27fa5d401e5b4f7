"""The lint run as named steps: load the schema, check every file, finish, apply ignores."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from dbagent.lint._ast import ParseError, embedded_sql, parse_one
from dbagent.lint._catalog import Catalog, Replayer
from dbagent.lint._rule import Context, FileState, Rule, Stmt
from dbagent.lint._split import Ignore, Piece, Positions, interpolate, split
from dbagent.lint._tracking import track
from dbagent.lint.models import Finding, LintConfig, SqlSource
from dbagent.lint.rules.meta import IgnoreWithoutReason, ParseErrorRule, UnusedIgnore

META = "psql meta-command"  # the `error` parsed() gives a meta-command line: not SQL, not an error
_MERGE_LOOKAHEAD = 30  # BEGIN ATOMIC bodies hold semicolons: a few pieces may form one statement


@dataclass
class Run:
    """One lint run's inputs and what the steps have found so far."""

    sources: list[SqlSource]
    schema: str | None
    config: LintConfig
    rules: list[Rule]
    ctx: Context | None = None
    statements: int = 0
    variables: dict[str, str] = field(default_factory=dict)  # psql variables given from outside
    findings: list[tuple[Finding, list[Ignore]]] = field(default_factory=list)
    ignores: dict[int, Ignore] = field(default_factory=dict)
    spans: list[tuple[str, int, int, list[Ignore]]] = field(default_factory=list)  # file, lines, ignores

    def add(self, findings, ignores: list[Ignore]) -> None:
        self.findings.extend((f, ignores) for f in findings)


def parsed(text: str, variables: dict[str, str] | None = None
           ) -> Iterator[tuple[object | None, Piece, str | None, int]]:
    """(node, piece, error, error offset) per SQL statement; node None when the grammar rejects it.

    psql meta-commands are not SQL: `\\set` values are substituted into later statements
    (as psql does with :var, :'var' and :"var"); the sandbox's interpreter runs the rest.
    """
    pieces, broken = split(text)
    values = dict(variables or {})
    i = 0
    while i < len(pieces):
        piece = pieces[i]
        i += 1
        if piece.meta:
            _read_set(piece.text, values)
            yield None, piece, META, piece.offset
            continue
        if values and ":" in piece.text:
            piece = Piece(interpolate(piece.text, values), piece.offset, piece.line, piece.column,
                          piece.ignores)
        try:
            nodes = parse_one(piece.text)
        except ParseError as exc:
            nodes, merged = _merge(text, pieces, i - 1)
            if merged:
                last = pieces[merged - 1]
                piece = Piece(text[piece.offset:last.offset + len(last.text)], piece.offset,
                              piece.line, piece.column, piece.ignores)
                i = merged
            else:
                loc = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else 0
                yield None, piece, str(exc.args[0]), piece.offset + max(0, min(loc, len(piece.text)))
                continue
        for node in nodes:
            yield node, piece, None, 0
    if broken:
        yield None, Piece("", broken[0], 0, 0, []), ("cannot be tokenized from here: an unterminated "
                                                       "quote, comment or dollar quote"), broken[0]


def _read_set(meta: str, values: dict[str, str]) -> None:
    words = meta[1:].split(None, 2)
    if len(words) >= 2 and words[0] == "set":
        raw = words[2].strip() if len(words) > 2 else ""
        values[words[1]] = raw[1:-1].replace("''", "'") if raw[:1] == raw[-1:] == "'" and len(raw) > 1 else raw
    elif len(words) == 2 and words[0] == "unset":
        values.pop(words[1], None)


def _merge(text: str, pieces: list[Piece], first: int) -> tuple[tuple, int]:
    start = pieces[first].offset
    for j in range(first + 1, min(len(pieces), first + _MERGE_LOOKAHEAD)):
        if pieces[j].meta:
            break
        try:
            nodes = parse_one(text[start:pieces[j].offset + len(pieces[j].text)])
        except ParseError:
            continue
        return (nodes, j + 1) if len(nodes) == 1 else ((), 0)
    return (), 0


def build_catalog(schema: str | None, config: LintConfig) -> Catalog:
    """The catalog described by schema DDL (pg_dump output or plain DDL); a fresh copy each call."""
    return copy.deepcopy(_catalog_of(schema or "", config.tenant_setting))


@lru_cache(maxsize=16)
def _catalog_of(schema: str, setting: str) -> Catalog:
    """Cached: an agent loop lints every attempt against the same schema."""
    catalog = Catalog()
    replayer = Replayer(catalog, setting)
    for node, piece, *_ in parsed(schema):
        if node is not None:  # meta-commands and rejected statements change no catalog
            replayer.apply(node, piece.text)
    return catalog


# --- the steps ------------------------------------------------------------------------------

def load_schema(run: Run) -> None:
    """Replay the schema into the catalog; everything in it existed before the migration."""
    run.ctx = Context.start(run.config, build_catalog(run.schema, run.config), run.sources)


def check_statements(run: Run) -> None:
    """Check each statement of each file in order, then apply it to the catalog.

    Forward files run first, in their order, on the migration's catalog; rollback files
    then run on a copy of it, so the finishing rules judge the state the migration leaves.
    """
    ctx = run.ctx
    forward = [src for src in run.sources if src.effective_role() != "down"]
    rollback = [src for src in run.sources if src.effective_role() == "down"]
    for source in forward:
        _check_file(run, source, ctx.catalog)
    after_forward = ctx.catalog
    ctx.catalog = copy.deepcopy(after_forward)
    for source in rollback:
        _check_file(run, source, ctx.catalog)
    ctx.catalog = after_forward


def _check_file(run: Run, source: SqlSource, catalog) -> None:
    ctx = run.ctx
    replayer = Replayer(catalog, run.config.tenant_setting)
    nested_rules = [r for r in run.rules if r.nested]
    meta_rules = [r for r in run.rules if hasattr(r, "check_meta")]
    parse_rule = next((r for r in run.rules if isinstance(r, ParseErrorRule)), None)
    ctx.file = FileState()
    positions = Positions(source.text)
    for node, piece, error, at in parsed(source.text, run.variables):
        for ig in piece.ignores:
            ig.file = source.name
            run.ignores[id(ig)] = ig
        if error == META:
            for rule in meta_rules:
                run.add(rule.check_meta(piece.text, source.name, piece.line, piece.column), piece.ignores)
            continue
        if node is None:
            if parse_rule:
                run.add([parse_rule.at(source.name, *positions.at(at), error)], piece.ignores)
            continue
        run.statements += 1
        run.spans.append((source.name, piece.line, piece.line + piece.text.count("\n"), piece.ignores))
        s = Stmt(node, piece.text, source, source.effective_role(), piece.line, piece.column,
                 piece.offset, piece.ignores,
                 in_transaction=ctx.file.tx.explicit or run.config.assume_in_transaction,
                 _positions=positions)
        for rule in run.rules:
            run.add(rule.check(s, ctx), piece.ignores)
        for inner, built in embedded_sql(node, piece.text):
            n = Stmt(inner, piece.text, source, s.role, piece.line, piece.column, piece.offset,
                     piece.ignores, s.in_transaction, nested=True, built=built)
            for rule in nested_rules:
                run.add(rule.check(n, ctx), piece.ignores)
        track(s, ctx)  # before the catalog changes: a DROP must still see the table it locks
        replayer.apply(node, piece.text)


def finish_rules(run: Run) -> None:
    """Rules that judge the migration as a whole (RLS left off, objects without rollback)."""
    for rule in run.rules:
        for finding in rule.finish(run.ctx):
            run.findings.append((finding, _ignores_at(run, finding)))


def _ignores_at(run: Run, finding: Finding) -> list[Ignore]:
    for file, first, last, ignores in run.spans:
        if file == finding.file and first <= finding.line <= last:
            return ignores
    return []


def apply_ignores(run: Run) -> None:
    """Drop findings an ignore directive covers; flag directives without a reason or effect."""
    kept = []
    for finding, ignores in run.findings:
        match = next((i for i in ignores if finding.rule in i.rules), None)
        if match is None:
            kept.append((finding, ignores))
        else:
            match.used.add(finding.rule)
    by_id = {r.id: r for r in run.rules}
    known = set(by_id) | set(run.config.disable)
    for ig in run.ignores.values():
        if IgnoreWithoutReason.id in by_id and not ig.reason:
            kept.append((by_id[IgnoreWithoutReason.id].at(ig, "without a reason"), []))
        if UnusedIgnore.id in by_id:
            for rule_id in ig.rules or ("",):
                if rule_id not in ig.used and rule_id not in run.config.disable:
                    why = (f"'{rule_id}' is not a rule" if rule_id not in known
                           else f"'{rule_id}' suppresses nothing here")
                    kept.append((by_id[UnusedIgnore.id].at(ig, why if rule_id else "names no rule"), []))
    run.findings = kept


STEPS = (load_schema, check_statements, finish_rules, apply_ignores)
