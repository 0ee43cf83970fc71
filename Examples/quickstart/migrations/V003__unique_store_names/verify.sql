-- Any row returned means the migration failed and is rolled back.
SELECT store_name, COUNT(*) FROM stores GROUP BY store_name HAVING COUNT(*) > 1;
