from dbagent.lint.models import Finding
from dbagent.lint._rule import Rule


class UnusedIgnore(Rule):
    """A `-- dbagent:ignore` directive that suppresses nothing (or names no rule).

    Bad:
        -- dbagent:ignore drop-table not needed any more
        CREATE TABLE notes (id bigint PRIMARY KEY);

    Good:
        CREATE TABLE notes (id bigint PRIMARY KEY);
    """

    id = "unused-ignore"
    group = "meta"
    severity = "warning"
    hint = "remove the directive, or put it on the line before the statement it is meant for"

    def at(self, ignore, detail: str) -> Finding:
        return self.finding_at(ignore.file, ignore.line, ignore.column, f"ignore directive: {detail}")
