-- Migration: Add store config caching fields
-- Version: 002

ALTER TABLE stores ADD COLUMN store_config TEXT;
ALTER TABLE stores ADD COLUMN config_fetched_at TIMESTAMP;
CREATE INDEX idx_stores_config_fetched ON stores(config_fetched_at);
