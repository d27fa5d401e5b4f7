from dbagent.lint.rules._common import is_concurrent
from dbagent.lint._rule import Rule


class ConcurrentlyInTransaction(Rule):
    """CONCURRENTLY inside a transaction block: PostgreSQL rejects it when it runs (25001).

    Bad:
        BEGIN;
        CREATE INDEX CONCURRENTLY orders_status_idx ON orders (status);
        COMMIT;

    Good:
        CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_status_idx ON orders (status);
    """

    id = "concurrently-in-transaction"
    group = "transactions"
    severity = "error"
    hint = "move CONCURRENTLY statements to their own non-transactional file, outside BEGIN ... COMMIT"
    nested = True  # a function or DO block always runs inside a transaction

    def check(self, s, ctx):
        if is_concurrent(s.node) and (s.in_transaction or s.source.role == "up" or s.nested):
            where = ("a function or DO block" if s.nested else "a transaction block" if s.in_transaction
                     else "a file that runs in one transaction (role up)")
            yield self.hit(s, f"{type(s.node).__name__.removesuffix('Stmt')} ... CONCURRENTLY inside {where}")
