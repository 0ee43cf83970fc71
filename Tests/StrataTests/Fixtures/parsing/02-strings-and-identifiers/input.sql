INSERT INTO notes (body) VALUES ('it''s; not the end'), (';'), ('');
CREATE TABLE "odd;name" ("it's" TEXT, "say ""hi""; now" INT);
SELECT E'backslash \' quote; still inside', e'\\';
SELECT 'standard \';
SELECT U&'\0041; unicode', B'1010', X'1F';
SELECT name'x\';
