from dbagent.lint.rules._locking import missing_timeout
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
        return missing_timeout(self, s, ctx, "statement_timeout")
