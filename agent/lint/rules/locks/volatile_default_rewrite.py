from dbagent.lint._ast import ast, func_name, type_name, walk
from dbagent.lint.rules._common import alter_cmds, column_default, constraint_kinds, existing_table
from dbagent.lint._rule import Rule

VOLATILE = {"random", "gen_random_uuid", "uuid_generate_v1", "uuid_generate_v1mc", "uuid_generate_v4",
            "uuidv4", "uuidv7", "clock_timestamp", "timeofday", "nextval", "txid_current", "setseed",
            "statement_timestamp", "random_normal"}
SERIAL = {"serial", "bigserial", "smallserial", "serial2", "serial4", "serial8"}


class VolatileDefaultRewrite(Rule):
    """ADD COLUMN with a volatile default (or serial, identity or stored generated) rewrites the table.

    Bad:
        ALTER TABLE orders ADD COLUMN public_id uuid DEFAULT gen_random_uuid();

    Good:
        ALTER TABLE orders ADD COLUMN public_id uuid;
        ALTER TABLE orders ALTER COLUMN public_id SET DEFAULT gen_random_uuid();
        -- then backfill existing rows in batches
    """

    id = "volatile-default-rewrite"
    group = "locks"
    severity = "error"
    hint = "add the column without the default, set the default separately, and backfill in batches"

    def check(self, s, ctx):
        table = existing_table(s, ctx)
        if not table:
            return
        for cmd in alter_cmds(s.node, "AT_AddColumn"):
            col = cmd.def_
            default = column_default(col)
            calls = {func_name(n) for n in walk(default) if isinstance(n, ast.FuncCall)} if default else set()
            tname = type_name(col.typeName)
            kinds = constraint_kinds(col)
            generated = bool(kinds & {"CONSTR_GENERATED", "CONSTR_IDENTITY"})  # both fill every row
            if calls & VOLATILE or tname in SERIAL or generated or (
                    default is not None and ctx.config.target_version < 11):
                why = ("a serial column" if tname in SERIAL else "a generated or identity column" if generated
                       else f"volatile default {', '.join(sorted(calls & VOLATILE)) or 'before PostgreSQL 11'}")
                yield self.hit(s, f"column {table}.{col.colname} is added with {why}: the table is rewritten", col)
