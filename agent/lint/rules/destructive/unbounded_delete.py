from dbagent.lint._ast import ast, qualname
from dbagent.lint.rules._common import is_forward
from dbagent.lint._rule import Rule


class UnboundedDelete(Rule):
    """DELETE or UPDATE without WHERE touches every row of the table.

    Bad:
        DELETE FROM sessions;

    Good:
        DELETE FROM sessions WHERE expires_at < now() - interval '30 days';
    """

    id = "unbounded-delete"
    group = "destructive"
    severity = "warning"
    hint = "add a WHERE clause (and batch large changes); use TRUNCATE if emptying the table is the intent"

    def check(self, s, ctx):
        node = s.node
        if is_forward(s) and isinstance(node, (ast.DeleteStmt, ast.UpdateStmt)) and node.whereClause is None:
            table = qualname(node.relation)
            if table not in ctx.created:
                verb = "DELETE" if isinstance(node, ast.DeleteStmt) else "UPDATE"
                yield self.hit(s, f"{verb} without WHERE touches every row of {table}")
