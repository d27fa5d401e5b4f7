"""What verification needs to know about the clone's tables, read from its catalog.

Tables, their columns with enough type detail to make up values, foreign keys, and how
each table reaches a tenant: by its own key column or through a chain of NOT NULL
foreign keys to a table that has one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg

_TABLES = """
select c.oid, n.nspname, c.relname, pg_catalog.format('%I.%I', n.nspname, c.relname), c.relkind::text, c.relrowsecurity, c.relforcerowsecurity,
       pg_catalog.pg_get_userbyid(c.relowner), c.relispartition
  from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
 where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema')
   and n.nspname !~ '^pg_(toast|temp)'
   and not exists (select 1 from pg_catalog.pg_depend d where d.classid = 'pg_class'::regclass
                   and d.objid = c.oid and d.deptype = 'e')
 order by n.nspname, c.relname
"""
_COLUMNS = """
select a.attrelid, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,
       a.attgenerated <> '' or a.attidentity = 'a', a.attidentity = 'd'
         or coalesce(pg_catalog.pg_get_expr(d.adbin, d.adrelid) like 'nextval(%%', false),
       d.adbin is not null,
       coalesce(bt.typtype, t.typtype)::text, coalesce(bt.typcategory, t.typcategory)::text,
       pg_catalog.format_type(coalesce(nullif(t.typbasetype, 0), a.atttypid), null),
       case when a.atttypmod > 4 and coalesce(bt.typcategory, t.typcategory) = 'S' then a.atttypmod - 4 end,
       (select array_agg(e.enumlabel::text order by e.enumsortorder) from pg_catalog.pg_enum e
         where e.enumtypid = coalesce(nullif(t.typbasetype, 0), a.atttypid)),
       pg_catalog.format_type(coalesce(et.oid, 0), null), coalesce(et.typcategory, '')::text
  from pg_catalog.pg_attribute a
  join pg_catalog.pg_type t on t.oid = a.atttypid
  left join pg_catalog.pg_type bt on bt.oid = nullif(t.typbasetype, 0)
  left join pg_catalog.pg_type et on et.oid = coalesce(bt.typelem, t.typelem) and coalesce(bt.typcategory, t.typcategory) = 'A'
  left join pg_catalog.pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
 where a.attrelid = any(%s) and a.attnum > 0 and not a.attisdropped
 order by a.attrelid, a.attnum
"""
_CONSTRAINTS = """
select k.conrelid, k.contype::text, k.conname,
       array(select a.attname from unnest(k.conkey) with ordinality u(n, i)
             join pg_catalog.pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.n order by u.i)::text[],
       k.confrelid,
       array(select a.attname from unnest(k.confkey) with ordinality u(n, i)
             join pg_catalog.pg_attribute a on a.attrelid = k.confrelid and a.attnum = u.n order by u.i)::text[],
       pg_catalog.pg_get_constraintdef(k.oid)
  from pg_catalog.pg_constraint k
 where k.conrelid = any(%s) and k.contype in ('p', 'u', 'f', 'c')
"""
_UNIQUE_INDEXES = """
select i.indrelid, array(select a.attname from unnest(i.indkey) u(n)
                         join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = u.n)::text[]
  from pg_catalog.pg_index i where i.indrelid = any(%s) and i.indisunique
"""


@dataclass
class Column:
    name: str
    type: str
    not_null: bool
    generated: bool          # GENERATED ... STORED or identity ALWAYS: never written
    serial: bool             # filled by its own sequence
    has_default: bool
    typtype: str             # b base, e enum, c composite, r range ...
    category: str            # pg_type.typcategory of the (base) type
    base: str                # the domain's base type, or the type itself, without modifiers
    max_length: int | None
    labels: list[str] | None
    element: str             # for arrays: element type
    element_category: str


@dataclass
class ForeignKey:
    name: str
    columns: list[str]
    parent_oid: int
    parent_columns: list[str]


@dataclass
class Table:
    oid: int
    schema: str
    name: str
    qname: str               # as PostgreSQL quotes it, the same as in catalog diffs
    kind: str
    rls: bool
    forced: bool
    owner: str
    partition: bool
    columns: list[Column] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    primary_key: list[str] = field(default_factory=list)
    unique_columns: set[str] = field(default_factory=set)
    checks: list[str] = field(default_factory=list)

    @property
    def ref(self) -> str:
        """The table quoted for use in generated SQL."""
        return f"{ident(self.schema)}.{ident(self.name)}"

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


def ident(name: str) -> str:
    """Always-quoted identifier: generated SQL never depends on how a name is spelled."""
    return '"' + name.replace('"', '""') + '"'


def why(exc: psycopg.Error) -> str:
    """An error as evidence: SQLSTATE and PostgreSQL's primary message."""
    message = (exc.diag.message_primary if exc.diag else None) or str(exc).strip().splitlines()[0]
    return f"{exc.sqlstate}: {message}" if exc.sqlstate else message


@dataclass
class Tables:
    """Every user table by OID, and each tenant table's way to its tenant."""

    by_oid: dict[int, Table]
    tenant_key: str

    @classmethod
    def read(cls, conn: psycopg.Connection, tenant_key: str) -> "Tables":
        tables = {row[0]: Table(*row) for row in conn.execute(_TABLES).fetchall()}
        oids = list(tables)
        for row in conn.execute(_COLUMNS, [oids]).fetchall():
            tables[row[0]].columns.append(Column(*row[1:]))
        for rel, kind, name, cols, parent, parent_cols, definition in conn.execute(_CONSTRAINTS, [oids]):
            table = tables[rel]
            if kind == "f" and parent in tables:
                table.foreign_keys.append(ForeignKey(name, list(cols), parent, list(parent_cols)))
            elif kind == "p":
                table.primary_key = list(cols)
            elif kind == "c":
                table.checks.append(definition)
        for rel, cols in conn.execute(_UNIQUE_INDEXES, [oids]).fetchall():
            if len(cols) == 1:
                tables[rel].unique_columns.add(cols[0])
        return cls(tables, tenant_key)

    def named(self, qname: str) -> Table | None:
        return next((t for t in self.by_oid.values() if t.qname == qname), None)

    def has_key(self, table: Table) -> bool:
        return table.column(self.tenant_key) is not None

    def tenant_root(self) -> Table | None:
        """The table the tenant key points at (e.g. tenants), when the schema has one."""
        for table in self.by_oid.values():
            for fk in table.foreign_keys:
                if fk.columns == [self.tenant_key] and fk.parent_oid != table.oid:
                    return self.by_oid[fk.parent_oid]
        return None

    def path_to_tenant(self, table: Table, depth: int = 3) -> list[tuple[Table, ForeignKey]] | None:
        """[] for a table with the key; for a child, the foreign-key hops to the nearest table
        with the key (NOT NULL columns only: a nullable parent link protects nothing)."""
        if self.has_key(table):
            return []
        if depth == 0:
            return None
        root = self.tenant_root()
        for fk in table.foreign_keys:
            parent = self.by_oid[fk.parent_oid]
            if parent is table or parent is root:
                continue
            if not all((c := table.column(name)) is not None and c.not_null for name in fk.columns):
                continue
            rest = self.path_to_tenant(parent, depth - 1)
            if rest is not None:
                return [(table, fk), *rest]
        return None

    def tenant_tables(self) -> list[tuple[Table, list[tuple[Table, ForeignKey]]]]:
        """Tables holding tenant rows (not the tenant root, not partitions), with their path."""
        root = self.tenant_root()
        found = []
        for table in self.by_oid.values():
            if table is root or table.partition:
                continue
            path = self.path_to_tenant(table)
            if path is not None:
                found.append((table, path))
        return found

    def in_dependency_order(self) -> list[Table]:
        """Parents before children (self-references and cycles are broken arbitrarily)."""
        ordered: list[Table] = []
        state: dict[int, int] = {}

        def visit(table: Table) -> None:
            if state.get(table.oid):
                return
            state[table.oid] = 1
            for fk in table.foreign_keys:
                if fk.parent_oid != table.oid:
                    visit(self.by_oid[fk.parent_oid])
            state[table.oid] = 2
            ordered.append(table)

        for table in self.by_oid.values():
            visit(table)
        return ordered
