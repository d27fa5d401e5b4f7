from dbagent.lint.rules._locking import locks_existing_table
from dbagent.lint._rule import Rule


class MissingStatementTimeout(Rule):
    """Locking DDL on an existing table with no statement_timeout can hold its lock for as long as it runs.

    Bad:
        ALTER TABLE orders ADD COLUMN note text;

    Good:
        SET statement_timeout = '30s';
        ALTER TABLE orders ADD COLUMN note text;
    """

    id = "missing-statement-timeout"
    group = "locks"
    severity = "warning"
    hint = "SET statement_timeout before the first locking statement"

    def check(self, s, ctx):
        table = locks_existing_table(s, ctx)
        reported = ctx.state(self.id).setdefault("files", set())
        if table and not ctx.file.statement_timeout and not s.nested and s.source.name not in reported:
            reported.add(s.source.name)  # once per file, at the first locking statement (as squawk)
            yield self.hit(s, f"statement locks existing table {table} with no statement_timeout set")
