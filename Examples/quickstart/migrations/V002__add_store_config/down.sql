DROP INDEX IF EXISTS idx_stores_config_fetched;
ALTER TABLE stores DROP COLUMN config_fetched_at;
ALTER TABLE stores DROP COLUMN store_config;
