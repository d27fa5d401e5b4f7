"""Catalog snapshots and their structured diff.

Objects are keyed by kind and qualified name, never by OID, so a snapshot taken before a
migration can be compared with one taken after its rollback. Objects that belong to an
extension are represented by the extension alone.
"""

from __future__ import annotations

from typing import Any

import psycopg

from dbagent.sandbox.models import CatalogChange

Snapshot = dict[tuple[str, str], dict[str, Any]]

_USER_NS = ("n.nspname not in ('pg_catalog', 'information_schema') "
            "and n.nspname !~ '^pg_(toast|temp)'")
_NOT_EXT = ("not exists (select 1 from pg_catalog.pg_depend d where d.classid = {cls}::regclass "
            "and d.objid = {oid} and d.deptype = 'e')")

_QUERIES: dict[str, str] = {
    "schema": f"""
        select pg_catalog.quote_ident(n.nspname), pg_catalog.pg_get_userbyid(n.nspowner) as owner,
               (select array_agg(a::text order by a::text) from unnest(n.nspacl) a) as acl,
               pg_catalog.obj_description(n.oid, 'pg_namespace') as comment
          from pg_catalog.pg_namespace n
         where {_USER_NS} and {_NOT_EXT.format(cls="'pg_namespace'", oid='n.oid')}""",
    "table": f"""
        select pg_catalog.format('%I.%I', n.nspname, c.relname),
               c.relkind::text as relkind, pg_catalog.pg_get_userbyid(c.relowner) as owner,
               c.relrowsecurity as rls_enabled, c.relforcerowsecurity as rls_forced,
               c.relpersistence::text as persistence, c.reloptions::text[] as options,
               (select array_agg(a::text order by a::text) from unnest(c.relacl) a) as acl,
               pg_catalog.obj_description(c.oid, 'pg_class') as comment,
               pg_catalog.pg_get_expr(c.relpartbound, c.oid) as partition_bound,
               case when c.relkind = 'p' then pg_catalog.pg_get_partkeydef(c.oid) end as partition_key
          from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
         where c.relkind in ('r', 'p', 'f') and {_USER_NS}
           and {_NOT_EXT.format(cls="'pg_class'", oid='c.oid')}""",
    "column": f"""
        select pg_catalog.format('%I.%I.%I', n.nspname, c.relname, a.attname),
               pg_catalog.format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as not_null,
               pg_catalog.pg_get_expr(d.adbin, d.adrelid) as default,
               nullif(a.attgenerated::text, '') as generated, nullif(a.attidentity::text, '') as identity,
               (select collname from pg_catalog.pg_collation where oid = a.attcollation
                  and a.attcollation <> 100) as collation,
               (select array_agg(x::text order by x::text) from unnest(a.attacl) x) as acl,
               pg_catalog.col_description(c.oid, a.attnum) as comment
          from pg_catalog.pg_attribute a
          join pg_catalog.pg_class c on c.oid = a.attrelid
          join pg_catalog.pg_namespace n on n.oid = c.relnamespace
          left join pg_catalog.pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
         where a.attnum > 0 and not a.attisdropped and c.relkind in ('r', 'p', 'f', 'v', 'm')
           and {_USER_NS} and {_NOT_EXT.format(cls="'pg_class'", oid='c.oid')}""",
    "constraint": f"""
        select pg_catalog.format('%I.%I.%I', n.nspname, coalesce(c.relname, t.typname), k.conname),
               k.contype::text as type, pg_catalog.pg_get_constraintdef(k.oid) as definition,
               k.convalidated as validated, k.condeferrable as deferrable,
               pg_catalog.obj_description(k.oid, 'pg_constraint') as comment
          from pg_catalog.pg_constraint k
          join pg_catalog.pg_namespace n on n.oid = k.connamespace
          left join pg_catalog.pg_class c on c.oid = k.conrelid
          left join pg_catalog.pg_type t on t.oid = k.contypid
         where {_USER_NS} and (c.oid is not null or t.oid is not null)""",
    "index": f"""
        select pg_catalog.format('%I.%I', n.nspname, c.relname),
               pg_catalog.pg_get_indexdef(c.oid) as definition, i.indisvalid as valid,
               pg_catalog.obj_description(c.oid, 'pg_class') as comment
          from pg_catalog.pg_index i
          join pg_catalog.pg_class c on c.oid = i.indexrelid
          join pg_catalog.pg_namespace n on n.oid = c.relnamespace
         where {_USER_NS}""",
    "policy": """
        select pg_catalog.format('%I.%I.%I', p.schemaname, p.tablename, p.policyname),
               p.permissive, p.cmd as command, p.roles::text[] as roles,
               p.qual as using, p.with_check as with_check
          from pg_catalog.pg_policies p""",
    "trigger": f"""
        select pg_catalog.format('%I.%I.%I', n.nspname, c.relname, t.tgname),
               pg_catalog.pg_get_triggerdef(t.oid) as definition, t.tgenabled::text as enabled,
               pg_catalog.obj_description(t.oid, 'pg_trigger') as comment
          from pg_catalog.pg_trigger t
          join pg_catalog.pg_class c on c.oid = t.tgrelid
          join pg_catalog.pg_namespace n on n.oid = c.relnamespace
         where not t.tgisinternal and {_USER_NS}""",
    "function": f"""
        select pg_catalog.format('%I.%I(%s)', n.nspname, p.proname,
                                 pg_catalog.pg_get_function_identity_arguments(p.oid)),
               p.prokind::text as kind, pg_catalog.pg_get_function_result(p.oid) as returns,
               l.lanname as language, p.prosecdef as security_definer, p.provolatile::text as volatility,
               p.proisstrict as strict, p.proleakproof as leakproof, p.proconfig as config,
               pg_catalog.md5(p.prosrc) as body_md5, pg_catalog.pg_get_userbyid(p.proowner) as owner,
               (select array_agg(a::text order by a::text) from unnest(p.proacl) a) as acl,
               pg_catalog.obj_description(p.oid, 'pg_proc') as comment
          from pg_catalog.pg_proc p
          join pg_catalog.pg_namespace n on n.oid = p.pronamespace
          join pg_catalog.pg_language l on l.oid = p.prolang
         where {_USER_NS} and {_NOT_EXT.format(cls="'pg_proc'", oid='p.oid')}""",
    "view": f"""
        select pg_catalog.format('%I.%I', n.nspname, c.relname),
               case c.relkind when 'm' then 'materialized' else 'plain' end as type,
               pg_catalog.pg_get_viewdef(c.oid) as definition, c.reloptions::text[] as options,
               pg_catalog.pg_get_userbyid(c.relowner) as owner,
               (select array_agg(a::text order by a::text) from unnest(c.relacl) a) as acl,
               pg_catalog.obj_description(c.oid, 'pg_class') as comment
          from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
         where c.relkind in ('v', 'm') and {_USER_NS} and {_NOT_EXT.format(cls="'pg_class'", oid='c.oid')}""",
    "sequence": f"""
        select pg_catalog.format('%I.%I', n.nspname, c.relname),
               pg_catalog.format_type(s.seqtypid, null) as type, s.seqstart as start,
               s.seqincrement as increment, s.seqmin as min, s.seqmax as max, s.seqcycle as cycle,
               (select array_agg(a::text order by a::text) from unnest(c.relacl) a) as acl
          from pg_catalog.pg_sequence s
          join pg_catalog.pg_class c on c.oid = s.seqrelid
          join pg_catalog.pg_namespace n on n.oid = c.relnamespace
         where {_USER_NS} and {_NOT_EXT.format(cls="'pg_class'", oid='c.oid')}""",
    "extension": """
        select e.extname, e.extversion as version, n.nspname as schema
          from pg_catalog.pg_extension e join pg_catalog.pg_namespace n on n.oid = e.extnamespace""",
    "type": f"""
        select pg_catalog.format('%I.%I', n.nspname, t.typname), t.typtype::text as type,
               case when t.typtype = 'd' then pg_catalog.format_type(t.typbasetype, t.typtypmod) end as base,
               (select array_agg(e.enumlabel::text order by e.enumsortorder)
                  from pg_catalog.pg_enum e where e.enumtypid = t.oid) as labels,
               pg_catalog.obj_description(t.oid, 'pg_type') as comment
          from pg_catalog.pg_type t join pg_catalog.pg_namespace n on n.oid = t.typnamespace
         where t.typtype in ('e', 'd', 'r', 'm') and {_USER_NS}
           and {_NOT_EXT.format(cls="'pg_type'", oid='t.oid')}
        union all
        select pg_catalog.format('%I.%I', n.nspname, t.typname), 'c',
               null, null, pg_catalog.obj_description(t.oid, 'pg_type')
          from pg_catalog.pg_type t join pg_catalog.pg_namespace n on n.oid = t.typnamespace
          join pg_catalog.pg_class c on c.oid = t.typrelid and c.relkind = 'c'
         where {_USER_NS}""",
    "default_privileges": """
        select pg_catalog.format('%s in %s on %s', pg_catalog.pg_get_userbyid(d.defaclrole),
                                 coalesce(n.nspname, '*'), d.defaclobjtype),
               (select array_agg(a::text order by a::text) from unnest(d.defaclacl) a) as acl
          from pg_catalog.pg_default_acl d left join pg_catalog.pg_namespace n on n.oid = d.defaclnamespace""",
    "role": """
        select r.rolname, r.rolsuper as superuser, r.rolbypassrls as bypassrls, r.rolcanlogin as login,
               r.rolcreaterole as createrole, r.rolcreatedb as createdb, r.rolinherit as inherit,
               (select array_agg(g.rolname::text order by g.rolname) from pg_catalog.pg_auth_members m
                  join pg_catalog.pg_roles g on g.oid = m.roleid where m.member = r.oid) as member_of
          from pg_catalog.pg_roles r
         where r.rolname !~ '^pg_' and r.rolname !~ '^dbagent_'""",
}


def snapshot(conn: psycopg.Connection) -> Snapshot:
    """Read every user-visible catalog object into {(kind, name): properties}."""
    snap: Snapshot = {}
    for kind, query in _QUERIES.items():
        cur = conn.execute(query)
        names = [c.name for c in cur.description][1:]
        for row in cur.fetchall():
            snap[(kind, row[0])] = dict(zip(names, row[1:]))
    return snap


def diff(before: Snapshot, after: Snapshot) -> list[CatalogChange]:
    """Structured differences, ordered by kind then name."""
    changes: list[CatalogChange] = []
    for key in sorted(before.keys() | after.keys()):
        kind, name = key
        if key not in before:
            changes.append(CatalogChange(kind=kind, name=name, change="added"))
        elif key not in after:
            changes.append(CatalogChange(kind=kind, name=name, change="removed"))
        elif before[key] != after[key]:
            fields = {f: {"before": before[key].get(f), "after": after[key].get(f)}
                      for f in sorted(before[key].keys() | after[key].keys())
                      if before[key].get(f) != after[key].get(f)}
            changes.append(CatalogChange(kind=kind, name=name, change="changed", fields=fields))
    return changes
