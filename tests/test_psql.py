"""psql scripts: splitting, variables, conditionals, includes, and refusal of host access."""

from __future__ import annotations

import pytest

from dbagent import dry_run
from dbagent.sandbox._psql import PsqlInterpreter, ScriptError


def split(text: str, variables: dict | None = None) -> list[str]:
    sent: list[str] = []
    PsqlInterpreter(lambda unit, lines: sent.append(unit.sql) or None, variables).run(text, "t.sql")
    return sent


def test_splits_like_psql_across_quotes_comments_and_dollar_bodies():
    text = ("SELECT 'a;b' AS x; -- c;\nCREATE FUNCTION f() RETURNS int LANGUAGE sql AS $body$ SELECT 1; $body$;\n"
            "/* a; /* nested; */ */ SELECT E'it\\'s;';\nCREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2);\n"
            'SELECT "semi;colon" FROM t;\nSELECT 1::int')
    assert split(text) == [
        "SELECT 'a;b' AS x;",
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $body$ SELECT 1; $body$;",
        "SELECT E'it\\'s;';",
        "CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2);",
        'SELECT "semi;colon" FROM t;',
        "SELECT 1::int",
    ]


def test_variables_interpolate_as_text_literal_and_identifier():
    text = "\\set tbl my table\n\\set n 5\nSELECT :n, :'tbl', :\"tbl\", ':n', :undefined FROM t;\n"
    assert split(text) == ["SELECT 5, 'mytable', \"mytable\", ':n', :undefined FROM t;"]
    assert split("SELECT :'who';", {"who": "o'brien"}) == ["SELECT 'o''brien';"]


def test_conditionals_choose_one_branch():
    text = ("\\set flag off\n\\if :flag\nSELECT 'if';\n\\elif true\nSELECT 'elif';\n"
            "\\if false\nSELECT 'nested';\n\\endif\n\\else\nSELECT 'else';\n\\endif\nSELECT 'after';\n")
    assert split(text) == ["SELECT 'elif';", "SELECT 'after';"]


def test_unterminated_if_and_bad_boolean_are_errors_with_lines():
    with pytest.raises(ScriptError) as err:
        split("SELECT 1;\n\\if true\nSELECT 2;\n")
    assert "without matching \\endif" in str(err.value)
    with pytest.raises(ScriptError) as err:
        split("SELECT 1;\n\\if maybe\n\\endif\n")
    assert err.value.location.line == 2


@pytest.mark.parametrize("line, reason", [
    ("\\! touch /tmp/x", "shell command"),
    ("\\copy t TO PROGRAM 'cat > /tmp/x'", "host files"),
    ("\\copy t FROM '/etc/passwd'", "host files"),
    ("\\o | mail someone", "pipes it to a program"),
    ("\\setenv PATH /tmp", "environment"),
    ("\\set x `id`", "shell command"),
    ("\\g |cat", "refused"),
])
def test_host_reaching_meta_commands_are_refused_with_their_line(line, reason):
    with pytest.raises(ScriptError) as err:
        split(f"SELECT 1;\n{line}\nSELECT 2;\n")
    assert err.value.kind == "refused" and err.value.location.line == 2
    assert reason in str(err.value)


def test_unknown_meta_command_is_unsupported_with_its_line():
    with pytest.raises(ScriptError) as err:
        split("SELECT 1;\n\n\\frobnicate now\n")
    assert err.value.kind == "unsupported" and err.value.location.line == 3


def test_pg_dump_meta_commands_are_skipped():
    text = "\\restrict abc123\nSET client_encoding = 'UTF8';\n\\connect mydb\nSELECT 1;\n\\unrestrict abc123\n"
    assert split(text) == ["SET client_encoding = 'UTF8';", "SELECT 1;"]


def test_gset_if_and_include_run_in_the_sandbox(write, sandbox):
    write("inc/part.sql", "CREATE TABLE public.:\"table_name\" (id int);\n")
    up = write("up.sql", "SELECT current_setting('server_version_num')::int >= 150000 AS modern \\gset\n"
                         "\\if :modern\n\\set table_name from_include\n\\ir inc/part.sql\n\\else\n"
                         "SELECT 1/0;\n\\endif\n\\echo done :table_name\n")
    result = dry_run([up])
    assert result.status == "verified", result.failure
    assert [c.name for c in result.dry_run.changes if c.kind == "table"] == ["public.from_include"]
    assert result.dry_run.output == ["done from_include"]


def test_command_line_variables_reach_the_script(write, sandbox):
    up = write("up.sql", "CREATE TABLE public.:\"name\" (id int);\n")
    result = dry_run([up], variables={"name": "from_cli"})
    assert [c.name for c in result.dry_run.changes if c.kind == "table"] == ["public.from_cli"]


def test_include_outside_the_script_directory_is_refused(write, sandbox):
    up = write("sub/up.sql", "\\i /etc/hostname\n")
    result = dry_run([up])
    assert result.status == "failed"
    refused = result.dry_run.statements[0]
    assert refused.status == "refused" and refused.line == 1 and "outside" in refused.message


def test_refused_meta_command_stops_before_later_sql(write, sandbox, tmp_path):
    canary = tmp_path / "canary"
    up = write("up.sql", f"CREATE TABLE public.a (id int);\n\\! touch {canary}\nCREATE TABLE public.b (id int);\n")
    result = dry_run([up])
    assert result.status == "failed" and not canary.exists()
    assert [s.status for s in result.dry_run.statements] == ["ok", "refused"]


def test_error_position_maps_through_interpolated_variables(write, sandbox):
    up = write("up.sql", "\\set t 'a_much_longer_table_name_than_the_variable'\n"
                         "SELECT :'t',\n       missing_column FROM pg_class;\n")
    bad = dry_run([up]).dry_run.statements[-1]
    assert bad.sqlstate == "42703" and (bad.error_line, bad.error_column) == (3, 8)
