#!/usr/bin/env python3
"""How much of Strata's distance to the floor is its statements, and how much is its own code.

Strata sends more SQL than the floor: its history row (16 columns) and audit-log row per
migration, its foreign-key bookkeeping, its locks. This script records the exact statements a
`strata up` (and `down --all`) sends, writes them out as a plain script, and times that script
through the floor's own client beside the floor and beside `strata` itself. So:

  floor     the plain client running the workload (one transaction per migration + history row)
  replay    the plain client running Strata's recorded statements: what any client, however
            lean, would cost while sending what Strata sends
  replay-nm (SQLite) the replay with SQLite's memory statistics off, as strata runs SQLite
            (SQLiteMemoryStatistics): the least Strata's statements cost in Strata's own process
  records   the replay-nm reduced to the script, BEGIN/COMMIT and the history and audit-log rows
            (SPEC §3: one history row per version, every event appended to the log): the least
            a run that keeps Strata's records sends
  batched   (PostgreSQL) the replay with each migration's transaction sent as one simple-query
            message (psql's `\\;`), as a client with the simple protocol could send it
  strata    strata itself

    python3 Benchmarks/replay.py --strata "$(scripts/release-build)" -n 1000 -r 11
    python3 Benchmarks/replay.py --strata "$(scripts/release-build)" -n 1000 -r 5 --engine pg

SQLite: the statements are recorded with a small preloaded library (built here with `cc`) that
hooks `sqlite3_open_v2` and traces each statement Strata runs, its bound values expanded
(`sqlite3_trace_v2` + `sqlite3_expanded_sql`); the connection that ran the most statements is
the run's (the others are the backup's check and the lock's). Another preloaded library turns
SQLite's memory statistics off in `sqlite3` before it starts (replay-nm, records). PostgreSQL: the server logs every
statement (`log_statement = all`) with its parameters, which are put back in as literals.

Times are medians and minimums of interleaved repetitions (order alternating), each on a fresh
database (`down`: a copy of one migrated by the floor or by strata); ratios are to the floor.
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import runner  # noqa: E402
import workload  # noqa: E402

# The library that records statements: sqlite3_open_v2 opens as usual, then traces the connection.
# Declared here rather than taken from sqlite3.h, so that only a C compiler is needed.
TRACE_C = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
typedef struct sqlite3 sqlite3;
#define TRACE_STMT 1
static int (*trace_v2)(sqlite3 *, unsigned, int (*)(unsigned, void *, void *, void *), void *);
static char *(*expanded_sql)(void *);
static void (*free_sql)(void *);
static FILE *out;
static int record(unsigned type, void *db, void *stmt, void *text) {
    const char *sql = text;
    if (type != TRACE_STMT || (sql && sql[0] == '-' && sql[1] == '-')) return 0;  /* trigger lines */
    char *expanded = expanded_sql(stmt);
    if (!out) out = fopen(getenv("STRATA_REPLAY_TRACE"), "a");
    fprintf(out, "\n/*@%p*/ %s;", db, expanded ? expanded : sql);
    free_sql(expanded);
    return 0;
}
int sqlite3_open_v2(const char *path, sqlite3 **db, int flags, const char *vfs) {
    static int (*open_v2)(const char *, sqlite3 **, int, const char *);
    if (!open_v2) {
        open_v2 = dlsym(RTLD_NEXT, "sqlite3_open_v2");
        trace_v2 = dlsym(RTLD_NEXT, "sqlite3_trace_v2");
        expanded_sql = dlsym(RTLD_NEXT, "sqlite3_expanded_sql");
        free_sql = dlsym(RTLD_NEXT, "sqlite3_free");
    }
    int rc = open_v2(path, db, flags, vfs);
    /* Without STRATA_REPLAY_TRACE the library only turns the memory statistics off. */
    if (rc == 0 && *db && getenv("STRATA_REPLAY_TRACE")) trace_v2(*db, TRACE_STMT, record, *db);
    return rc;
}
/* Before main (and so before SQLite initializes): memory statistics off, when asked. */
__attribute__((constructor)) static void statistics_off(void) {
    if (!getenv("STRATA_REPLAY_NO_MEMSTATUS")) return;
    int (*config)(int, ...) = dlsym(RTLD_NEXT, "sqlite3_config");
    if (!config) config = dlsym(RTLD_DEFAULT, "sqlite3_config");
    if (config) config(9 /* SQLITE_CONFIG_MEMSTATUS */, 0);
}
"""

# Statements of Strata's foreign-key bookkeeping and checks, left out of the `records` script.
SQLITE_BOOKKEEPING = re.compile(r"^(PRAGMA foreign_keys( = (ON|OFF))?;|PRAGMA schema_version;"
                                r"|SELECT \"table\" FROM pragma_foreign_key_list\(.*|SELECT 1 FROM pragma_table_info\(.*)$")


def sqlite_statements(trace_path):
    """The statements of the connection that ran the most, in order, each ending in `;`."""
    text = open(trace_path, encoding="utf-8", errors="replace").read()
    parts = re.split(r"\n/\*@(0x[0-9a-f]+|\(nil\))\*/ ", text)
    pairs = [(parts[i], parts[i + 1]) for i in range(1, len(parts) - 1, 2)]
    if not pairs:
        sys.exit(f"replay.py: nothing was recorded in {trace_path} (is strata linked to the system libsqlite3?)")
    main = Counter(db for db, _ in pairs).most_common(1)[0][0]
    return [sql.strip() for db, sql in pairs if db == main]


def sqlite_records(statements):
    """The replay without the foreign-key bookkeeping (the setting turned off and on around each
    migration, the schema version read to trust the kept foreign-key graph, the graph's lookups):
    the scripts, the transactions, and the history and log rows that keep Strata's records."""
    return [s for s in statements if not SQLITE_BOOKKEEPING.match(s)]


def write_script(path, statements):
    with open(path, "w") as f:
        f.write("\n".join(statements) + "\n")
    return path


def build_tracer(scratch):
    src = os.path.join(scratch, "trace.c")
    lib = os.path.join(scratch, "trace.so")
    with open(src, "w") as f:
        f.write(TRACE_C)
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not cc:
        sys.exit("replay.py: needs a C compiler (cc, gcc or clang) for the statement recorder")
    subprocess.run([cc, "-shared", "-fPIC", "-O2", "-o", lib, src, "-ldl"], check=True)
    return lib


def fresh_path(scratch, name):
    d = tempfile.mkdtemp(prefix=name + "-", dir=scratch)
    return os.path.join(d, "bench.db")


def timed(argv, scratch, stdin_path=None, env=None):
    log = os.path.join(scratch, "last.log")
    sample = runner.measure(argv, scratch, env or os.environ, log, 1800, stdin_path=stdin_path)
    if sample.rc != 0:
        sys.exit(f"replay.py: {' '.join(argv)} failed (exit {sample.rc}); see {log}")
    return sample.wall


def interleave(candidates, reps):
    """candidates: name -> function() -> seconds. Runs them in alternating order, reps times."""
    times = {name: [] for name in candidates}
    names = list(candidates)
    for rep in range(reps):
        for name in (names if rep % 2 == 0 else names[::-1]):
            times[name].append(candidates[name]())
    return times


def table(title, times, notes):
    floor_median, floor_min = statistics.median(times["floor"]), min(times["floor"])
    lines = [f"##### {title}", "",
             "| run | median s | ratio | min s | ratio | what it is |", "|---|---|---|---|---|---|"]
    for name, values in times.items():
        med, low = statistics.median(values), min(values)
        lines.append(f"| {name} | {med:.3f} | {med / floor_median:.2f}× | {low:.3f} | {low / floor_min:.2f}× "
                     f"| {notes.get(name, '')} |")
    return "\n".join(lines) + "\n"


def run_sqlite(args, scratch, wl):
    tracer = build_tracer(scratch)
    flat, floor = os.path.join(wl, "flat"), os.path.join(wl, "floor")

    def strata(db, *command):
        return [args.strata, "-d", f"sqlite:{db}", "-m", flat, "--yes"] + list(command)

    # Record `up` on an empty database, then `down --all` on a copy of the result.
    traced = dict(os.environ, LD_PRELOAD=tracer)
    applied_by_strata = fresh_path(scratch, "applied-strata")
    traced["STRATA_REPLAY_TRACE"] = os.path.join(scratch, "up.trace")
    subprocess.run(strata(applied_by_strata, "up"), env=traced, check=True, stdout=subprocess.DEVNULL)
    recorded = fresh_path(scratch, "recorded-down")
    shutil.copyfile(applied_by_strata, recorded)
    traced["STRATA_REPLAY_TRACE"] = os.path.join(scratch, "down.trace")
    subprocess.run(strata(recorded, "down", "--all"), env=traced, check=True, stdout=subprocess.DEVNULL)
    applied_by_floor = fresh_path(scratch, "applied-floor")
    subprocess.run(["sqlite3", "-bail", applied_by_floor], stdin=open(os.path.join(floor, "up.sql")), check=True,
                   stdout=subprocess.DEVNULL)

    scripts = {}
    for phase in ("up", "down"):
        statements = sqlite_statements(os.path.join(scratch, f"{phase}.trace"))
        records = sqlite_records(statements)
        scripts[phase, "replay"] = write_script(os.path.join(args.out, f"sqlite-{phase}-replay.sql"), statements)
        scripts[phase, "records"] = write_script(os.path.join(args.out, f"sqlite-{phase}-records.sql"), records)
        print(f"sqlite {phase}: {len(statements)} statements recorded, {len(records)} "
              f"in the records script; floor {sum(1 for _ in open(os.path.join(floor, phase + '.sql')))} lines",
              file=sys.stderr)

    lean = dict(os.environ, LD_PRELOAD=tracer, STRATA_REPLAY_NO_MEMSTATUS="1")

    def client(script, base=None, env=None):
        def run():
            db = fresh_path(scratch, "run")
            if base:
                shutil.copyfile(base, db)
            return timed(["sqlite3", "-bail", db], scratch, stdin_path=script, env=env)
        return run

    def strata_run(command, base=None):
        def run():
            db = fresh_path(scratch, "run")
            if base:
                shutil.copyfile(base, db)
            return timed(strata(db, *command), scratch)
        return run

    notes = {"floor": "`sqlite3` running the floor's script",
             "replay": "`sqlite3` running Strata's recorded statements",
             "replay-nm": "the same, SQLite's memory statistics off (as in strata)",
             "records": "replay-nm without the foreign-key bookkeeping: script, history row, log row",
             "strata": "`strata` (backup, checks, lint: default safety on)"}
    out = []
    up = interleave({"floor": client(os.path.join(floor, "up.sql")), "replay": client(scripts["up", "replay"]),
                     "replay-nm": client(scripts["up", "replay"], env=lean),
                     "records": client(scripts["up", "records"], env=lean), "strata": strata_run(["up"])}, args.reps)
    out.append(table(f"sqlite `up`, N={args.count}, {args.reps} repetitions", up, notes))
    down = interleave({"floor": client(os.path.join(floor, "down.sql"), applied_by_floor),
                       "replay": client(scripts["down", "replay"], applied_by_strata),
                       "replay-nm": client(scripts["down", "replay"], applied_by_strata, env=lean),
                       "records": client(scripts["down", "records"], applied_by_strata, env=lean),
                       "strata": strata_run(["down", "--all"], applied_by_strata)}, args.reps)
    out.append(table(f"sqlite `down --all`, N={args.count}, {args.reps} repetitions", down, notes))
    return out


def postgres_statements(log_path):
    """The statements of the backend that ran the most, parameters put back as literals."""
    entries = []
    head = re.compile(r"^\S+ \S+ \S+ \[(\d+)\] (\w+):  (.*)$")
    for line in open(log_path, encoding="utf-8", errors="replace").read().split("\n"):
        m = head.match(line)
        if m:
            entries.append([m.group(1), m.group(2), m.group(3)])
        elif entries:
            entries[-1][2] += "\n" + (line[1:] if line.startswith("\t") else line)
    statements = []
    for pid, kind, text in entries:
        if kind == "LOG" and (text.startswith("execute <unnamed>: ") or text.startswith("statement: ")):
            statements.append([pid, text.split(": ", 1)[1], None])
        elif kind == "DETAIL" and text.startswith("parameters: ") and statements:
            statements[-1][2] = text[len("parameters: "):]
    main = Counter(pid for pid, _, _ in statements).most_common(1)[0][0]
    result = []
    for pid, sql, parameters in statements:
        if pid != main:
            continue
        if parameters:
            values = {int(m.group(1)): m.group(2)
                      for m in re.finditer(r"\$(\d+) = (NULL|'(?:[^']|'')*')", parameters, re.S)}
            for n in sorted(values, reverse=True):  # $12 before $1
                sql = sql.replace(f"${n}", values[n])
        sql = sql.rstrip()
        result.append(sql if sql.endswith(";") else sql + ";")
    return result


def batched(statements):
    """Each BEGIN … COMMIT of one-line statements joined into one psql line with `\\;`: psql sends
    such a line as one simple-query message."""
    out, group = [], None
    for s in statements:
        if s == "BEGIN;":
            group = [s]
        elif group is not None:
            group.append(s)
            if s == "COMMIT;":
                if any("\n" in g for g in group):
                    out.extend(group)
                else:
                    out.append(" \\; ".join(g[:-1] for g in group[:-1]) + " \\; COMMIT;")
                group = None
        else:
            out.append(s)
    return out


def run_postgres(args, scratch, wl):
    engine = runner.PostgresEngine(scratch, args.pg_bin, args.pg_port)
    try:
        flat, floor = os.path.join(wl, "flat"), os.path.join(wl, "floor")
        log = os.path.join(engine.root, "server.log")
        engine.psql("ALTER SYSTEM SET log_statement = 'all'", database="postgres")
        engine.psql("SELECT pg_reload_conf()", database="postgres")
        time.sleep(0.5)
        engine.fresh()
        start = os.path.getsize(log)
        subprocess.run([args.strata, "-d", engine.url(), "-m", flat, "--yes", "up"], check=True,
                       stdout=subprocess.DEVNULL)
        engine.psql("ALTER SYSTEM RESET log_statement", database="postgres")
        engine.psql("SELECT pg_reload_conf()", database="postgres")
        part = os.path.join(scratch, "up.log")
        with open(log, "rb") as f, open(part, "wb") as g:
            f.seek(start)
            g.write(f.read())
        statements = postgres_statements(part)
        replay = write_script(os.path.join(args.out, "pg-up-replay.sql"), statements)
        one_message = write_script(os.path.join(args.out, "pg-up-batched.sql"), batched(statements))
        print(f"pg up: {len(statements)} statements recorded", file=sys.stderr)

        def client(script):
            def run():
                engine.fresh()
                return timed(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", script], scratch, env=engine.env)
            return run

        def strata_up():
            engine.fresh()
            return timed([args.strata, "-d", engine.url(), "-m", flat, "--yes", "up"], scratch)

        notes = {"floor": "`psql -f` on the floor's script (one statement per message)",
                 "replay": "`psql -f` on Strata's recorded statements (one per message)",
                 "batched": "the replay, each migration's transaction in one simple-query message",
                 "strata": "`strata` (PostgresNIO: extended protocol, one statement per round trip)"}
        up = interleave({"floor": client(os.path.join(floor, "up.sql")), "replay": client(replay),
                         "batched": client(one_message), "strata": strata_up}, args.reps)
        return [table(f"pg `up`, N={args.count}, {args.reps} repetitions", up, notes)]
    finally:
        engine.cleanup()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--strata", required=True, help="the strata binary (scripts/release-build prints it)")
    p.add_argument("-n", "--count", type=int, default=1000, help="number of migrations (default 1000)")
    p.add_argument("-r", "--reps", type=int, default=11, help="interleaved repetitions (default 11)")
    p.add_argument("--engine", choices=["sqlite", "pg"], default="sqlite")
    p.add_argument("--pg-bin", default="/usr/lib/postgresql/15/bin")
    p.add_argument("--pg-port", type=int, default=54341)
    p.add_argument("--out", default=os.path.join(HERE, "results", "replay-" + time.strftime("%Y%m%d-%H%M%S")),
                   help="where the recorded scripts and summary.md go")
    args = p.parse_args(argv)
    args.strata = os.path.abspath(args.strata)
    os.makedirs(args.out, exist_ok=True)
    scratch = tempfile.mkdtemp(prefix="strata-replay-", dir="/dev/shm")
    os.chmod(scratch, 0o755)
    try:
        wl = os.path.join(scratch, "wl")
        workload.generate(args.count, wl, ["flat", "floor"])
        tables = run_sqlite(args, scratch, wl) if args.engine == "sqlite" else run_postgres(args, scratch, wl)
        load = runner.load_average()
        text = f"`{' '.join(sys.argv)}` (tmpfs, 1-min load {load})\n\n" + "\n".join(tables)
        with open(os.path.join(args.out, "summary.md"), "a") as f:
            f.write(text + "\n")
        print(text)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
