CREATE TABLE stores_old (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    store_name TEXT NOT NULL,
    store_config TEXT,
    config_fetched_at TIMESTAMP,
    FOREIGN KEY (tenant_id) REFERENCES tenants(id) ON DELETE CASCADE
);
INSERT INTO stores_old SELECT * FROM stores;
DROP TABLE stores;
ALTER TABLE stores_old RENAME TO stores;
CREATE INDEX idx_stores_tenant ON stores(tenant_id);
CREATE INDEX idx_stores_config_fetched ON stores(config_fetched_at);
