-- A small multi-tenant shop with known rows: tenant A (Acme) and tenant B (Globex).
CREATE TABLE tenants (id uuid PRIMARY KEY, name text NOT NULL);
CREATE TABLE customers (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    email text NOT NULL,
    name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE orders (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    customer_id uuid NOT NULL REFERENCES customers (id),
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'paid', 'shipped', 'cancelled')),
    total_cents bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE order_items (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id uuid NOT NULL REFERENCES orders (id),
    sku text NOT NULL,
    quantity integer NOT NULL CHECK (quantity > 0),
    price_cents bigint NOT NULL);
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO app_user;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO app_admin;

INSERT INTO tenants VALUES ('a0000000-0000-4000-8000-000000000001', 'Acme'), ('b0000000-0000-4000-8000-000000000002', 'Globex');
INSERT INTO customers (id, tenant_id, email, name) VALUES
    ('c0000000-0000-4000-8000-0000000000a1', 'a0000000-0000-4000-8000-000000000001', 'ann@acme.test', 'Ann'),
    ('c0000000-0000-4000-8000-0000000000a2', 'a0000000-0000-4000-8000-000000000001', 'al@acme.test', 'Al'),
    ('c0000000-0000-4000-8000-0000000000b1', 'b0000000-0000-4000-8000-000000000002', 'bo@globex.test', 'Bo');
INSERT INTO orders (id, tenant_id, customer_id, status, total_cents, created_at) VALUES
    ('d0000000-0000-4000-8000-0000000000a1', 'a0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-0000000000a1', 'open', 1000, now() - interval '1 day'),
    ('d0000000-0000-4000-8000-0000000000a2', 'a0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-0000000000a1', 'paid', 2500, now() - interval '2 days'),
    ('d0000000-0000-4000-8000-0000000000a3', 'a0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-0000000000a2', 'shipped', 400, now() - interval '40 days'),
    ('d0000000-0000-4000-8000-0000000000b1', 'b0000000-0000-4000-8000-000000000002', 'c0000000-0000-4000-8000-0000000000b1', 'open', 9900, now() - interval '3 days'),
    ('d0000000-0000-4000-8000-0000000000b2', 'b0000000-0000-4000-8000-000000000002', 'c0000000-0000-4000-8000-0000000000b1', 'paid', 100, now() - interval '5 days');
INSERT INTO order_items (order_id, sku, quantity, price_cents) VALUES
    ('d0000000-0000-4000-8000-0000000000a1', 'SKU-1', 1, 1000),
    ('d0000000-0000-4000-8000-0000000000a2', 'SKU-2', 5, 500),
    ('d0000000-0000-4000-8000-0000000000b1', 'SKU-9', 9, 1100);

-- Buyers may read a supplier's catalogue while an active agreement links them.
CREATE TABLE products (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    sku text NOT NULL,
    name text NOT NULL,
    price_cents bigint NOT NULL);
CREATE TABLE trade_agreements (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    supplier_tenant_id uuid NOT NULL REFERENCES tenants (id),
    buyer_tenant_id uuid NOT NULL REFERENCES tenants (id),
    status text NOT NULL CHECK (status IN ('draft', 'active', 'terminated')),
    valid_from date NOT NULL,
    valid_until date,
    CHECK (supplier_tenant_id <> buyer_tenant_id));
GRANT SELECT, INSERT, UPDATE, DELETE ON products, trade_agreements TO app_user;
INSERT INTO tenants VALUES ('c0000000-0000-4000-8000-000000000003', 'Initech');
INSERT INTO products (tenant_id, sku, name, price_cents) VALUES
    ('a0000000-0000-4000-8000-000000000001', 'A-1', 'anvil', 100), ('b0000000-0000-4000-8000-000000000002', 'B-1', 'bolt', 5), ('b0000000-0000-4000-8000-000000000002', 'B-2', 'bracket', 7),
    ('c0000000-0000-4000-8000-000000000003', 'C-1', 'cable', 9);
INSERT INTO trade_agreements (supplier_tenant_id, buyer_tenant_id, status, valid_from, valid_until) VALUES
    ('b0000000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-000000000001', 'active', current_date - 30, current_date + 30),
    ('c0000000-0000-4000-8000-000000000003', 'a0000000-0000-4000-8000-000000000001', 'active', current_date - 60, current_date - 1);
