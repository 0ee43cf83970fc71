/* SQLite ends this comment at the first close: /* */ SELECT 'one';
SELECT [weird'name] FROM t;
SELECT $$x; SELECT 'y';
