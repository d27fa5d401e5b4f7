from dbagent.lint._ast import ast
from dbagent.lint.rules._common import dropped_objects, is_forward
from dbagent.lint._rule import Rule


class DropCascadeInForward(Rule):
    """DROP ... CASCADE in a forward migration silently removes dependent views, constraints and policies.

    Bad:
        DROP VIEW order_totals CASCADE;

    Good:
        DROP VIEW IF EXISTS order_totals;  -- fails loudly if something depends on it
    """

    id = "drop-cascade-in-forward"
    group = "destructive"
    severity = "warning"
    hint = "drop dependents explicitly; without CASCADE PostgreSQL tells you what depends on the object"

    def check(self, s, ctx):
        node = s.node
        if is_forward(s) and isinstance(node, ast.DropStmt) and node.behavior.name == "DROP_CASCADE":
            what = ", ".join(".".join(p) for p in dropped_objects(node))
            yield self.hit(s, f"DROP {node.removeType.name.removeprefix('OBJECT_').lower()} {what} CASCADE")
