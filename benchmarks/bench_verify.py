"""Verification speed on this machine. Prints figures; README quotes them.

    python benchmarks/bench_verify.py

Target (issue 7): every check for a 25-table schema <= 2 s warm: synthetic data (200 rows a
table), isolation before and after, EXPLAIN checks, the lock report and object checks. The
migration puts RLS with tenant, child-through-parent and admin policies on every table.
"""

from __future__ import annotations

import statistics
import time

from dbagent.sandbox import Script, VerifyOptions, dry_run, get_sandbox

SETTING = "nullif(current_setting('app.current_tenant_id', true), '')::bigint"


def schema(n: int) -> str:
    parts = ["CREATE TABLE public.tenants (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);"]
    for i in range(n - 1):
        if i % 4 == 3:  # every fourth table is a child that reaches its tenant through its parent
            parts.append(f"CREATE TABLE public.t{i} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
                         f"parent_id bigint NOT NULL REFERENCES public.t{i - 1}(id), note text NOT NULL);")
            continue
        parts.append(f"CREATE TABLE public.t{i} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
                     f"tenant_id bigint NOT NULL REFERENCES public.tenants(id), name text NOT NULL, "
                     f"status text NOT NULL CHECK (status IN ('open', 'closed')), payload jsonb, "
                     f"amount numeric(12,2) CHECK (amount >= 0), created_at timestamptz NOT NULL DEFAULT now());")
    parts.append("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO app_user, app_admin;")
    return "\n".join(parts) + "\n"


def migration(n: int) -> tuple[str, str]:
    up, down = [], []
    for i in range(n - 1):
        t = f"public.t{i}"
        using = f"EXISTS (SELECT 1 FROM public.t{i - 1} p WHERE p.id = parent_id)" if i % 4 == 3 \
            else f"tenant_id = (SELECT {SETTING})"
        up += [f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY;", f"ALTER TABLE {t} FORCE ROW LEVEL SECURITY;",
               f"CREATE POLICY tenant ON {t} TO app_user USING ({using}) WITH CHECK ({using});",
               f"CREATE POLICY admin ON {t} TO app_admin USING (true) WITH CHECK (true);"]
        down += [f"DROP POLICY admin ON {t};", f"DROP POLICY tenant ON {t};",
                 f"ALTER TABLE {t} NO FORCE ROW LEVEL SECURITY;", f"ALTER TABLE {t} DISABLE ROW LEVEL SECURITY;"]
    up.append("CREATE INDEX t0_tenant_created ON public.t0 (tenant_id, created_at);")
    down.insert(0, "DROP INDEX public.t0_tenant_created;")
    return "\n".join(up) + "\n", "\n".join(down) + "\n"


def main() -> None:
    sandbox = get_sandbox()
    up, down = migration(25)
    options = VerifyOptions(queries=("SELECT id FROM public.t0 WHERE tenant_id = $1 AND created_at > now() - interval '1 day'",))
    args = (sandbox, Script("schema.sql", schema(25)), [Script("up.sql", up)], [Script("down.sql", down, role="down")])
    dry_run(*args, verify_with=options)  # warm: template loaded, clone spare made
    verify_steps = ("seed_data", "probe_before", "verify")
    totals, checks_ms, plain = [], [], []
    for _ in range(5):
        started = time.perf_counter()
        result = dry_run(*args, verify_with=options)
        totals.append(time.perf_counter() - started)
        checks_ms.append(sum(s.duration_ms for s in result.steps if s.name in verify_steps))
        assert result.passed, result.failure
        started = time.perf_counter()
        dry_run(*args)
        plain.append(time.perf_counter() - started)
    counts = {s: sum(1 for c in result.checks if c.status == s) for s in ("passed", "warning", "failed", "skipped")}
    print(f"25-table schema, RLS on 24 tables, {sum(result.data.rows.values())} synthetic rows, "
          f"{len(result.checks)} checks {counts}")
    print(f"  verification (seed + isolation before/after + EXPLAIN + locks + objects): "
          f"median {statistics.median(checks_ms):.0f} ms (target <= 2000 ms)")
    print(f"  whole dry-run with verification: median {statistics.median(totals) * 1000:.0f} ms; "
          f"without: {statistics.median(plain) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
