from dbagent.lint._ast import ast, def_options
from dbagent.lint._rule import Rule

POWERFUL = {"superuser", "bypassrls", "createrole", "replication"}
SERVER_ROLES = {"pg_read_server_files", "pg_write_server_files", "pg_execute_server_program",
                "pg_signal_backend", "pg_checkpoint", "pg_signal_autovacuum_worker", "postgres"}


class RoleEscalation(Rule):
    """Roles given SUPERUSER, BYPASSRLS, CREATEROLE or REPLICATION, or membership in the server-file roles.

    Bad:
        ALTER ROLE app_user BYPASSRLS;

    Good:
        ALTER ROLE app_user NOBYPASSRLS;
    """

    id = "role-escalation"
    group = "security"
    severity = "error"
    hint = "never grant superuser-level attributes or server-file roles in a migration"
    nested = True

    def check(self, s, ctx):
        node = s.node
        if isinstance(node, (ast.CreateRoleStmt, ast.AlterRoleStmt)):
            opts = def_options(node.options)
            given = sorted(k for k in POWERFUL if opts.get(k) in (True, 1))
            if given:
                yield self.hit(s, f"role is given {', '.join(a.upper() for a in given)}")
        elif isinstance(node, ast.GrantRoleStmt) and node.is_grant:
            granted = {r.priv_name for r in node.granted_roles or () if isinstance(r, ast.AccessPriv)}
            bad = sorted(granted & SERVER_ROLES)
            if bad:
                yield self.hit(s, f"membership in {', '.join(bad)} is granted")
