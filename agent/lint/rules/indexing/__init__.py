"""E. Indexing: missing, redundant and misordered indexes."""

from dbagent.lint.rules.indexing.fk_without_index import FkWithoutIndex
from dbagent.lint.rules.indexing.duplicate_index import DuplicateIndex
from dbagent.lint.rules.indexing.jsonb_without_gin import JsonbWithoutGin
from dbagent.lint.rules.indexing.json_not_jsonb import JsonNotJsonb
from dbagent.lint.rules.indexing.tenant_index_not_leading import TenantIndexNotLeading
from dbagent.lint.rules.indexing.wide_nonunique_index import WideNonuniqueIndex
from dbagent.lint.rules.indexing.no_primary_key import NoPrimaryKey

RULES = (
    FkWithoutIndex,
    DuplicateIndex,
    JsonbWithoutGin,
    JsonNotJsonb,
    TenantIndexNotLeading,
    WideNonuniqueIndex,
    NoPrimaryKey,
)
