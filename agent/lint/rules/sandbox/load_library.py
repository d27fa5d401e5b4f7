from dbagent.lint._ast import ast
from dbagent.lint._rule import Rule


class LoadLibrary(Rule):
    """LOAD loads a shared library into the server process.

    Bad:
        LOAD '/tmp/evil.so';

    Good:
        CREATE EXTENSION IF NOT EXISTS pg_trgm;  -- a packaged, allow-listed extension
    """

    id = "load-library"
    group = "sandbox"
    severity = "error"
    hint = "remove it: use CREATE EXTENSION for allow-listed extensions"
    nested = True

    def check(self, s, ctx):
        if isinstance(s.node, ast.LoadStmt):
            yield self.hit(s, f"LOAD {s.node.filename}")
