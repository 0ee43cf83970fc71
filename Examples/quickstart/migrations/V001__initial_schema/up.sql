-- Migration: Initial schema
-- Version: 001
-- Description: tenants and their stores
-- ============================================================================

CREATE TABLE tenants (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE stores (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    store_name TEXT NOT NULL,
    FOREIGN KEY (tenant_id) REFERENCES tenants(id) ON DELETE CASCADE
);

CREATE INDEX idx_stores_tenant ON stores(tenant_id);

INSERT INTO tenants (id, name) VALUES ('t1', 'Acme');
INSERT INTO stores (id, tenant_id, store_id, store_name) VALUES ('s1', 't1', 'acme-1', '  Acme Main ');
