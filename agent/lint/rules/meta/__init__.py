"""Findings about the input and the directives themselves."""

from dbagent.lint.rules.meta.parse_error import ParseErrorRule
from dbagent.lint.rules.meta.ignore_without_reason import IgnoreWithoutReason
from dbagent.lint.rules.meta.unused_ignore import UnusedIgnore

RULES = (
    ParseErrorRule,
    IgnoreWithoutReason,
    UnusedIgnore,
)
