CREATE OR REPLACE FUNCTION count_history() RETURNS TRIGGER AS $func$
BEGIN
    IF (TG_OP = 'INSERT') THEN
        UPDATE total_history_count_user SET total = total + 1 WHERE user_id = new.user_id;
    END IF;
    COMMIT;
    RETURN NEW;
END;
$func$ LANGUAGE plpgsql;

create or replace trigger tg_count_history
after insert on history
for each row execute procedure count_history();

CREATE CONSTRAINT TRIGGER check_it AFTER INSERT ON history
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION count_history();
