CREATE RULE log_insert AS ON INSERT TO items DO ALSO (
    INSERT INTO log VALUES ('insert');
    UPDATE counters SET n = n + 1
);
SELECT tags['k;]'], matrix[1][2], '{a,b}'::text[] FROM items;
CREATE OR REPLACE RULE r2 AS ON DELETE TO items DO INSTEAD NOTHING;
