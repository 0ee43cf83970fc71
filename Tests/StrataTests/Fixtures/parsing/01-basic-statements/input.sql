-- Migration: create users
-- Description: basic statements, blank lines and a missing final newline

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL
);

INSERT INTO users (id, email) VALUES (1, 'a@example.com');   INSERT INTO users (id, email) VALUES (2, 'b@example.com');
CREATE INDEX users_email ON users (email);