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
