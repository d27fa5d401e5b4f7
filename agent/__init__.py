"""dbagent: turn a database recommendation into a proven PostgreSQL implementation.

Python API (typed, returning pydantic models):

    from dbagent import check, dry_run, implement, lint
    result = implement("recommendation.md", schema="schema.sql")   # the whole pipeline
    result = check("report.md", schema="schema.sql")       # an 11-section report anyone wrote
    report = lint(["migrations/001.sql"], schema="schema.sql")
    result = dry_run(["migrations/001.sql"], rollback=["migrations/001.down.sql"], schema="schema.sql")
"""

__all__ = ["check", "dry_run", "implement", "lint"]


def __getattr__(name: str):
    """The API is imported on first use, so that `import dbagent` (and the console script) is fast."""
    if name in __all__:
        from dbagent import api

        return getattr(api, name)
    raise AttributeError(f"module 'dbagent' has no attribute {name!r}")
