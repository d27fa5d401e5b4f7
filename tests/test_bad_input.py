"""Bad input: one clear line on stderr, exit 2, no traceback, nothing left behind."""

from __future__ import annotations

import psutil
import pytest

from conftest import run_cli

GOOD = "CREATE TABLE public.t (id int);\n"


def _postgres_under(tmpdir) -> list[int]:
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        if proc.info["name"] == "postgres" and str(tmpdir) in " ".join(proc.info["cmdline"] or []):
            found.append(proc.pid)
    return found


def _case(tmp_path, kind):
    up = tmp_path / "up.sql"
    up.write_text(GOOD)
    schema = tmp_path / "schema.sql"
    if kind == "missing":
        return ["dryrun", str(tmp_path / "nope.sql")], "no such file"
    if kind == "empty":
        schema.write_text("  \n")
        return ["dryrun", str(up), "--schema", str(schema)], "file is empty"
    if kind == "directory":
        return ["dryrun", str(tmp_path)], "is a directory"
    if kind == "non-utf8":
        up.write_bytes(b"SELECT '\xff\xfe caf\xe9';\n")
        return ["dryrun", str(up)], "not valid UTF-8 (line 1"
    if kind == "binary":
        up.write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00")
        return ["dryrun", str(up)], "binary content"
    if kind == "schema-fails":
        schema.write_text("CREATE TABLE a (id int);\n\n\nCREATE TABLE b (id int REFERENCES nowhere(id));\n")
        return ["dryrun", str(up), "--schema", str(schema)], f"schema failed to load: {schema}:4:"
    if kind == "sandbox-dsn-unreachable":
        return ["dryrun", str(up), "--sandbox-dsn", f"host={tmp_path} port=1 user=x dbname=x"], \
            "sandbox DSN unreachable"
    if kind == "source-dsn-unreachable":
        return ["dryrun", str(up), "--schema-from-dsn", "postgresql://u:secretpw@127.0.0.1:1/db"], \
            "source DSN unreachable"
    if kind == "bad-variable":
        return ["dryrun", str(up), "-v", "novalue"], "-v expects NAME=VALUE"
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["missing", "empty", "directory", "non-utf8", "binary", "schema-fails",
                                  "sandbox-dsn-unreachable", "source-dsn-unreachable", "bad-variable"])
def test_bad_input_is_one_line_exit_2_and_leaves_nothing(tmp_path, kind):
    work = tmp_path / "work"
    work.mkdir()
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    args, expected = _case(work, kind)
    proc = run_cli(*args, tmpdir=tmpdir)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dbagent: error: "), proc.stderr
    assert expected in lines[0]
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert "secretpw" not in proc.stderr
    assert list(tmpdir.iterdir()) == [] and _postgres_under(tmpdir) == []


def test_usage_error_exits_2(tmp_path):
    proc = run_cli("dryrun", "--no-such-flag", tmpdir=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
