from dbagent.lint._ast import ast
from dbagent.lint.rules._common import alter_cmds, existing_table
from dbagent.lint._rule import Rule


class ConstraintNotValidMissing(Rule):
    """ADD FOREIGN KEY or CHECK on an existing table scans it under lock unless added NOT VALID.

    Bad:
        ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id);

    Good:
        ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;
        ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk;
    """

    id = "constraint-not-valid-missing"
    group = "locks"
    severity = "error"
    hint = "add the constraint NOT VALID, then VALIDATE CONSTRAINT in a later transaction"

    def check(self, s, ctx):
        table = existing_table(s, ctx)
        if not table:
            return
        for cmd in alter_cmds(s.node, "AT_AddConstraint"):
            con = cmd.def_
            if isinstance(con, ast.Constraint) and con.contype.name in ("CONSTR_FOREIGN", "CONSTR_CHECK") \
                    and not con.skip_validation:
                kind = "foreign key" if con.contype.name == "CONSTR_FOREIGN" else "check constraint"
                yield self.hit(s, f"{kind} {con.conname or '(unnamed)'} on existing table {table} "
                                  "is validated while it is added", con)
