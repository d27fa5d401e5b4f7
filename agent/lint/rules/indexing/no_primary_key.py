from dbagent.lint._rule import Rule


class NoPrimaryKey(Rule):
    """A new table without a primary key: rows cannot be addressed, replicated logically or deduplicated.

    Bad:
        CREATE TABLE audit_log (tenant_id uuid NOT NULL, message text);

    Good:
        CREATE TABLE audit_log (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, tenant_id uuid NOT NULL, message text);
    """

    id = "no-primary-key"
    group = "indexing"
    severity = "warning"
    hint = "add a primary key (bigint identity, or (tenant_id, id))"

    def finish(self, ctx):
        for table, s in ctx.created.items():
            t = ctx.catalog.table(table)
            if t and t.kind == "table" and not t.primary_key and getattr(s.node, "partbound", None) is None:
                yield self.hit(s, f"table {table} has no primary key")
