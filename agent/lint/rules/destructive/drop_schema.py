from dbagent.lint._ast import ast
from dbagent.lint.rules._common import dropped_objects, is_forward
from dbagent.lint._rule import Rule


class DropSchema(Rule):
    """DROP SCHEMA in a forward migration removes everything in it when CASCADE is used, and fails otherwise.

    Bad:
        DROP SCHEMA reporting CASCADE;

    Good:
        -- drop the objects you mean to drop, one by one, in a later release
        DROP VIEW IF EXISTS reporting.daily_orders;
    """

    id = "drop-schema"
    group = "destructive"
    severity = "warning"
    hint = "drop the schema's objects explicitly, after a release that stops using them"

    def check(self, s, ctx):
        if is_forward(s) and isinstance(s.node, ast.DropStmt) and s.node.removeType.name == "OBJECT_SCHEMA":
            for parts in dropped_objects(s.node):
                yield self.hit(s, f"schema {'.'.join(parts)} is dropped")
