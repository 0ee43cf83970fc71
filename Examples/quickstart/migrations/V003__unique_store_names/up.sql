-- Migration: Normalize store names and make them unique
-- Version: 003
-- Description: the seed 000 table rebuild; foreign keys are checked before commit
-- ============================================================================

UPDATE stores
SET store_name = TRIM(LOWER(store_name))
WHERE store_name != TRIM(LOWER(store_name));

CREATE TABLE stores_new (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    store_name TEXT NOT NULL UNIQUE,
    store_config TEXT,
    config_fetched_at TIMESTAMP,
    FOREIGN KEY (tenant_id) REFERENCES tenants(id) ON DELETE CASCADE
);

INSERT INTO stores_new SELECT * FROM stores;
DROP TABLE stores;
ALTER TABLE stores_new RENAME TO stores;

CREATE INDEX idx_stores_tenant ON stores(tenant_id);
CREATE INDEX idx_stores_config_fetched ON stores(config_fetched_at);
