from dbagent.lint._ast import ast
from dbagent.lint._rule import Rule

SAFE_PUBLIC = {"OBJECT_FUNCTION", "OBJECT_PROCEDURE", "OBJECT_ROUTINE", "OBJECT_TYPE", "OBJECT_DOMAIN",
               "OBJECT_LANGUAGE"}


class BroadGrant(Rule):
    """GRANT ... TO PUBLIC or GRANT ALL PRIVILEGES on tables: more access than any role needs.

    Bad:
        GRANT ALL PRIVILEGES ON invoices TO PUBLIC;

    Good:
        GRANT SELECT, INSERT, UPDATE ON invoices TO app_user;
    """

    id = "broad-grant"
    group = "security"
    severity = "error"
    hint = "grant the specific privileges to the specific application role"
    nested = True

    def check(self, s, ctx):
        node = s.node
        if not isinstance(node, ast.GrantStmt) or not node.is_grant:
            return
        kind = node.objtype.name
        public = any(r.roletype.name == "ROLESPEC_PUBLIC" for r in node.grantees or ())
        if public and kind not in SAFE_PUBLIC:
            yield self.hit(s, f"GRANT on {kind.removeprefix('OBJECT_').lower()} to PUBLIC")
        elif node.privileges is None and kind in ("OBJECT_TABLE", "OBJECT_SCHEMA", "OBJECT_SEQUENCE"):
            yield self.hit(s, f"GRANT ALL PRIVILEGES on {kind.removeprefix('OBJECT_').lower()}")
