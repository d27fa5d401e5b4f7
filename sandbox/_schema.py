"""Loading a schema into a template database, and dumping one from a live source read-only."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from dbagent.errors import SchemaLoadError, SourceDsnError
from dbagent.sandbox._execute import run_script
from dbagent.sandbox._psql import PsqlInterpreter, ScriptError
from dbagent.sandbox._sandbox import Sandbox, schema_key
from dbagent.sandbox._server import pg_bin
from dbagent.sandbox._statements import classify


def roles_needed(text: str, file: str) -> set[str]:
    """Roles the script names (owners, grantees, policy roles) minus those it creates itself."""
    named, created = roles_of(text, file)
    return named - created


def roles_of(text: str, file: str) -> tuple[set[str], set[str]]:
    """(roles the script names, roles it creates)."""
    named: set[str] = set()
    created: set[str] = set()

    def collect(unit, lines):
        info = classify(unit.sql)
        named.update(info.roles_named)
        created.update(info.roles_created)
        return None

    try:
        PsqlInterpreter(collect).run(text, file)
    except ScriptError:
        pass  # the real run reports it, with its line
    return named, created


def privileged_hook(sandbox: Sandbox, dbname: str, *, schema: bool = False):
    """The per-statement hook for what the migrator may not run itself.

    Allow-listed untrusted extensions are created or dropped by the administrator. While a
    schema loads (the user's own dump, not model output), ownership changes to ordinary roles
    are made by the administrator too, and ownership by a superuser is not copied: the
    migrator keeps such objects, or it could never alter them. Returns a note, or None when
    the statement is the migrator's to run.
    """
    def hook(statement: str) -> str | None:
        info = classify(statement)
        names = (info.extension,) if info.extension else info.dropped_extensions
        if sandbox.run_privileged_extension(dbname, statement, names):
            return "run by the sandbox administrator (allow-listed extension)"
        if schema and info.roles_created and info.roles_created <= sandbox.role_names():
            # roles are server-wide: another schema loaded into this sandbox made it already
            return "role exists in the sandbox already (made for another schema): kept as it is"
        if schema and info.owner_change_to:
            if sandbox.is_privileged_role(info.owner_change_to):
                return f"ownership by superuser {info.owner_change_to} not copied: the migrator keeps it"
            with sandbox.admin(dbname) as conn:
                conn.execute(statement.encode())
            return "ownership change made by the sandbox administrator"
        return None
    return hook


def load_schema(sandbox: Sandbox, text: str, file: str, path: Path | None = None,
                variables: dict[str, str] | None = None) -> str:
    """Load `text` into a template database owned by the migrator; cached by content."""
    key = schema_key(text)
    if key in sandbox.templates:
        return sandbox.templates[key]
    needed = roles_needed(text, file)
    sandbox.schema_roles |= needed  # before they exist: a concurrent run's cleanup must not take them
    sandbox.ensure_roles(needed)
    roles_before = sandbox.role_names()
    db = sandbox.create_database("schema")
    try:
        with sandbox.connect(db) as conn:
            run = run_script(conn, text, file, phase="schema", existing={}, path=path,
                             variables=variables, privileged=privileged_hook(sandbox, db, schema=True))
    except BaseException:
        sandbox.drop_database(db)
        raise
    if not run.ok:
        sandbox.drop_database(db)
        bad = next((o for o in run.outcomes if o.status not in ("ok", "ignored")), None)
        message = bad.message if bad and bad.message else (run.failure or "unknown error")
        raise SchemaLoadError(f"{message}; statement: {bad.statement[:120]}" if bad else message,
                              file=file, line=(bad.error_line or bad.line) if bad else None,
                              sqlstate=bad.sqlstate if bad else None)
    sandbox.schema_roles |= needed | (sandbox.role_names() - roles_before)
    sandbox.templates[key] = db
    return db


class ReadOnlySource:
    """A user's live database, reached only through read-only sessions."""

    OPTIONS = "-c default_transaction_read_only=on -c statement_timeout=60s"

    def __init__(self, dsn: str) -> None:
        try:
            params = conninfo_to_dict(dsn)
        except psycopg.ProgrammingError as exc:
            raise SourceDsnError(f"source DSN is not a valid connection string: {exc}") from None
        self._password = params.pop("password", None)
        self._params = params
        self.display = make_conninfo(**{k: v for k, v in params.items() if k in ("host", "port", "dbname", "user")})
        with self.connect():
            pass

    def connect(self) -> psycopg.Connection:
        """A session where every transaction is read-only (writes fail with SQLSTATE 25006)."""
        params = dict(self._params, options=self.OPTIONS)
        if self._password:
            params["password"] = self._password
        try:
            return psycopg.connect(make_conninfo(**params), autocommit=True, connect_timeout=10)
        except psycopg.OperationalError as exc:
            raise SourceDsnError(f"source DSN unreachable ({self.display}): "
                                 f"{str(exc).strip().splitlines()[-1]}") from None

    def dump_schema(self) -> str:
        """`pg_dump --schema-only` through a read-only session, with the wheel's pg_dump."""
        env = dict(os.environ, PGOPTIONS=self.OPTIONS, PGCONNECT_TIMEOUT="10")
        if self._password:
            env["PGPASSWORD"] = self._password
        proc = subprocess.run([str(pg_bin("pg_dump")), "--schema-only",
                               "-d", make_conninfo(**self._params)],
                              capture_output=True, text=True, env=env, timeout=300)
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["pg_dump failed"])[-1]
            raise SourceDsnError(f"could not dump the source schema ({self.display}): {last}")
        return proc.stdout

    def table_sizes(self) -> dict[str, tuple[float, int]]:
        """Qualified table name -> (estimated rows, bytes), for the lock report."""
        with self.connect() as conn:
            rows = conn.execute("""
                select format('%I.%I', n.nspname, c.relname), c.reltuples::float8,
                       pg_catalog.pg_total_relation_size(c.oid)
                  from pg_class c join pg_namespace n on n.oid = c.relnamespace
                 where c.relkind in ('r', 'p', 'm') and n.nspname not in ('pg_catalog', 'information_schema')
                   and n.nspname !~ '^pg_toast'""").fetchall()
        return {name: (max(tuples, 0.0), size) for name, tuples, size in rows}
