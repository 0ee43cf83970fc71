#!/usr/bin/env python3
"""Writes a benchmark workload: N generated migrations, the same SQL in every layout.

Migration i creates table t_<i> with five columns, an index on it and three rows; every tenth
migration also adds a column to the table five migrations earlier. The down script undoes it in
reverse order. The SQL runs unchanged on SQLite (3.35+, for DROP COLUMN) and PostgreSQL.

    python3 Benchmarks/workload.py --count 1000 --out /dev/shm/wl            # every layout
    python3 Benchmarks/workload.py --count 100 --out wl --layouts flat dir   # some of them

Each layout goes to its own sub-directory of --out:

  Strata layouts  flat, dir, updown, sections, flyway, timestamp  (what `strata -m` reads)
  floor           up.sql, down.sql, noop.sql, status.sql for sqlite3 / psql: one transaction per
                  migration, each with an INSERT into (or DELETE from) bench_history
  peers           yoyo, alembic, sqlmigrate, sqitch (their own project layouts)

A `manifest.tsv` lists every migration's version, name and the SHA-256 of its up and down SQL, so
the layouts can be checked to hold the same statements.
"""
import argparse
import hashlib
import os
import shutil
import sys

STRATA_LAYOUTS = ["flat", "dir", "updown", "sections", "flyway", "timestamp"]
OTHER_LAYOUTS = ["floor", "yoyo", "alembic", "sqlmigrate", "sqitch"]
ALL_LAYOUTS = STRATA_LAYOUTS + OTHER_LAYOUTS


class Step:
    """One generated migration: its number, zero-padded version, name and statements."""

    def __init__(self, number, width):
        self.number = number
        self.version = str(number).zfill(width)
        table = f"t_{self.version}"
        self.name = f"create_{table}"
        self.up = [
            f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER NOT NULL, "
            f"price REAL, created TEXT)",
            f"CREATE INDEX {table}_name ON {table} (name)",
            f"INSERT INTO {table} (id, name, qty, price, created) VALUES "
            f"(1, 'alpha', 10, 1.5, '2024-01-01'), (2, 'beta', 20, 2.5, '2024-01-02'), "
            f"(3, 'gamma', 30, 3.5, '2024-01-03')",
        ]
        self.down = [f"DROP INDEX {table}_name", f"DROP TABLE {table}"]
        if number % 10 == 0 and number > 5:
            earlier = f"t_{str(number - 5).zfill(width)}"
            column = f"extra_{self.version}"
            self.up.append(f"ALTER TABLE {earlier} ADD COLUMN {column} INTEGER")
            self.down.insert(0, f"ALTER TABLE {earlier} DROP COLUMN {column}")

    @property
    def up_sql(self):
        return "".join(s + ";\n" for s in self.up)

    @property
    def down_sql(self):
        return "".join(s + ";\n" for s in self.down)


def steps(count):
    width = max(3, len(str(count)))
    return [Step(i, width) for i in range(1, count + 1)]


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def quote(text):
    return "'" + text.replace("'", "''") + "'"


# Strata layouts --------------------------------------------------------------------------------

def emit_flat(root, all_steps):
    for s in all_steps:
        write(f"{root}/{s.version}_{s.name}.sql", s.up_sql)
        write(f"{root}/{s.version}_{s.name}.down.sql", s.down_sql)


def emit_dir(root, all_steps):
    for s in all_steps:
        write(f"{root}/V{s.version}__{s.name}/up.sql", s.up_sql)
        write(f"{root}/V{s.version}__{s.name}/down.sql", s.down_sql)


def emit_updown(root, all_steps):
    for s in all_steps:
        write(f"{root}/{s.number}_{s.name}.up.sql", s.up_sql)
        write(f"{root}/{s.number}_{s.name}.down.sql", s.down_sql)


def emit_sections(root, all_steps):
    for s in all_steps:
        write(f"{root}/{s.version}_{s.name}.sql", f"-- migrate:up\n{s.up_sql}\n-- migrate:down\n{s.down_sql}")


def emit_flyway(root, all_steps):
    for s in all_steps:
        write(f"{root}/V{s.number}__{s.name}.sql", s.up_sql)
        write(f"{root}/U{s.number}__{s.name}.sql", s.down_sql)


def emit_timestamp(root, all_steps):
    for s in all_steps:
        # One migration per second from 2024-01-01 00:00:00 (N up to 86,400).
        h, rest = divmod(s.number, 3600)
        m, sec = divmod(rest, 60)
        stamp = f"20240101_{h:02d}{m:02d}{sec:02d}"
        write(f"{root}/{stamp}_{s.name}.sql", s.up_sql)
        write(f"{root}/{stamp}_{s.name}_rollback.sql", s.down_sql)


# The floor: the plain client running the same statements ---------------------------------------

HISTORY = ("CREATE TABLE IF NOT EXISTS bench_history (version TEXT PRIMARY KEY, name TEXT NOT NULL, "
           "applied_at TEXT NOT NULL);\n")


def emit_floor(root, all_steps):
    up = [HISTORY]
    for s in all_steps:
        up.append("BEGIN;\n" + s.up_sql
                  + f"INSERT INTO bench_history (version, name, applied_at) VALUES "
                    f"({quote(s.version)}, {quote(s.name)}, CURRENT_TIMESTAMP);\nCOMMIT;\n")
    down = []
    for s in reversed(all_steps):
        down.append("BEGIN;\n" + s.down_sql
                    + f"DELETE FROM bench_history WHERE version = {quote(s.version)};\nCOMMIT;\n")
    write(f"{root}/up.sql", "".join(up))
    write(f"{root}/down.sql", "".join(down))
    write(f"{root}/noop.sql", "SELECT version FROM bench_history ORDER BY version;\n")
    write(f"{root}/status.sql", "SELECT version, name, applied_at FROM bench_history ORDER BY version;\n")


# Peers ------------------------------------------------------------------------------------------

def emit_yoyo(root, all_steps):
    for s in all_steps:
        write(f"{root}/{s.version}_{s.name}.sql", s.up_sql)
        write(f"{root}/{s.version}_{s.name}.rollback.sql", s.down_sql)


def emit_sqlmigrate(root, all_steps):
    # sql-migrate expands ${VAR} in datasource only, so the runner starts it in this directory.
    write(f"{root}/dbconfig.yml",
          "sqlite:\n  dialect: sqlite3\n  datasource: ${BENCH_SQLITE_PATH}\n  dir: migrations\n"
          "pg:\n  dialect: postgres\n  datasource: ${BENCH_PG_DSN}\n  dir: migrations\n")
    for s in all_steps:
        write(f"{root}/migrations/{s.version}_{s.name}.sql",
              f"-- +migrate Up\n{s.up_sql}\n-- +migrate Down\n{s.down_sql}")


def emit_sqitch(root, all_steps):
    write(f"{root}/sqitch.conf", "[core]\n\tengine = sqlite\n\tplan_file = sqitch.plan\n\ttop_dir = .\n")
    plan = ["%syntax-version=1.0.0", "%project=bench", ""]
    for s in all_steps:
        change = f"{s.version}_{s.name}"
        plan.append(f"{change} 2024-01-01T00:00:00Z Bench <bench@example.com> # {s.name}")
        # sqitch runs each script as given, so the scripts carry their own transaction.
        write(f"{root}/deploy/{change}.sql", "BEGIN;\n" + s.up_sql + "COMMIT;\n")
        write(f"{root}/revert/{change}.sql", "BEGIN;\n" + s.down_sql + "COMMIT;\n")
    write(f"{root}/sqitch.plan", "\n".join(plan) + "\n")


ALEMBIC_ENV = '''from alembic import context
from sqlalchemy import create_engine

url = context.get_x_argument(as_dictionary=True)["url"]
engine = create_engine(url)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=None, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()
'''


def emit_alembic(root, all_steps):
    write(f"{root}/alembic.ini", "[alembic]\nscript_location = %(here)s\n")
    write(f"{root}/env.py", ALEMBIC_ENV)
    write(f"{root}/script.py.mako", "")
    previous = None
    for s in all_steps:
        ups = "".join(f"    op.execute({s_!r})\n" for s_ in s.up)
        downs = "".join(f"    op.execute({s_!r})\n" for s_ in s.down)
        write(f"{root}/versions/r{s.version}_{s.name}.py",
              f"from alembic import op\n\nrevision = 'r{s.version}'\ndown_revision = {previous!r}\n"
              f"branch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n{ups}\n\ndef downgrade():\n{downs}")
        previous = f"r{s.version}"


EMITTERS = {
    "flat": emit_flat, "dir": emit_dir, "updown": emit_updown, "sections": emit_sections,
    "flyway": emit_flyway, "timestamp": emit_timestamp, "floor": emit_floor, "yoyo": emit_yoyo,
    "alembic": emit_alembic, "sqlmigrate": emit_sqlmigrate, "sqitch": emit_sqitch,
}


def generate(count, out, layouts):
    """Writes the workload; a layout directory that already exists is replaced."""
    all_steps = steps(count)
    os.makedirs(out, exist_ok=True)
    for layout in layouts:
        root = os.path.join(out, layout)
        if os.path.exists(root):
            shutil.rmtree(root)
        os.makedirs(root)
        EMITTERS[layout](root, all_steps)
    manifest = ["version\tname\tup_sha256\tdown_sha256"]
    for s in all_steps:
        manifest.append("\t".join([s.version, s.name, hashlib.sha256(s.up_sql.encode()).hexdigest(),
                                   hashlib.sha256(s.down_sql.encode()).hexdigest()]))
    write(os.path.join(out, "manifest.tsv"), "\n".join(manifest) + "\n")
    return all_steps


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", "-n", type=int, default=1000, help="number of migrations (default 1000)")
    parser.add_argument("--out", "-o", required=True, help="output directory")
    parser.add_argument("--layouts", nargs="+", default=ALL_LAYOUTS, choices=ALL_LAYOUTS,
                        help="layouts to write (default: all)")
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error("--count must be at least 1")
    generate(args.count, args.out, args.layouts)
    print(f"wrote {args.count} migrations in {len(args.layouts)} layouts to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
