from dbagent.lint._ast import ast, names, qualname
from dbagent.lint.rules._common import alter_cmds
from dbagent.lint._rule import Rule


class FkWithoutIndex(Rule):
    """A foreign key whose columns lead no index: deletes on the parent and joins scan the child table.

    Bad:
        CREATE TABLE shipments (id bigint PRIMARY KEY, order_id bigint NOT NULL REFERENCES orders (id));

    Good:
        CREATE TABLE shipments (id bigint PRIMARY KEY, order_id bigint NOT NULL REFERENCES orders (id));
        CREATE INDEX shipments_order_id_idx ON shipments (order_id);
    """

    id = "fk-without-index"
    group = "indexing"
    severity = "warning"
    hint = "create an index whose leading columns are the foreign key's columns"

    def check(self, s, ctx):
        node = s.node
        found = ctx.state(self.id)
        if isinstance(node, ast.CreateStmt):
            table = qualname(node.relation)
            for elt in node.tableElts or ():
                if isinstance(elt, ast.ColumnDef):
                    for con in elt.constraints or ():
                        if con.contype.name == "CONSTR_FOREIGN":
                            found[(table, (elt.colname,))] = s
                elif isinstance(elt, ast.Constraint) and elt.contype.name == "CONSTR_FOREIGN":
                    found[(table, tuple(names(elt.fk_attrs)))] = s
        for cmd in alter_cmds(node, "AT_AddConstraint"):
            if isinstance(cmd.def_, ast.Constraint) and cmd.def_.contype.name == "CONSTR_FOREIGN":
                found[(qualname(node.relation), tuple(names(cmd.def_.fk_attrs)))] = s
        return ()

    def finish(self, ctx):
        for (table, cols), s in ctx.state(self.id).items():
            if table not in ctx.catalog.tables:
                continue
            covered = any(set(i.columns[:len(cols)]) == set(cols) and not i.partial
                          for i in ctx.catalog.indexes_on(table))
            if not covered:
                yield self.hit(s, f"foreign key {table} ({', '.join(cols)}) has no index")
