"""Sandbox speed and memory on this machine. Prints figures; README quotes them.

    python benchmarks/bench_sandbox.py

Targets (issue 2): cold start <= 1.0 s; one clone <= 100 ms; a 20-statement migration with
rollback proof on a 25-table schema <= 1.5 s warm; a 500-table pg_dump loads in <= 10 s.
"""

from __future__ import annotations

import resource
import statistics
import time

import psutil

from dbagent.sandbox import ReadOnlySource, Script, dry_run, get_sandbox, load_schema
from dbagent.sandbox._server import EmbeddedServer


def tables_schema(n: int) -> str:
    parts = ["CREATE TABLE public.tenants (id bigint PRIMARY KEY, name text NOT NULL);"]
    for i in range(n - 1):
        parent = f"public.t{i - 1}" if i else "public.tenants"
        parts.append(
            f"CREATE TABLE public.t{i} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
            f"tenant_id bigint NOT NULL REFERENCES public.tenants(id), parent_id bigint REFERENCES {parent}(id), "
            f"name text NOT NULL, payload jsonb, amount numeric(12,2) CHECK (amount >= 0), "
            f"created_at timestamptz NOT NULL DEFAULT now());\n"
            f"CREATE INDEX t{i}_tenant_idx ON public.t{i} (tenant_id, created_at);\n"
            f"COMMENT ON TABLE public.t{i} IS 'table {i}';")
    return "\n".join(parts) + "\n"


def migration(n: int = 20) -> tuple[str, str]:
    up, down = ["BEGIN;"], ["BEGIN;"]
    for i in range(6):
        up.append(f"ALTER TABLE public.t{i} ADD COLUMN note_{i} text;")
        up.append(f"ALTER TABLE public.t{i} ENABLE ROW LEVEL SECURITY;")
        if i < 5:
            up.append(f"CREATE POLICY p{i} ON public.t{i} USING (tenant_id = "
                      f"(select current_setting('app.current_tenant_id', true)::bigint));")
            down.append(f"DROP POLICY p{i} ON public.t{i};")
        down += [f"ALTER TABLE public.t{i} DISABLE ROW LEVEL SECURITY;",
                 f"ALTER TABLE public.t{i} DROP COLUMN note_{i};"]
    up.append("CREATE TABLE public.new_feature (id bigint PRIMARY KEY, tenant_id bigint NOT NULL);")
    up.append("COMMIT;")
    down += ["DROP TABLE public.new_feature;", "COMMIT;"]
    assert len(up) == n
    return "\n".join(up) + "\n", "\n".join(down) + "\n"


def timed(fn, repeat: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples), max(samples)


def main() -> None:
    def cold():
        EmbeddedServer().start().stop()
    med, worst = timed(cold, 5)
    print(f"cold start (initdb + start + stop): median {med * 1000:.0f} ms, worst {worst * 1000:.0f} ms")
    t = time.perf_counter()
    server = EmbeddedServer().start()
    print(f"cold start (initdb + start only):   {(time.perf_counter() - t) * 1000:.0f} ms")
    server.stop()

    sandbox = get_sandbox()
    schema25 = tables_schema(25)
    template = load_schema(sandbox, schema25, "bench25.sql")
    names: list[str] = []
    med, worst = timed(lambda: names.append(sandbox.create_database("bench", template)), 10)
    print(f"clone of a 25-table template (CREATE DATABASE ... TEMPLATE): median {med * 1000:.0f} ms, "
          f"worst {worst * 1000:.0f} ms")

    samples = []
    for _ in range(10):
        t = time.perf_counter()
        names.append(sandbox.take_clone(template))
        samples.append(time.perf_counter() - t)
        time.sleep(0.3)  # the attempt's own work, while the next spare copy is made
    print(f"clone for one attempt (spare copy kept ready): median {statistics.median(samples) * 1000:.1f} ms, "
          f"worst after the first {max(samples[1:]) * 1000:.1f} ms")
    for n in names:
        sandbox.drop_database(n)

    up, down = migration()
    schema = Script("bench25.sql", schema25)
    dry_run(sandbox, schema, [Script("up.sql", up)], [Script("down.sql", down, role="down")])  # warm
    results = []
    med, worst = timed(lambda: results.append(dry_run(sandbox, schema, [Script("up.sql", up)],
                                                      [Script("down.sql", down, role="down")])), 5)
    assert all(r.passed for r in results), results[-1].failure
    print(f"20-statement dry-run + rollback proof, 25 tables (warm): median {med * 1000:.0f} ms, "
          f"worst {worst * 1000:.0f} ms")

    big = load_schema(sandbox, tables_schema(500), "bench500.sql")
    source_db = sandbox.create_database("source", big)
    dump = ReadOnlySource(sandbox.server.conninfo(source_db)).dump_schema()
    sandbox.drop_database(source_db)
    t = time.perf_counter()
    load_schema(sandbox, dump, "dump500.sql")
    print(f"schema load of a 500-table pg_dump ({len(dump) // 1024} KB): {time.perf_counter() - t:.2f} s")

    py_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    postmaster = psutil.Process(sandbox.server.process.pid)
    pg_rss = sum(p.memory_info().rss for p in [postmaster, *postmaster.children()]) / 2**20
    print(f"peak memory: dbagent process {py_peak:.0f} MiB; sandbox postgres (postmaster + children) "
          f"{pg_rss:.0f} MiB RSS at end")


if __name__ == "__main__":
    main()
