CREATE FUNCTION touch() RETURNS trigger AS $func$
BEGIN
    -- a comment with 'quote; and $$ inside
    NEW.updated_at := now();
    EXECUTE $q$UPDATE t SET x = 1; $q$;
    RETURN NEW;
END;
$func$ LANGUAGE plpgsql;

DO $$
BEGIN
    RAISE NOTICE 'done; really';
END
$$;

PREPARE fetch_user AS SELECT * FROM users WHERE id = $1 AND org = $2;
SELECT a$b$c FROM t;
