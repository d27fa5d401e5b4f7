from dbagent.lint._ast import ast, names, walk
from dbagent.lint._catalog import relations_read
from dbagent.lint.rules._common import column_name
from dbagent.lint._rule import Rule

JSONB_OPERATORS = {"@>", "<@", "?", "?|", "?&", "@?", "@@"}


class JsonbWithoutGin(Rule):
    """A jsonb column queried with containment or key operators (@>, ?, ?|, ?&) has no GIN index.

    Bad:
        CREATE VIEW tagged AS SELECT id FROM products WHERE attributes @> '{"tag": "sale"}';

    Good:
        CREATE INDEX products_attributes_gin ON products USING gin (attributes jsonb_path_ops);
        CREATE VIEW tagged AS SELECT id FROM products WHERE attributes @> '{"tag": "sale"}';
    """

    id = "jsonb-without-gin"
    group = "indexing"
    severity = "warning"
    hint = "CREATE INDEX ... USING gin (column) (or jsonb_path_ops for @> only)"
    nested = True

    def check(self, s, ctx):
        tables = relations_read(s.node)
        for n in walk(s.node):
            if isinstance(n, ast.A_Expr) and set(names(n.name)) & JSONB_OPERATORS:
                col = column_name(n.lexpr)
                for table in tables:
                    t = ctx.catalog.table(table)
                    if col and t and t.columns.get(col) and t.columns[col].type == "jsonb":
                        ctx.state(self.id).setdefault((table, col), s)
        return ()

    def finish(self, ctx):
        for (table, col), s in ctx.state(self.id).items():
            if not any(i.method == "gin" and i.columns[:1] == (col,) for i in ctx.catalog.indexes_on(table)):
                yield self.hit(s, f"jsonb column {table}.{col} is searched with a jsonb operator but has no GIN index")
