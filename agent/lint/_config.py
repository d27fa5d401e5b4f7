"""`[tool.dbagent.lint]` from the user's pyproject.toml."""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path

from pydantic import ValidationError

from dbagent.errors import UserError
from dbagent.lint.models import LintConfig
from dbagent.lint.rules import ALL_RULES


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above `start`."""
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load_config(path: Path | None = None, *, start: Path | None = None) -> LintConfig:
    """The lint configuration of `path`, or of the nearest pyproject.toml; defaults when absent."""
    path = path or find_pyproject(start or Path.cwd())
    if path is None:
        return LintConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UserError(f"{path}: cannot read [tool.dbagent.lint]: {exc}") from None
    section = data.get("tool", {}).get("dbagent", {}).get("lint", {})
    try:
        config = LintConfig.model_validate(section)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise UserError(f"{path}: [tool.dbagent.lint] {where}: {first['msg']}") from None
    check_rule_ids(config, str(path))
    return config


def check_rule_ids(config: LintConfig, where: str) -> None:
    """Unknown rule ids in `disable` or `severity` are mistakes: say which, with a suggestion."""
    known = [r.id for r in ALL_RULES]
    for rule_id in [*config.disable, *config.severity]:
        if rule_id not in known:
            close = difflib.get_close_matches(rule_id, known, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise UserError(f"{where}: [tool.dbagent.lint] names unknown rule '{rule_id}'{hint}")
