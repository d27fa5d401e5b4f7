from dbagent.lint.models import Finding
from dbagent.lint._rule import Rule


class ParseErrorRule(Rule):
    """A statement PostgreSQL's grammar rejects: nothing else can be checked in it.

    Bad:
        CREATE TABLE notes (id bigint PRIMARY KEY,);

    Good:
        CREATE TABLE notes (id bigint PRIMARY KEY);
    """

    id = "parse-error"
    group = "meta"
    severity = "error"
    hint = "fix the syntax at the position given"

    def at(self, file: str, line: int, column: int, message: str) -> Finding:
        return self.finding_at(file, line, column, message)
