"""The RLS suite: ENABLE and FORCE row-level security and a tenant policy on every tenant table,
children protected through their parent, an admin override, and the indexes the lookups need."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dbagent.lint import LintConfig
from dbagent.lint._catalog import Catalog, Table

_SIMPLE = re.compile(r"^[a-z_][a-z0-9_$]*$")
_TYPES = {"int8": "bigint", "int4": "integer", "int2": "smallint", "varchar": "text", "bpchar": "text",
          "timestamptz": "timestamp with time zone", "timestamp": "timestamp without time zone"}
_PART = re.compile(r'"(?:[^"]|"")+"|[^."]+')


def ident(name: str) -> str:
    """A possibly qualified name, quoted where PostgreSQL needs it."""
    return ".".join(p if _SIMPLE.match(p) else '"' + p.replace('"', '""') + '"' for p in name.split("."))


def unident(text: str) -> str:
    """The name a possibly quoted, possibly qualified identifier stands for, as the catalog keys
    it: quoted parts as written, the others folded to lower case (the inverse of ident)."""
    return ".".join(p[1:-1].replace('""', '"') if p.startswith('"') else p.strip().lower()
                    for p in _PART.findall(text))


def sql_type(name: str) -> str:
    """A catalog type name (int8, timestamptz) as SQL writes it in casts and signatures."""
    return _TYPES.get(name, name)


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass
class ExtraPolicy:
    """A policy beside tenant isolation: shared reads, a time window, a read-only role's limits."""

    name: str
    command: str                 # ALL, SELECT, INSERT, UPDATE, DELETE
    using: str | None
    check: str | None
    comment: str
    roles: str = ""              # TO ...; empty is PUBLIC
    restrictive: bool = False
    ignore: str = ""             # "rule-id reason": a deliberate exception, said where it is made


@dataclass
class TablePlan:
    name: str
    ident: str
    why: str
    enable: bool
    force: bool
    policy: str | None
    predicate: str
    policy_comment: str
    admin_policy: str | None
    extra: list[ExtraPolicy] = field(default_factory=list)


@dataclass
class IndexPlan:
    name: str
    schema_name: str
    table: str
    columns: str
    why: str
    method: str = "btree"
    include: str = ""
    where: str = ""


@dataclass
class RlsPlan:
    tables: list[TablePlan] = field(default_factory=list)
    indexes: list[IndexPlan] = field(default_factory=list)
    admin_role: str | None = None
    skipped: list[str] = field(default_factory=list)
    access: list[str] = field(default_factory=list)   # what rls_access added, in words


def _setting(config: LintConfig, type_name: str) -> str:
    # NULLIF: a setting reset to '' then matches no row instead of failing the cast
    return (f"(SELECT NULLIF(current_setting({literal(config.tenant_setting)}, true), '')"
            f"::{sql_type(type_name)})")


def _short(name: str) -> str:
    return name.split(".", 1)[1]


def _has_leading_index(cat: Catalog, table: str, columns: tuple[str, ...]) -> bool:
    return any(i.columns[:len(columns)] == columns and not i.partial for i in cat.indexes_on(table))


def plan(cat: Catalog, config: LintConfig, roles: set[str]) -> RlsPlan:
    """What to change so that every tenant table is isolated: decided from the catalog alone."""
    out = RlsPlan()
    admins = sorted(r for r in roles if config.is_admin_role(r))
    out.admin_role = admins[0] if admins else None
    key = config.tenant_key
    for name in sorted(cat.tables):
        t = cat.tables[name]
        if t.kind != "table" or not cat.is_tenant_table(name, key):
            continue
        has_policy = bool(cat.policies_on(name))
        if t.rls and t.forced and has_policy:
            continue
        if key in t.columns:
            predicate = f"{ident(key)} = {_setting(config, t.columns[key].type)}"
            why = (f"has the tenant key {key}" + ("" if t.rls else "; row-level security was off")
                   + ("" if t.forced or not t.rls else "; RLS was not forced"))
            if not _has_leading_index(cat, name, (key,)):
                out.indexes.append(_index(name, (key,), f"{name}: the tenant policy filters on {key}"))
        else:
            parent_fk = _tenant_parent(cat, t, key)
            if parent_fk is None:
                out.skipped.append(f"{name}: reaches a tenant table, but not through a foreign key to its primary key")
                continue
            fk_cols, parent = parent_fk
            p = cat.tables[parent]
            pairs = " AND ".join(f"p.{ident(pk)} = {ident(_short(name))}.{ident(fk)}"
                                 for pk, fk in zip(p.primary_key, fk_cols))
            predicate = (f"EXISTS (SELECT 1 FROM {ident(parent)} p WHERE {pairs} AND p.{ident(key)} = "
                         f"{_setting(config, p.columns[key].type)})")
            why = f"no tenant column; belongs to a tenant through {parent} ({', '.join(fk_cols)})"
            if not _has_leading_index(cat, name, fk_cols):
                out.indexes.append(_index(name, fk_cols, f"{name}: the policy looks up {parent} by {', '.join(fk_cols)}"))
        base = _short(name)
        out.tables.append(TablePlan(
            name=name, ident=ident(name), why=why, enable=not t.rls, force=not t.forced,
            policy=None if has_policy else ident(f"{base}_tenant_isolation"[:63]), predicate=predicate,
            policy_comment=literal(f"Each tenant sees and writes only its own rows ({why})."),
            admin_policy=ident(f"{base}_admin_override"[:63]) if out.admin_role and not has_policy else None))
    return out


def _index(table: str, columns: tuple[str, ...], why: str) -> IndexPlan:
    schema = table.split(".", 1)[0]
    name = f"{_short(table)}_{'_'.join(columns)}_idx"[:63]
    return IndexPlan(ident(name), ident(f"{schema}.{name}"), ident(table), ", ".join(ident(c) for c in columns), why)


def _tenant_parent(cat: Catalog, t: Table, key: str) -> tuple[tuple[str, ...], str] | None:
    for fk in t.foreign_keys:
        parent = cat.tables.get(fk.target)
        if parent is None or not parent.primary_key or len(parent.primary_key) != len(fk.columns):
            continue
        if key in parent.columns and all(t.columns.get(c) and t.columns[c].not_null for c in fk.columns):
            return fk.columns, fk.target
    return None
