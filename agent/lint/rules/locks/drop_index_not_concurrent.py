from dbagent.lint._ast import ast
from dbagent.lint.rules._common import dropped_objects, qualify
from dbagent.lint._rule import Rule


class DropIndexNotConcurrent(Rule):
    """DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the index's table.

    Bad:
        DROP INDEX orders_status_idx;

    Good:
        DROP INDEX CONCURRENTLY IF EXISTS orders_status_idx;
    """

    id = "drop-index-not-concurrent"
    group = "locks"
    severity = "warning"
    hint = "use DROP INDEX CONCURRENTLY IF EXISTS in a non-transactional file"

    def check(self, s, ctx):
        node = s.node
        if isinstance(node, ast.DropStmt) and node.removeType.name == "OBJECT_INDEX" and not node.concurrent:
            for parts in dropped_objects(node):
                index = ctx.catalog.indexes.get(qualify(parts))
                if index is None or ctx.existed(index.table):
                    yield self.hit(s, f"index {'.'.join(parts)} is dropped without CONCURRENTLY")
