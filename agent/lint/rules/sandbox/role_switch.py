from dbagent.lint._ast import ast, const_value
from dbagent.lint._rule import Rule


class RoleSwitch(Rule):
    """SET SESSION AUTHORIZATION, or SET ROLE to a role neither the schema nor the migration created (such as postgres).

    Bad:
        SET ROLE postgres;

    Good:
        CREATE ROLE reporting_owner NOLOGIN;
        SET ROLE reporting_owner;  -- a role this migration made, to own what it creates
        CREATE TABLE reporting_notes (id bigint PRIMARY KEY);
        RESET ROLE;
    """

    id = "role-switch"
    group = "sandbox"
    severity = "error"
    hint = "remove it: a migration runs as the role it was started with, or as roles it created"
    nested = True

    def check(self, s, ctx):
        node = s.node
        if not isinstance(node, ast.VariableSetStmt) or node.kind.name == "VAR_RESET":
            return
        if node.name == "session_authorization":
            yield self.hit(s, "SET SESSION AUTHORIZATION switches to another user")
        elif node.name == "role":
            target = const_value(node.args[0]) if node.args else None
            if target and str(target).lower() != "none" and target not in ctx.catalog.roles:
                yield self.hit(s, f"SET ROLE {target}: a role neither the schema nor this migration created")
