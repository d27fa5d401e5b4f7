"""dbagent: turn a database recommendation into a proven PostgreSQL implementation.

Python API (typed, returning pydantic models):

    from dbagent import dry_run, lint
    report = lint(["migrations/001.sql"], schema="schema.sql")
    result = dry_run(["migrations/001.sql"], rollback=["migrations/001.down.sql"], schema="schema.sql")
"""

from dbagent.api import dry_run, lint

__all__ = ["dry_run", "lint"]
