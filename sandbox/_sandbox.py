"""Scratch databases and the unprivileged role that runs every migration.

One Sandbox per process wraps one server. Schemas load once into a template database;
every attempt runs in a fresh clone. Everything is created as, and run by, a dedicated
role that is neither superuser nor BYPASSRLS and is in none of the server-file roles.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import dataclass
from typing import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql

from dbagent.errors import SandboxError
from dbagent.sandbox._server import EmbeddedServer, ExternalServer, Server, install_signal_cleanup

# Extensions a migration may create although PostgreSQL marks them untrusted: they touch no
# files, programs or other servers. Run by the sandbox administrator, nothing else is.
ALLOWED_PRIVILEGED_EXTENSIONS = frozenset({
    "pg_stat_statements", "pg_trgm", "btree_gin", "btree_gist", "pgcrypto", "citext", "uuid-ossp",
    "hstore", "unaccent", "fuzzystrmatch", "ltree", "intarray", "tablefunc", "pg_buffercache",
    "pgstattuple", "vector", "cube", "earthdistance", "isn", "seg", "tsm_system_rows", "pg_prewarm",
})


# Predefined roles that read statistics and settings only, never files or other sessions' data.
GRANTABLE_PREDEFINED_ROLES = ("pg_monitor", "pg_read_all_stats", "pg_read_all_settings", "pg_stat_scan_tables")


@dataclass(frozen=True)
class Limits:
    """Session limits for everything the migrator runs."""

    statement_timeout: str = "30s"
    lock_timeout: str = "5s"
    work_mem: str = "64MB"
    temp_file_limit: str = "1GB"

    def options(self) -> str:
        return (f"-c statement_timeout={self.statement_timeout} -c lock_timeout={self.lock_timeout} "
                f"-c work_mem={self.work_mem}")


class Sandbox:
    """A server plus the migrator role, scratch databases and cached schema templates."""

    def __init__(self, server: Server, limits: Limits = Limits()) -> None:
        self.server, self.limits = server, limits
        self._lock = threading.Lock()
        self._databases: set[str] = set()
        self._roles_created: set[str] = set()
        self.templates: dict[str, str] = {}
        self.schema_roles: set[str] = set()               # roles loaded templates rely on
        self._runs, self._runs_lock, self._role_baseline = 0, threading.Lock(), set()
        self._spares: dict[str, list[str]] = {}       # template -> clones made ahead of need
        self._refills: list[threading.Thread] = []
        token = secrets.token_hex(4)
        external = isinstance(server, ExternalServer)
        self.migrator = f"dbagent_migrator_{token}" if external else "dbagent_migrator"
        self._password = secrets.token_urlsafe(18) if external else None
        with self.admin() as conn:
            self.version = conn.info.server_version
            self._create_migrator(conn)

    @property
    def description(self) -> str:
        major, minor = divmod(self.version, 10000)
        return f"{self.server.kind} PostgreSQL {major}.{minor}"

    # ------------------------------------------------------------------ connections
    def admin(self, dbname: str = "postgres") -> psycopg.Connection:
        try:
            return psycopg.connect(self.server.conninfo(dbname), autocommit=True, connect_timeout=10)
        except psycopg.OperationalError as exc:
            raise SandboxError(f"sandbox unreachable: {str(exc).strip().splitlines()[0]}") from None

    def connect(self, dbname: str, limits: Limits | None = None) -> psycopg.Connection:
        """A connection as the migrator, with `limits` (default: the sandbox's) set."""
        extra = {"password": self._password} if self._password else {}
        options = (limits or self.limits).options()
        try:
            return psycopg.connect(self.server.conninfo(dbname, user=self.migrator, options=options,
                                                        **extra), autocommit=True, connect_timeout=10)
        except psycopg.OperationalError as exc:
            raise SandboxError(f"sandbox unreachable: {str(exc).strip().splitlines()[0]}") from None

    def _create_migrator(self, conn: psycopg.Connection) -> None:
        exists = conn.execute("select 1 from pg_roles where rolname = %s", [self.migrator]).fetchone()
        ident = sql.Identifier(self.migrator)
        if not exists:
            conn.execute(sql.SQL("create role {} login nosuperuser nobypassrls createrole nocreatedb noreplication")
                         .format(ident))
            self._roles_created.add(self.migrator)
        if self.version >= 160000:
            # Monitoring migrations grant these read-only statistics roles to roles they create.
            # ADMIN without INHERIT or SET: the migrator may grant them but never uses them itself.
            for role in GRANTABLE_PREDEFINED_ROLES:
                conn.execute(sql.SQL("grant {} to {} with admin true, inherit false, set false")
                             .format(sql.Identifier(role), ident))
        if self._password:
            conn.execute(sql.SQL("alter role {} password {}").format(ident, sql.Literal(self._password)))
        try:
            conn.execute(sql.SQL("alter role {} set temp_file_limit = {}")
                         .format(ident, sql.Literal(self.limits.temp_file_limit)))
        except psycopg.Error:
            pass  # an external server's admin may not be superuser; the other limits still hold

    def ensure_roles(self, names: set[str]) -> None:
        """Create roles a schema names but does not create (NOLOGIN) and let the migrator use them."""
        with self._lock, self.admin() as conn:
            for name in sorted(names):
                if name in (self.migrator, "public", "current_user", "session_user", "current_role"):
                    continue
                row = _privileged(conn, name)
                if row is None:
                    conn.execute(sql.SQL("create role {} nologin").format(sql.Identifier(name)))
                    self._roles_created.add(name)
                elif row[0]:
                    continue  # never hand a superuser or BYPASSRLS role to the migrator
                # INHERIT/SET options exist from PostgreSQL 16; before, membership implies both
                options = ", inherit true, set true" if self.version >= 160000 else ""
                conn.execute(sql.SQL("grant {} to {} with admin option" + options)
                             .format(sql.Identifier(name), sql.Identifier(self.migrator)))

    def allow_set_role(self, name: str, create: bool = False) -> bool:
        """Let the migrator SET ROLE to `name`, for behaviour probes. Never to a superuser or
        BYPASSRLS role; a missing role is created (NOLOGIN) only when `create` is true."""
        with self._lock, self.admin() as conn:
            row = _privileged(conn, name)
            if row is None and create:
                conn.execute(sql.SQL("create role {} nologin").format(sql.Identifier(name)))
                self._roles_created.add(name)
            elif row is None or row[0]:
                return False
            if conn.execute("select pg_catalog.pg_has_role(%s, %s, 'SET')" if self.version >= 160000 else
                            "select pg_catalog.pg_has_role(%s, %s, 'MEMBER')", [self.migrator, name]).fetchone()[0]:
                return True
            options = " with set true" if self.version >= 160000 else ""
            conn.execute(sql.SQL("grant {} to {}" + options).format(sql.Identifier(name), sql.Identifier(self.migrator)))
        return True

    def is_privileged_role(self, name: str) -> bool:
        """True for roles the migrator must never act as: superuser or BYPASSRLS (or unknown)."""
        with self.admin() as conn:
            row = _privileged(conn, name)
        return row is None or bool(row[0])

    # ------------------------------------------------------------------ databases
    def create_database(self, purpose: str, template: str | None = None) -> str:
        name = f"dbagent_{purpose}_{secrets.token_hex(6)}"
        query = sql.SQL("create database {} owner {}").format(sql.Identifier(name), sql.Identifier(self.migrator))
        if template:
            strategy = " strategy file_copy" if self.version >= 150000 else ""  # STRATEGY is new in 15
            query = sql.SQL("{} template {}" + strategy).format(query, sql.Identifier(template))
        with self._lock:
            self._databases.add(name)
        with self.admin() as conn:
            try:
                conn.execute(query)
            except psycopg.Error as exc:
                with self._lock:
                    self._databases.discard(name)
                raise SandboxError(f"sandbox: cannot create a scratch database: {exc.diag.message_primary}") from None
            if not template:
                conn.execute(sql.SQL("revoke all on database {} from public").format(sql.Identifier(name)))
        return name

    def begin_run(self) -> None:
        """A dry-run starts. Roles are server-wide, so what runs create is dropped only when the
        last concurrent run ends; roles a loaded schema needs are kept for its template."""
        with self._runs_lock:
            if self._runs == 0:
                self._role_baseline = self.role_names()
            self._runs += 1

    def end_run(self) -> None:
        with self._runs_lock:
            self._runs -= 1
            if self._runs == 0:  # counted down first: a dead server must not leave the count up
                self.drop_roles(self.role_names() - self._role_baseline - self.schema_roles)

    def role_names(self) -> set[str]:
        with self.admin() as conn:
            return {r[0] for r in conn.execute("select rolname from pg_roles")}

    def drop_roles(self, names: set[str]) -> None:
        """Drop roles a dry-run created (their objects went with the clone); best effort."""
        with self.admin() as conn:
            conn.autocommit = True
            for name in sorted(names):
                try:
                    conn.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(name)))
                except psycopg.Error:
                    pass  # still referenced somewhere: the server is throwaway, and closing drops it

    def drop_database(self, name: str) -> None:
        with self.admin() as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
        with self._lock:
            self._databases.discard(name)

    def take_clone(self, template: str) -> str:
        """A fresh, never-used copy of `template`. Copying takes ~0.1 s, so one spare copy is
        kept ready per template: an attempt takes it and a background thread makes the next."""
        with self._lock:
            spares = self._spares.setdefault(template, [])
            name = spares.pop() if spares else None
        if name is None:
            name = self.create_database("run", template)
        refill = threading.Thread(target=self._refill, args=(template,), daemon=True)
        with self._lock:
            self._refills = [t for t in self._refills if t.is_alive()] + [refill]
        refill.start()
        return name

    def _refill(self, template: str) -> None:
        try:
            with self._lock:
                if self._spares.get(template):
                    return
            name = self.create_database("run", template)
        except (SandboxError, psycopg.Error):
            return  # the next attempt makes its own copy
        with self._lock:
            self._spares.setdefault(template, []).append(name)

    @contextmanager
    def clone(self, template: str) -> Iterator[str]:
        """A fresh copy of a template database, dropped afterwards."""
        name = self.take_clone(template)
        try:
            yield name
        finally:
            self.drop_database(name)

    def run_privileged_extension(self, dbname: str, statement: str, extensions: tuple[str, ...]) -> bool:
        """Run CREATE/DROP EXTENSION as the administrator when every extension is allow-listed and
        not trusted (trusted ones the migrator runs itself, as database owner); False otherwise."""
        if not extensions or not set(extensions) <= ALLOWED_PRIVILEGED_EXTENSIONS:
            return False
        with self.admin(dbname) as conn:
            trusted = conn.execute("select bool_and(trusted) from pg_available_extension_versions v "
                                   "join pg_available_extensions e on e.name = v.name "
                                   "and e.default_version = v.version where v.name = any(%s)",
                                   [list(extensions)]).fetchone()[0]
            if trusted is None or trusted:
                return False
            conn.execute(statement.encode())
        return True

    def close(self) -> None:
        """Drop every scratch database and role this sandbox made, then stop an embedded server."""
        for thread in list(self._refills):
            thread.join(timeout=10)
        try:
            if self.server.kind == "external" or getattr(self.server, "alive", lambda: False)():
                with self.admin() as conn:
                    for name in sorted(self._databases):
                        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
                    if self.server.kind == "external":
                        for role in sorted(self._roles_created):
                            conn.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(role)))
        except (psycopg.Error, SandboxError):
            pass  # best effort: the embedded server's directory goes away below regardless
        finally:
            self._databases.clear()
            self._spares.clear()
            self.server.stop()


def _privileged(conn: psycopg.Connection, role: str) -> tuple[bool] | None:
    """(superuser or BYPASSRLS,) for an existing role, None when there is no such role."""
    return conn.execute("select rolsuper or rolbypassrls from pg_roles where rolname = %s", [role]).fetchone()


def schema_key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


_open: dict[str | None, Sandbox] = {}
_guard = threading.Lock()


def get_sandbox(dsn: str | None = None) -> Sandbox:
    """The process's sandbox for `dsn` (None: embedded): started on first use, reused, closed at exit."""
    import atexit

    with _guard:
        current = _open.get(dsn)
        if current is not None and _server_alive(current):
            return current
        if current is not None:
            current.close()
        install_signal_cleanup()
        server: Server = ExternalServer(dsn) if dsn else EmbeddedServer().start()
        try:
            _open[dsn] = Sandbox(server)
        except BaseException:
            server.stop()
            raise
        if len(_open) == 1:
            atexit.register(close_sandbox)
        return _open[dsn]


def _server_alive(sandbox: Sandbox) -> bool:
    alive = getattr(sandbox.server, "alive", None)
    return alive() if alive else True


def close_sandbox(dsn: str | None | type(...) = ...) -> None:
    """Close the sandbox for `dsn`, or every open sandbox when no argument is given."""
    with _guard:
        keys = list(_open) if dsn is ... else [dsn]
        for key in keys:
            sandbox = _open.pop(key, None)
            if sandbox is not None:
                sandbox.close()
