from dbagent.lint._ast import ast, func_name, walk
from dbagent.lint._rule import Rule

FILE_FUNCTIONS = {"pg_read_file", "pg_read_binary_file", "pg_ls_dir", "pg_stat_file", "lo_import",
                  "lo_export", "pg_ls_logdir", "pg_ls_waldir", "pg_ls_tmpdir", "pg_ls_archive_statusdir",
                  "pg_ls_logicalsnapdir", "pg_ls_logicalmapdir", "pg_ls_replslotdir", "pg_file_write",
                  "pg_file_rename", "pg_file_unlink", "pg_file_sync", "pg_logdir_ls"}


class ServerFileAccess(Rule):
    """COPY to or from a server path, or a function that reads or writes the server's files.

    Bad:
        SELECT pg_read_file('/etc/passwd');

    Good:
        SELECT count(*) FROM invoices;
    """

    id = "server-file-access"
    group = "sandbox"
    severity = "error"
    hint = "remove it: migrations never touch the server's file system"
    nested = True

    def check(self, s, ctx):
        node = s.node
        if isinstance(node, ast.CopyStmt) and node.filename and not node.is_program:
            yield self.hit(s, f"COPY {'FROM' if node.is_from else 'TO'} server file {node.filename}")
        for n in walk(node):
            if isinstance(n, ast.FuncCall) and func_name(n) in FILE_FUNCTIONS:
                yield self.hit(s, f"{func_name(n)}() touches the server's file system", n)
