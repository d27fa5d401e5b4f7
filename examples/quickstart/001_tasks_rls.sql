-- Tenant isolation for tasks, and the index its hottest query needs.
\set tenant_setting 'app.current_tenant_id'
BEGIN;
SET LOCAL lock_timeout = '5s';

ALTER TABLE public.tasks ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.tasks FORCE ROW LEVEL SECURITY;

CREATE POLICY tasks_tenant_isolation ON public.tasks
    FOR ALL TO app_user
    USING (tenant_id = (SELECT current_setting(:'tenant_setting', true)::uuid))
    WITH CHECK (tenant_id = (SELECT current_setting(:'tenant_setting', true)::uuid));
COMMENT ON POLICY tasks_tenant_isolation ON public.tasks IS 'Each tenant sees only its own tasks.';
COMMIT;

-- An existing table: build the index without blocking writes (outside any transaction).
CREATE INDEX CONCURRENTLY IF NOT EXISTS tasks_tenant_project_idx
    ON public.tasks (tenant_id, project_id, created_at DESC);
