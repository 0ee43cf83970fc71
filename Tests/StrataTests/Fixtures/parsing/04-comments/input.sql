/* header
   /* nested; with 'quote */
   still header; */
-- line comment; with 'quote
SELECT 1 /* inline; */ + 2; -- trailing; comment
/* between */ SELECT 3
  -- inside the statement; kept
  + 4;
-- before the end
SELECT 5 -- no semicolon, trailing comment dropped
/* and a final block */
