from dbagent.lint._ast import ast, qualname
from dbagent.lint.rules._common import alter_cmds
from dbagent.lint._rule import Rule


class RewriteUnderLock(Rule):
    """VACUUM FULL, CLUSTER, SET TABLESPACE and SET LOGGED/UNLOGGED rewrite a table under ACCESS EXCLUSIVE.

    Bad:
        VACUUM FULL orders;

    Good:
        -- use pg_repack or pg_squeeze for online compaction; plain VACUUM does not block
        VACUUM (ANALYZE) orders;
    """

    id = "rewrite-under-lock"
    group = "locks"
    severity = "warning"
    hint = "avoid full rewrites of live tables; use pg_repack/pg_squeeze or a new table and a swap"

    def check(self, s, ctx):
        node = s.node
        if isinstance(node, ast.VacuumStmt) and any(o.defname == "full" for o in node.options or ()):
            yield self.hit(s, "VACUUM FULL rewrites the table under ACCESS EXCLUSIVE")
        elif isinstance(node, ast.ClusterStmt):
            yield self.hit(s, "CLUSTER rewrites the table under ACCESS EXCLUSIVE")
        for cmd in alter_cmds(node, "AT_SetTableSpace", "AT_SetLogged", "AT_SetUnLogged"):
            table = qualname(node.relation)
            if ctx.existed(table):
                yield self.hit(s, f"{cmd.subtype.name.removeprefix('AT_')} rewrites existing table {table}")
