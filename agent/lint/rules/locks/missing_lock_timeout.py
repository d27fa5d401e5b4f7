from dbagent.lint.rules._locking import missing_timeout
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
        return missing_timeout(self, s, ctx, "lock_timeout")
