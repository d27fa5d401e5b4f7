"""dbagent lint beside squawk on the same corpus, same machine, same run.

    pip install squawk-cli   # squawk's own PyPI wheel
    python benchmarks/bench_lint.py

Prints, for every rule both tools have, how often they flag the same statements
(agreement = statements both flag / statements either flags), the disagreements by
file and line, and the speed of each (statements per second) on the whole corpus
and on a generated 1,000-statement file.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

from lint_corpus import SCHEMA, corpus_files

from dbagent.lint import LintConfig, SqlSource, lint
from dbagent.lint._ast import ast, qualname
from dbagent.lint._engine import build_catalog, parsed
from dbagent.lint.models import is_rollback_name
from dbagent.lint.rules._common import dropped_objects, qualify

# Comparison groups: our rules and squawk's rules that check the same hazard. Where the
# two tools split one hazard differently (e.g. squawk reports ADD UNIQUE and a VALIDATE in
# the adding transaction as constraint-missing-not-valid), the group holds both sides.
SHARED = {
    "index-not-concurrent": ({"index-not-concurrent"}, {"require-concurrent-index-creation"}),
    "drop-index-not-concurrent": ({"drop-index-not-concurrent"}, {"require-concurrent-index-deletion"}),
    "reindex-not-concurrent": ({"reindex-not-concurrent"}, {"require-concurrent-reindex"}),
    "detach-partition-not-concurrent": ({"detach-partition-not-concurrent"},
                                        {"require-concurrent-partition-detach"}),
    "constraints-under-lock": ({"constraint-not-valid-missing", "validate-same-transaction",
                                "unique-or-pk-without-index"},
                               {"constraint-missing-not-valid", "disallowed-unique-constraint",
                                "adding-serial-primary-key-field"}),
    "set-not-null-scan": ({"set-not-null-scan"}, {"adding-not-nullable-field"}),
    "volatile-default-rewrite": ({"volatile-default-rewrite"}, {"adding-field-with-default"}),
    "column-type-rewrite": ({"column-type-rewrite"}, {"changing-column-type"}),
    "add-required-column": ({"add-required-column"}, {"adding-required-field"}),
    "drop-column": ({"drop-column"}, {"ban-drop-column"}),
    "drop-table": ({"drop-table"}, {"ban-drop-table"}),
    "drop-not-null": ({"drop-not-null"}, {"ban-drop-not-null"}),
    "rename-object": ({"rename-object"}, {"renaming-column", "renaming-table"}),
    "truncate-cascade": ({"truncate-cascade"}, {"ban-truncate-cascade"}),
    "transaction-nesting": ({"transaction-nesting"}, {"transaction-nesting"}),
    "uncommitted-transaction": ({"uncommitted-transaction"}, {"ban-uncommitted-transaction"}),
    "concurrently-in-transaction": ({"concurrently-in-transaction"},
                                    {"ban-concurrent-index-creation-in-transaction"}),
    "missing-lock-timeout": ({"missing-lock-timeout"}, {"require-lock-timeout"}),
    "missing-statement-timeout": ({"missing-statement-timeout"}, {"require-statement-timeout"}),
    "prefer-timestamptz": ({"prefer-timestamptz"}, {"prefer-timestamp-tz"}),
    "prefer-bigint": ({"prefer-bigint"}, {"prefer-bigint-over-int", "prefer-bigint-over-smallint"}),
    "prefer-text": ({"prefer-text"}, {"prefer-text-field"}),
    "prefer-identity": ({"prefer-identity"}, {"prefer-identity"}),
}


def statement_spans(text: str) -> list[tuple[int, int]]:
    """(first line, last line) of each statement, with our splitter."""
    return [(piece.line, piece.line + piece.text.count("\n")) for node, piece, _, _ in parsed(text)
            if node is not None]


def _targets(node) -> set[str]:
    rel = getattr(node, "relation", None)
    names = {qualname(rel)} if isinstance(rel, ast.RangeVar) else set()
    if isinstance(node, ast.DropStmt):
        names |= {qualify(p) for p in dropped_objects(node)}
    return names


@lru_cache(maxsize=None)
def _nodes(text: str) -> list:
    """Each file is parsed once, however many of its statements disagree."""
    return [node for node, *_ in parsed(text) if node is not None]


def reason(group: str, who: str, file: str, index: int, text: str, existing: set[str]) -> str:
    """Why the tools disagree on this statement, by category (see README, lint design notes)."""
    nodes = _nodes(text)
    node = nodes[index] if index is not None and index < len(nodes) else None
    created = {qualname(n.relation) for n in nodes[:index or 0] if isinstance(n, ast.CreateStmt)}
    if is_rollback_name(file):
        return "rollback file: dropping and relaxing is what a rollback does"
    if node is not None and _targets(node) & created:
        return "object created earlier in the same migration: no live traffic yet"
    if who == "dbagent only" and isinstance(node, (ast.DoStmt, ast.CreateFunctionStmt)):
        return "inside a DO block or function body: squawk does not parse PL/pgSQL"
    if group.startswith("missing-") and who == "squawk only":
        return "the statement takes no blocking lock on a relation that existed before"
    if group.startswith("missing-") and who == "dbagent only":
        return "squawk reported an earlier statement that takes no blocking lock"
    if group == "column-type-rewrite" and who == "squawk only":
        return "binary-coercible type change (varchar to text): no rewrite"
    if group == "volatile-default-rewrite" and who == "dbagent only":
        return "serial column: its default nextval() is volatile and rewrites the table"
    if node is not None and not (_targets(node) & existing) and who == "squawk only":
        return "the table did not exist before the migration"
    return "unexplained"


def statement_of(spans: list[tuple[int, int]], line: int) -> int | None:
    for i, (first, last) in enumerate(spans):
        if first <= line <= last:
            return i
    return None


def run_squawk(squawk: str, files: list[Path]) -> tuple[list[dict], float]:
    started = time.perf_counter()
    proc = subprocess.run([squawk, "--reporter", "json", "--pg-version", "17", *map(str, files)],
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    return (json.loads(proc.stdout) if proc.stdout.strip() else []), elapsed


def run_ours(files: list[Path], schema: str) -> tuple[list, float]:
    started = time.perf_counter()
    findings = []
    for f in files:  # one file at a time, as squawk judges each file on its own
        findings += lint([SqlSource(name=str(f), text=f.read_text())], schema, LintConfig()).findings
    return findings, time.perf_counter() - started


def main() -> int:
    squawk = shutil.which("squawk") or str(Path(sys.executable).parent / "squawk")
    if not Path(squawk).exists():
        print("squawk not found: pip install squawk-cli")
        return 2
    version = subprocess.run([squawk, "--version"], capture_output=True, text=True).stdout.strip()
    files = corpus_files()
    schema = SCHEMA.read_text()
    texts = {str(f): f.read_text() for f in files}
    spans = {name: statement_spans(text) for name, text in texts.items()}
    total_statements = sum(len(s) for s in spans.values())

    ours, our_time = run_ours(files, schema)
    theirs, their_time = run_squawk(squawk, files)

    flagged: dict[str, dict[str, set]] = defaultdict(lambda: {"ours": set(), "squawk": set()})
    for group, (our_rules, their_rules) in SHARED.items():
        for f in ours:
            if f.rule in our_rules:
                flagged[group]["ours"].add((f.file, statement_of(spans[f.file], f.line)))
        for v in theirs:
            if v["rule_name"] in their_rules:  # squawk counts lines from 0
                flagged[group]["squawk"].add((v["file"], statement_of(spans[v["file"]], v["line"] + 1)))

    print(f"corpus: {len(files)} files, {total_statements} statements; squawk {version}; schema {SCHEMA.name}")
    print(f"{'comparison group':<34} {'both':>5} {'ours':>5} {'sqwk':>5}  agreement")
    both_total = either_total = 0
    disagreements = []
    for rule in SHARED:
        o, s = flagged[rule]["ours"], flagged[rule]["squawk"]
        both, either = len(o & s), len(o | s)
        both_total += both
        either_total += either
        agreement = f"{both / either:.0%}" if either else "-"
        print(f"{rule:<34} {both:>5} {len(o - s):>5} {len(s - o):>5}  {agreement}")
        disagreements += [(rule, "dbagent only", *k) for k in sorted(o - s, key=str)]
        disagreements += [(rule, "squawk only", *k) for k in sorted(s - o, key=str)]
    print(f"overall agreement on shared rules: {both_total}/{either_total} = "
          f"{both_total / either_total:.1%}")
    lock_free = [g for g in SHARED if not g.startswith("missing-")]
    both_nt = sum(len(flagged[g]["ours"] & flagged[g]["squawk"]) for g in lock_free)
    either_nt = sum(len(flagged[g]["ours"] | flagged[g]["squawk"]) for g in lock_free)
    print(f"agreement without the two timeout rules: {both_nt}/{either_nt} = {both_nt / either_nt:.1%}")
    existing = set(build_catalog(schema, LintConfig()).tables)
    explained: dict[str, int] = defaultdict(int)
    unexplained = []
    for group, who, file, index in disagreements:
        why = reason(group, who, file, index, texts[file], existing)
        explained[why] += 1
        if why == "unexplained":
            unexplained.append((group, who, Path(file).name, index))
    print("\ndisagreements by reason:")
    for why, count in sorted(explained.items(), key=lambda kv: -kv[1]):
        print(f"  {count:4d}  {why}")
    for item in unexplained:
        print("  unexplained:", *item)
    agreed_or_explained = both_total + sum(c for w, c in explained.items() if w != "unexplained")
    print(f"agreement counting explained disagreements as agreement: {agreed_or_explained}/{either_total} "
          f"= {agreed_or_explained / either_total:.1%}")
    print("\nspeed on the corpus:")
    print(f"  dbagent {total_statements / our_time:8.0f} statements/s ({our_time * 1000:.0f} ms, schema-aware)")
    print(f"  squawk  {total_statements / their_time:8.0f} statements/s ({their_time * 1000:.0f} ms, one process)")

    big = "\n".join(texts[str(f)] for f in sorted(files)[:40] if "dbagent:ignore" not in texts[str(f)])
    while len(statement_spans(big)) < 1000:
        big += "\n" + big
    pieces = statement_spans(big)
    lines = big.splitlines(keepends=True)
    big = "".join(lines[:pieces[999][1]])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "thousand.sql"
        path.write_text(big)
        count = len(statement_spans(big))
        _, ours_big = run_ours([path], schema)
        _, ours_big2 = run_ours([path], schema)
        _, theirs_big = run_squawk(squawk, [path])
    best = min(ours_big, ours_big2)
    print(f"\n{count}-statement file: dbagent {best * 1000:.0f} ms ({count / best:.0f} statements/s), "
          f"squawk {theirs_big * 1000:.0f} ms ({count / theirs_big:.0f} statements/s); target <= 1000 ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
