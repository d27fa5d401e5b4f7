"""dbagent: turn a database recommendation into a proven PostgreSQL implementation.

Python API (typed, returning pydantic models):

    from dbagent import check, dry_run, implement, lint
    result = implement("recommendation.md", schema="schema.sql")   # the whole pipeline
    result = check("report.md", schema="schema.sql")       # an 11-section report anyone wrote
    report = lint(["migrations/001.sql"], schema="schema.sql")
    result = dry_run(["migrations/001.sql"], rollback=["migrations/001.down.sql"], schema="schema.sql")
"""

from dbagent.api import check, dry_run, implement, lint

__all__ = ["check", "dry_run", "implement", "lint"]
