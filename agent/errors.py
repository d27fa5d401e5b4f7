"""The one exception tree of dbagent.

    DbagentError
    ├── UserError            misuse and bad input: exit code 2
    │   ├── InputFileError   a file that is missing, empty, binary, not UTF-8, too large
    │   ├── SchemaLoadError  the schema did not load; carries the failing statement's location
    │   └── SourceDsnError   the source database could not be reached or dumped
    ├── ProviderError        the model provider failed after retries: exit code 3
    ├── SandboxError         the sandbox server could not start or died: exit code 3
    └── ReportParseError     a report misses or contradicts required pieces

Only the shells (CLI, MCP) turn these into exit codes or protocol errors.
Messages are one line, written for the person or agent who must act on them.
"""

from __future__ import annotations


class DbagentError(Exception):
    """Root of every error dbagent raises on purpose."""

    exit_code = 3


class UserError(DbagentError):
    """Misuse or bad input; the user can fix it."""

    exit_code = 2


class InputFileError(UserError):
    """An input file is missing, empty, a directory, binary, not UTF-8 or too large."""


class SchemaLoadError(UserError):
    """The schema failed to load into the sandbox."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 sqlstate: str | None = None) -> None:
        where = f"{file}:{line}: " if file and line else ""
        super().__init__(f"schema failed to load: {where}{message}")
        self.file, self.line, self.sqlstate = file, line, sqlstate


class SourceDsnError(UserError):
    """The source database given by DSN could not be reached or read."""


class ProviderError(DbagentError):
    """The model provider failed in a way retries could not fix."""


class SandboxError(DbagentError):
    """The sandbox server could not be started, reached, or died during a run."""


class ReportParseError(DbagentError):
    """A report misses or contradicts required pieces; `problems` lists each, located."""

    exit_code = 1

    def __init__(self, problems: list) -> None:
        super().__init__("; ".join(str(p) for p in problems) if problems else "report could not be parsed")
        self.problems = list(problems)
