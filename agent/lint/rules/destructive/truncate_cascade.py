from dbagent.lint._ast import ast, qualname
from dbagent.lint._rule import Rule


class TruncateCascade(Rule):
    """TRUNCATE ... CASCADE also empties every table that references this one, recursively.

    Bad:
        TRUNCATE customers CASCADE;

    Good:
        TRUNCATE order_lines, orders, customers;  -- name each table you mean to empty
    """

    id = "truncate-cascade"
    group = "destructive"
    severity = "warning"
    hint = "list every table to empty explicitly instead of CASCADE"

    def check(self, s, ctx):
        if isinstance(s.node, ast.TruncateStmt) and s.node.behavior.name == "DROP_CASCADE":
            tables = ", ".join(qualname(r) for r in s.node.relations or ())
            yield self.hit(s, f"TRUNCATE {tables} CASCADE empties every referencing table too")
