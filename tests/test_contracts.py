"""Contracts that must not drift: committed JSON Schemas, layer boundaries, the README commands."""

from __future__ import annotations

import ast
import json
import tomllib

import jsonschema

from dbagent.contracts import SCHEMAS, render
from dbagent.result import Result

from conftest import ROOT


def test_committed_schemas_match_the_models():
    for name, model in SCHEMAS.items():
        committed = (ROOT / "schemas" / f"{name}.schema.json").read_text()
        assert committed == render(model), f"schemas/{name}.schema.json is stale: run python -m dbagent.contracts"


def test_a_result_validates_against_the_committed_schema():
    schema = json.loads((ROOT / "schemas" / "result.schema.json").read_text())
    jsonschema.validate(json.loads(Result(command="dryrun", status="failed", failure="x").model_dump_json()), schema)


def _imports_of(package_dir) -> dict[str, set[str]]:
    """Module -> the dbagent modules it imports, read from the source (editable installs map
    agent/ and sandbox/ onto one package, which import-linter's scanner cannot follow)."""
    found: dict[str, set[str]] = {}
    for folder, prefix in ((ROOT / "agent", "dbagent"), (ROOT / "sandbox", "dbagent.sandbox")):
        for path in folder.rglob("*.py"):
            rel = path.relative_to(folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            module = ".".join([prefix, *parts])
            names = set()
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    names |= {a.name for a in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names.add(node.module)
            found[module] = {n for n in names if n.startswith("dbagent")}
    return found


def test_layers_declared_in_pyproject_hold():
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    imports = _imports_of(ROOT)
    broken = []
    for contract in contracts:
        for module, names in imports.items():
            if not any(module == s or module.startswith(s + ".") for s in contract["source_modules"]):
                continue
            for name in names:
                if any(name == f or name.startswith(f + ".") for f in contract["forbidden_modules"]):
                    broken.append(f"{contract['name']}: {module} imports {name}")
    assert imports["dbagent.sandbox._server"]  # the scan sees the mapped sandbox package
    assert broken == []


def test_ci_runs_the_readme_test_command_verbatim():
    readme = (ROOT / "README.md").read_text()
    blocks = readme.split("```")
    commands = [b.strip().removeprefix("bash").strip() for b in blocks[1:4:2]]
    assert len(commands) == 2
    assert commands[0].startswith("pip install") and "dbagent " in commands[0]
    assert commands[1] in (ROOT / ".ci" / "run").read_text()


def test_every_package_folder_is_listed_for_installation():
    """A subpackage missing from [tool.setuptools] packages works in the editable install and
    vanishes from a wheel: list them all."""
    setup = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(setup["packages"])
    found = set()
    for name, folder in setup["package-dir"].items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder)
            found.add(".".join([name, *rel.parts]))
    assert found - listed == set()
