from dbagent.lint.rules._locking import locks_existing_table
from dbagent.lint._rule import Rule


class MissingLockTimeout(Rule):
    """Locking DDL on an existing table with no lock_timeout can queue behind a long query and block everyone.

    Bad:
        ALTER TABLE orders ADD COLUMN note text;

    Good:
        SET lock_timeout = '5s';
        ALTER TABLE orders ADD COLUMN note text;
    """

    id = "missing-lock-timeout"
    group = "locks"
    severity = "warning"
    hint = "SET lock_timeout (e.g. '5s') before the first locking statement, and retry on timeout"

    def check(self, s, ctx):
        table = locks_existing_table(s, ctx)
        reported = ctx.state(self.id).setdefault("files", set())
        if table and not ctx.file.lock_timeout and not s.nested and s.source.name not in reported:
            reported.add(s.source.name)  # once per file, at the first locking statement (as squawk)
            yield self.hit(s, f"statement locks existing table {table} with no lock_timeout set")
