"""jinja2 templates: the prompts, the report and the playbooks' SQL."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent), autoescape=False,
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


def render(name: str, **values) -> str:
    """Render one template of this folder (e.g. "system.md.j2", "playbooks/rls_up.sql.j2")."""
    return _env().get_template(name).render(**values)
