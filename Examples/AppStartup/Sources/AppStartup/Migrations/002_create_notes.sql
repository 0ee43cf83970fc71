-- Migration: create notes
CREATE TABLE notes (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    body TEXT NOT NULL
);
CREATE INDEX idx_notes_user ON notes(user_id);
INSERT INTO users (id, name, email) VALUES (1, 'Ada', 'ADA@Example.com');
INSERT INTO notes (user_id, body) VALUES (1, 'first note');
