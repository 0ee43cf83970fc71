CREATE TABLE [order;items] (`id;x` INTEGER, [qty] INTEGER);

CREATE TRIGGER IF NOT EXISTS items_audit
AFTER UPDATE OF qty ON [order;items]
WHEN CASE WHEN new.qty > old.qty THEN 1 ELSE 0 END
BEGIN
    INSERT INTO audit (what) VALUES ('qty; up');
    UPDATE totals SET n = CASE WHEN n IS NULL THEN 1 ELSE n + 1 END;
    SELECT RAISE(ABORT, 'negative; qty') WHERE new.qty < 0;
END;

create temp trigger t2 before delete on [order;items] begin delete from audit; end;
CREATE TEMPORARY TRIGGER t3 AFTER INSERT ON audit BEGIN SELECT 1; END;
DROP TRIGGER t3;
