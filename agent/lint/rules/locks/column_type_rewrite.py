from dbagent.lint._ast import ast, type_name
from dbagent.lint.rules._common import alter_cmds, existing_table
from dbagent.lint._rule import Rule

# old type -> new types PostgreSQL changes without a rewrite (binary-coercible, or a wider limit)
SAFE = {"varchar": {"varchar", "text"}, "text": {"text", "varchar"}, "numeric": {"numeric"},
        "cidr": {"inet"}, "bit": {"varbit"}, "varbit": {"varbit"}}


class ColumnTypeRewrite(Rule):
    """ALTER COLUMN TYPE that is not binary-coercible rewrites the table and its indexes under lock.

    Bad:
        ALTER TABLE orders ALTER COLUMN amount TYPE bigint;

    Good:
        ALTER TABLE orders ALTER COLUMN note TYPE text;  -- varchar to text: no rewrite
    """

    id = "column-type-rewrite"
    group = "locks"
    severity = "error"
    hint = "add a new column, backfill it in batches, and swap; or confirm no rewrite in the dry-run (relfilenode)"

    def check(self, s, ctx):
        table = existing_table(s, ctx)
        if not table:
            return
        t = ctx.catalog.table(table)
        for cmd in alter_cmds(s.node, "AT_AlterColumnType"):
            new = type_name(cmd.def_.typeName) if isinstance(cmd.def_, ast.ColumnDef) else ""
            old = t.columns[cmd.name].type if t and cmd.name in t.columns else ""
            if old and new in SAFE.get(old, set()) and not (isinstance(cmd.def_, ast.ColumnDef)
                                                            and cmd.def_.raw_default is not None):
                continue
            yield self.hit(s, f"column {table}.{cmd.name} changes type {old or '?'} -> {new}: "
                              "the table is rewritten")
