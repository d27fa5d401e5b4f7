from dbagent.lint._ast import ast
from dbagent.lint.rules._common import dropped_objects, is_forward, qualify
from dbagent.lint._rule import Rule


class DropTable(Rule):
    """DROP TABLE in a forward migration deletes data and breaks code that still reads it.

    Bad:
        DROP TABLE legacy_orders;

    Good:
        ALTER TABLE legacy_orders RENAME TO legacy_orders_deprecated;  -- drop in a later release
    """

    id = "drop-table"
    group = "destructive"
    severity = "warning"
    hint = "stop using the table first, keep a backup, and drop it in a later release"

    def check(self, s, ctx):
        node = s.node
        if is_forward(s) and isinstance(node, ast.DropStmt) and node.removeType.name == "OBJECT_TABLE":
            for parts in dropped_objects(node):
                if qualify(parts) not in ctx.created:
                    yield self.hit(s, f"table {'.'.join(parts)} is dropped with its data")
