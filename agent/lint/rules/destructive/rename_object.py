from dbagent.lint._ast import ast, qualname
from dbagent.lint.rules._common import is_forward
from dbagent.lint._rule import Rule


class RenameObject(Rule):
    """Renaming a table or column breaks every running query and client that uses the old name.

    Bad:
        ALTER TABLE orders RENAME COLUMN total TO amount;

    Good:
        ALTER TABLE orders ADD COLUMN amount numeric;  -- write both, move readers, then drop the old one
    """

    id = "rename-object"
    group = "destructive"
    severity = "warning"
    hint = "add the new name alongside the old (column, or view over the table), migrate callers, then remove the old"

    def check(self, s, ctx):
        node = s.node
        if not is_forward(s) or not isinstance(node, ast.RenameStmt):
            return
        kind = node.renameType.name.removeprefix("OBJECT_").lower()
        if node.relation is not None:
            table = qualname(node.relation)
            if table in ctx.created:
                return
            old = f"{table}.{node.subname}" if node.subname else table
        else:
            old = node.subname or kind
        yield self.hit(s, f"{kind} {old} is renamed to {node.newname}")
