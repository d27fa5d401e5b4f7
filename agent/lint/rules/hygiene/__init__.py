"""G. Hygiene: rollbacks, comments and column types."""

from dbagent.lint.rules.hygiene.missing_down_migration import MissingDownMigration
from dbagent.lint.rules.hygiene.missing_comment import MissingComment
from dbagent.lint.rules.hygiene.prefer_timestamptz import PreferTimestamptz
from dbagent.lint.rules.hygiene.prefer_identity import PreferIdentity
from dbagent.lint.rules.hygiene.prefer_text import PreferText
from dbagent.lint.rules.hygiene.prefer_bigint import PreferBigint

RULES = (
    MissingDownMigration,
    MissingComment,
    PreferTimestamptz,
    PreferIdentity,
    PreferText,
    PreferBigint,
)
