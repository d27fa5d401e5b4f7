"""Triggers: `updated_at` maintenance and an append-only audit trail, for the tables named.

updated_at: every named table (or, if none is named, every table) that has the column gets
a BEFORE UPDATE trigger. Audit: every named table with the tenant key gets an AFTER trigger
writing one row per change (tenant, actor from app.current_user_id, operation, old and new
rows as jsonb, changed columns, time) into an audit table that is tenant-isolated and
append-only (no UPDATE/DELETE privilege, RLS without update or delete policies), with a
retention function.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dbagent.lint import LintConfig
from dbagent.lint._catalog import Catalog
from dbagent.playbooks.rls import _setting, _short, ident, literal, sql_type
from dbagent.playbooks.rls_access import mentioned

AUDIT_WORDS = ("audit trail", "audit log", "change history", "who changed")


@dataclass
class Target:
    name: str
    table: str
    trigger: str


@dataclass
class TriggerPlan:
    touch: list[Target] = field(default_factory=list)
    audit: list[Target] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    args: dict = field(default_factory=dict)     # names the templates use


def plan(cat: Catalog, config: LintConfig, text: str) -> TriggerPlan:
    out, key = TriggerPlan(), config.tenant_key
    named = [n for n in mentioned(text, cat) if cat.tables[n].kind == "table"]
    low = text.lower()
    if "updated_at" in low:
        for name in named or sorted(cat.tables):
            t = cat.tables[name]
            if t.kind == "table" and "updated_at" in t.columns:
                out.touch.append(Target(name, ident(name), ident(f"{_short(name)}_set_updated_at"[:63])))
    if any(w in low for w in AUDIT_WORDS):
        for name in named:
            if key in cat.tables[name].columns:
                out.audit.append(Target(name, ident(name), ident(f"{_short(name)}_audit"[:63])))
            else:
                out.skipped.append(f"{name}: no {key} column, so its audit rows could not be tenant-isolated")
    schema = (out.audit or out.touch or [Target("public.x", "", "")])[0].name.split(".", 1)[0]
    key_type = cat.tables[out.audit[0].name].columns[key].type if out.audit else "uuid"
    key_type = sql_type(key_type)
    if out.audit and cat.table(f"{schema}.audit_log") is not None:
        out.skipped.append(f"{schema}.audit_log already exists: the audit trail was not built")
        out.audit = []
    out.args = {"touch_fn": ident(f"{schema}.set_updated_at"), "audit_table": ident(f"{schema}.audit_log"),
                "audit_index": ident("audit_log_tenant_changed_idx"), "audit_fn": ident(f"{schema}.audit_row_change"),
                "retention_fn": ident(f"{schema}.audit_log_retention"), "key": ident(key), "key_type": key_type,
                "key_literal": literal(key), "setting": _setting(config, key_type),
                "audit_policy": ident("audit_log_tenant_read"), "audit_policy_insert": ident("audit_log_tenant_write")}
    return out
