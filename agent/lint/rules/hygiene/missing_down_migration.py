from dbagent.lint._rule import Rule

# Objects that live on a table: dropping the table in the rollback removes them too.
ON_TABLE = {"index", "policy", "trigger", "column"}


class MissingDownMigration(Rule):
    """An object the forward migration creates that no rollback file removes.

    Bad:
        -- file: 001_notes.sql
        CREATE TABLE notes (id bigint PRIMARY KEY);
        CREATE INDEX notes_id_idx ON notes (id);
        -- file: 001_notes.down.sql
        DROP INDEX IF EXISTS notes_id_idx;

    Good:
        -- file: 001_notes.sql
        CREATE TABLE notes (id bigint PRIMARY KEY);
        -- file: 001_notes.down.sql
        DROP TABLE IF EXISTS notes;
    """

    id = "missing-down-migration"
    group = "hygiene"
    severity = "warning"
    hint = "add a rollback file (name.down.sql) that drops what the forward file creates, in reverse order"

    def finish(self, ctx):
        has_rollback = any(src.effective_role() == "down" for src in ctx.sources)
        if not has_rollback:
            reported = set()
            for _, _, s in ctx.forward:
                if s.source.name not in reported:
                    reported.add(s.source.name)
                    yield self.hit(s, f"{s.source.name} creates objects and no rollback file is given")
            return
        dropped = ctx.rollback
        dropped_tables = {name for kind, name in dropped if kind == "table"}
        for kind, name, s in ctx.forward:
            table = getattr(getattr(s.node, "relation", None), "relname", None) or \
                getattr(getattr(s.node, "table", None), "relname", None)
            if (kind, name) in dropped or (kind in ON_TABLE and table in dropped_tables):
                continue
            yield self.hit(s, f"{kind} {name} is created but no rollback removes it")
