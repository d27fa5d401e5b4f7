from dbagent.lint._ast import ast
from dbagent.lint.rules._common import is_concurrent
from dbagent.lint._rule import Rule

CREATES = (ast.CreateStmt, ast.IndexStmt, ast.CreateSchemaStmt, ast.CreateSeqStmt, ast.CreateExtensionStmt)


class NonIdempotentDdl(Rule):
    """A non-transactional step without IF [NOT] EXISTS fails when retried after a partial run.

    Bad:
        CREATE INDEX CONCURRENTLY orders_status_idx ON orders (status);

    Good:
        CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_status_idx ON orders (status);
    """

    id = "non-idempotent-ddl"
    group = "transactions"
    severity = "warning"
    hint = "add IF NOT EXISTS / IF EXISTS so the step can be re-run (drop an INVALID index left by a failed build first)"

    def check(self, s, ctx):
        node = s.node
        if s.in_transaction or s.nested or not (is_concurrent(node) or s.role == "up-nontransactional"):
            return
        if isinstance(node, CREATES) and not node.if_not_exists:
            yield self.hit(s, f"{type(node).__name__.removesuffix('Stmt')} without IF NOT EXISTS in a "
                              "non-transactional step")
        elif isinstance(node, ast.DropStmt) and not node.missing_ok:
            yield self.hit(s, "DROP without IF EXISTS in a non-transactional step")
