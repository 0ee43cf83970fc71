;;
-- only a comment;
;
SELECT 1;;
   ;  SELECT 2
-- tail comment; not a statement
