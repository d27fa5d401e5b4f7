from dbagent.lint._ast import ast
from dbagent.lint.rules._common import is_concurrent
from dbagent.lint._rule import Rule


class ReindexNotConcurrent(Rule):
    """REINDEX without CONCURRENTLY blocks writes to the table (and reads through the index).

    Bad:
        REINDEX INDEX orders_status_idx;

    Good:
        REINDEX INDEX CONCURRENTLY orders_status_idx;
    """

    id = "reindex-not-concurrent"
    group = "locks"
    severity = "warning"
    hint = "use REINDEX ... CONCURRENTLY (PostgreSQL 12+) outside a transaction"
    min_version = 12

    def check(self, s, ctx):
        if isinstance(s.node, ast.ReindexStmt) and not is_concurrent(s.node):
            target = s.node.name or (s.node.relation.relname if s.node.relation else "")
            yield self.hit(s, f"REINDEX of {target} without CONCURRENTLY")
