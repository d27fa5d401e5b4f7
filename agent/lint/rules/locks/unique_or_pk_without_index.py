from dbagent.lint._ast import ast
from dbagent.lint.rules._common import alter_cmds, existing_table
from dbagent.lint._rule import Rule


class UniqueOrPkWithoutIndex(Rule):
    """ADD UNIQUE or PRIMARY KEY on an existing table builds its index under ACCESS EXCLUSIVE.

    Bad:
        ALTER TABLE orders ADD CONSTRAINT orders_number_key UNIQUE (tenant_id, number);

    Good:
        CREATE UNIQUE INDEX CONCURRENTLY orders_number_key ON orders (tenant_id, number);
        ALTER TABLE orders ADD CONSTRAINT orders_number_key UNIQUE USING INDEX orders_number_key;
    """

    id = "unique-or-pk-without-index"
    group = "locks"
    severity = "error"
    hint = "build a unique index CONCURRENTLY first, then ADD CONSTRAINT ... USING INDEX"

    def check(self, s, ctx):
        table = existing_table(s, ctx)
        if not table:
            return
        for cmd in alter_cmds(s.node, "AT_AddConstraint"):
            con = cmd.def_
            if isinstance(con, ast.Constraint) and con.contype.name in ("CONSTR_UNIQUE", "CONSTR_PRIMARY") \
                    and not con.indexname:
                kind = "primary key" if con.contype.name == "CONSTR_PRIMARY" else "unique constraint"
                yield self.hit(s, f"{kind} {con.conname or '(unnamed)'} on existing table {table} "
                                  "builds its index under lock", con)
