-- Tenant data in a named schema with bigint keys and a quoted, mixed-case table name.
CREATE SCHEMA crm;
CREATE TABLE crm.accounts (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE crm."Deals" (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES crm.accounts (id),
    title text NOT NULL,
    amount numeric(12,2) NOT NULL CHECK (amount >= 0),
    created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE crm.deal_notes (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    deal_id bigint NOT NULL REFERENCES crm."Deals" (id),
    body text NOT NULL);
GRANT USAGE ON SCHEMA crm TO app_user, app_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA crm TO app_user;
INSERT INTO crm.accounts VALUES (1, 'Acme'), (2, 'Globex');
INSERT INTO crm."Deals" (tenant_id, title, amount) VALUES (1, 'a1', 10), (1, 'a2', 20), (2, 'b1', 30);
INSERT INTO crm.deal_notes (deal_id, body) VALUES (1, 'n1'), (3, 'n3');
