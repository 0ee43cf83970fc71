#!/usr/bin/env python3
"""Times whole processes: strata, the plain-client floor and the peer tools, side by side.

For every storage (tmpfs, disk), engine (sqlite, pg) and repetition, each tool runs one cycle on a
fresh database, in an order that rotates every repetition:

  up      apply all N migrations to an empty database
  noop    up again, with everything applied
  status  the tool's status listing
  down    roll everything back (strata: `down --all`)

Each phase is one process (tree), spawned through GNU time for the peak RSS (%M, KiB, the largest
process of the tree) and user+system CPU, and timed with a monotonic clock around it. The schema is
checked (untimed) after up, noop and down; a failed or wrong sample is kept in raw.tsv, marked,
and left out of the medians. The ratios are to the floor: the plain `sqlite3` / `psql` client
running the same statements, one transaction per migration plus a history INSERT/DELETE.

    python3 Benchmarks/runner.py --strata "$(scripts/release-build)" -n 1000 -r 5
    python3 Benchmarks/runner.py -n 100 -r 3 --engines sqlite pg --tools strata floor sqlmigrate yoyo
    python3 Benchmarks/runner.py --big-db 1024    # the 1 GiB database checks (backup vs cp, no-op up)

PostgreSQL: a throwaway cluster (initdb/pg_ctl from --pg-bin, stock settings, fsync on) is made
in the scratch directory of each storage, run as the `postgres` user when this runs as root, on
its own port and socket directory, and stopped at the end.
"""
import argparse
import os
import platform
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import workload  # noqa: E402

PHASES = ["up", "noop", "status", "down"]
PEERS = ["sqlmigrate", "yoyo", "alembic", "sqitch"]
TIME = "/usr/bin/time"


# Measuring one process ---------------------------------------------------------------------------

class Sample:
    def __init__(self, wall, rss_kib, cpu, rc, log):
        self.wall, self.rss_kib, self.cpu, self.rc, self.log = wall, rss_kib, cpu, rc, log
        self.state_ok = True


def measure(argv, cwd, env, log_path, timeout, stdin_path=None):
    """Runs argv under GNU time; returns a Sample (wall seconds from a monotonic clock)."""
    stats = log_path + ".time"
    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    with open(log_path, "wb") as log:
        start = time.monotonic_ns()
        proc = subprocess.Popen([TIME, "-q", "-f", "%M %U %S", "-o", stats] + argv, cwd=cwd, env=env,
                                stdin=stdin, stdout=log, stderr=log, start_new_session=True)
        # A blocking wait, with a timer for the timeout: Popen.wait(timeout=…) polls with sleeps of
        # up to 50 ms, which rounded every short phase up to 16, 64, 114, 164 … ms.
        expired = threading.Event()

        def kill():
            expired.set()
            os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        rc = proc.wait()
        wall = (time.monotonic_ns() - start) / 1e9
        timer.cancel()
        if expired.is_set():
            rc = -9
    if stdin_path:
        stdin.close()
    rss, cpu = 0, 0.0
    try:
        with open(stats) as f:
            fields = f.read().split()[-3:]
        rss, cpu = int(fields[0]), float(fields[1]) + float(fields[2])
    except (OSError, ValueError, IndexError):
        pass
    return Sample(wall, rss, cpu, rc, log_path)


# Engines -----------------------------------------------------------------------------------------

class SQLiteEngine:
    name = "sqlite"

    def __init__(self, scratch):
        self.scratch = scratch
        self.counter = 0

    def fresh(self):
        """A path for a database file that does not exist yet, in a new directory."""
        self.counter += 1
        d = os.path.join(self.scratch, f"db{self.counter}")
        os.makedirs(d)
        self.db = os.path.join(d, "bench.db")
        return self.db

    def state(self):
        """(tables t_*, columns extra_*) in the database; (0, 0) when the file does not exist."""
        if not os.path.exists(self.db):
            return (0, 0)
        con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
        try:
            tables = con.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table' "
                                 "AND name LIKE 't\\_%' ESCAPE '\\'").fetchone()[0]
            columns = con.execute("SELECT count(*) FROM sqlite_master AS m, pragma_table_info(m.name) AS c "
                                  "WHERE m.type = 'table' AND m.name LIKE 't\\_%' ESCAPE '\\' "
                                  "AND c.name LIKE 'extra\\_%' ESCAPE '\\'").fetchone()[0]
            return (tables, columns)
        finally:
            con.close()

    def cleanup(self):
        pass


class PostgresEngine:
    """A throwaway PostgreSQL cluster; every cycle gets a new database `bench`."""
    name = "pg"

    def __init__(self, scratch, pg_bin, port):
        self.bin, self.port = pg_bin, port
        self.root = os.path.join(scratch, "pg")
        self.data = os.path.join(self.root, "data")
        self.socket = os.path.join(self.root, "sock")
        os.makedirs(self.socket, exist_ok=True)
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.root, "postgres")
            shutil.chown(self.socket, "postgres")
        self.env = dict(os.environ, PGHOST=self.socket, PGPORT=str(port), PGUSER="postgres", PGDATABASE="bench")
        self._server(["initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"])
        self._server(["pg_ctl", "-D", self.data, "-l", os.path.join(self.root, "server.log"), "-w", "-o",
                      f"-p {port} -k {self.socket} -c listen_addresses=''", "start"])
        self.running = True
        self.db = "bench"

    def _server(self, argv):
        cmd = [os.path.join(self.bin, argv[0])] + argv[1:]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/")

    def psql(self, sql, database="bench"):
        out = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", database, "-c", sql],
                             env=self.env, check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def fresh(self):
        self.psql("DROP DATABASE IF EXISTS bench", database="postgres")
        self.psql("CREATE DATABASE bench", database="postgres")
        return self.db

    def state(self):
        row = self.psql("SELECT (SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' "
                        "AND table_name LIKE 't\\_%'), (SELECT count(*) FROM information_schema.columns "
                        "WHERE table_schema = 'public' AND column_name LIKE 'extra\\_%')")
        a, b = row.split("|")
        return (int(a), int(b))

    def url(self):
        return f"postgres://postgres@/bench?host={self.socket}&port={self.port}"

    def cleanup(self):
        if self.running:
            self._server(["pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop"])
            self.running = False


# Tools: the commands of each phase ---------------------------------------------------------------

class Tool:
    """Commands for each phase; `argv(phase)` returns (argv, cwd, stdin file) or None (not applicable)."""

    def __init__(self, name, engine, wl, args):
        self.name, self.engine, self.wl, self.args = name, engine, wl, args
        self.env = dict(getattr(engine, "env", os.environ))

    def available(self):
        return True, ""


class Floor(Tool):
    def argv(self, phase):
        d = os.path.join(self.wl, "floor")
        if self.engine.name == "sqlite":
            db = self.engine.db
            return {
                "up": (["sqlite3", "-bail", db], None, f"{d}/up.sql"),
                "noop": (["sqlite3", "-bail", db], None, f"{d}/noop.sql"),
                "status": (["sqlite3", "-bail", db], None, f"{d}/status.sql"),
                "down": (["sqlite3", "-bail", db], None, f"{d}/down.sql"),
            }[phase]
        psql = ["psql", "-X", "-q", "-A", "-v", "ON_ERROR_STOP=1", "-d", "bench", "-f"]
        return (psql + [f"{d}/{phase}.sql"], None, None)

    def available(self):
        client = "sqlite3" if self.engine.name == "sqlite" else "psql"
        return (shutil.which(client) is not None, f"{client} is not installed")


class Strata(Tool):
    def url(self):
        return f"sqlite:{self.engine.db}" if self.engine.name == "sqlite" else self.engine.url()

    def argv(self, phase):
        base = [self.args.strata, "-d", self.url(), "-m", os.path.join(self.wl, self.args.layout)]
        return {
            "up": (base + ["--yes", "up"], None, None),
            "noop": (base + ["--yes", "up"], None, None),
            "status": (base + ["status"], None, None),
            "down": (base + ["--yes", "down", "--all"], None, None),
        }[phase]

    def available(self):
        if not os.access(self.args.strata, os.X_OK):
            return False, f"{self.args.strata} is not an executable (build it: scripts/release-build)"
        if self.engine.name == "pg":
            # A build without the PostgreSQL driver says so; probe once on an empty database.
            self.engine.fresh()
            probe = subprocess.run([self.args.strata, "-d", self.url(), "-m", os.path.join(self.wl, self.args.layout),
                                    "status"], env=self.env, capture_output=True, text=True)
            if probe.returncode != 0:
                first = (probe.stderr.strip().splitlines() or ["exit %d" % probe.returncode])[0]
                return False, f"this strata build cannot use PostgreSQL: {first.split(' (')[0]}"
        return True, ""


class StrataBaseline(Strata):
    """Another strata binary (--baseline), timed beside the current one: before/after comparisons."""

    def __init__(self, *a):
        super().__init__(*a)
        self.args = argparse.Namespace(**dict(vars(self.args), strata=self.args.baseline))


class SqlMigrate(Tool):
    def __init__(self, *a):
        super().__init__(*a)
        if self.engine.name == "sqlite":
            self.env["BENCH_SQLITE_PATH"] = "placeholder"
        else:
            self.env["BENCH_PG_DSN"] = (f"host={self.engine.socket} port={self.engine.port} user=postgres "
                                        f"dbname=bench sslmode=disable")

    def argv(self, phase):
        if self.engine.name == "sqlite":
            self.env["BENCH_SQLITE_PATH"] = self.engine.db
        e = f"-env={'sqlite' if self.engine.name == 'sqlite' else 'pg'}"
        cwd = os.path.join(self.wl, "sqlmigrate")
        return {
            "up": (["sql-migrate", "up", e], cwd, None),
            "noop": (["sql-migrate", "up", e], cwd, None),
            "status": (["sql-migrate", "status", e], cwd, None),
            "down": (["sql-migrate", "down", "-limit=0", e], cwd, None),
        }[phase]

    def available(self):
        return shutil.which("sql-migrate") is not None, "sql-migrate is not installed (--install-peers)"


class Yoyo(Tool):
    def argv(self, phase):
        url = f"sqlite:///{self.engine.db}" if self.engine.name == "sqlite" else "postgresql:///bench"
        common = ["--no-config-file", "-d", url, os.path.join(self.wl, "yoyo")]
        return {
            "up": (["yoyo", "apply", "--batch"] + common, None, None),
            "noop": (["yoyo", "apply", "--batch"] + common, None, None),
            "status": (["yoyo", "list"] + common, None, None),
            "down": (["yoyo", "rollback", "--batch", "--all"] + common, None, None),
        }[phase]

    def available(self):
        return shutil.which("yoyo") is not None, "yoyo is not installed (--install-peers)"


class Alembic(Tool):
    def argv(self, phase):
        url = f"sqlite:///{self.engine.db}" if self.engine.name == "sqlite" else "postgresql+psycopg2:///bench"
        base = ["alembic", "-c", os.path.join(self.wl, "alembic", "alembic.ini"), "-x", f"url={url}"]
        return {
            "up": (base + ["upgrade", "head"], None, None),
            "noop": (base + ["upgrade", "head"], None, None),
            "status": (base + ["history", "--indicate-current"], None, None),
            "down": (base + ["downgrade", "base"], None, None),
        }[phase]

    def available(self):
        return shutil.which("alembic") is not None, "alembic is not installed (--install-peers)"


class Sqitch(Tool):
    def argv(self, phase):
        target = f"db:sqlite:{self.engine.db}" if self.engine.name == "sqlite" else "db:pg:bench"
        cwd = os.path.join(self.wl, "sqitch")
        return {
            "up": (["sqitch", "deploy", target], cwd, None),
            "noop": (["sqitch", "deploy", target], cwd, None),
            "status": (["sqitch", "status", "--show-changes", target], cwd, None),
            "down": (["sqitch", "revert", "-y", target], cwd, None),
        }[phase]

    def available(self):
        return shutil.which("sqitch") is not None, "sqitch is not installed (--install-peers)"


TOOLS = {"floor": Floor, "strata": Strata, "strata-baseline": StrataBaseline, "sqlmigrate": SqlMigrate, "yoyo": Yoyo, "alembic": Alembic,
         "sqitch": Sqitch}


# Running -----------------------------------------------------------------------------------------

def expected_state(phase, n):
    if phase == "down":
        return (0, 0)
    return (n, len([i for i in range(10, n + 1, 10)]))


def load_average():
    try:
        return float(open("/proc/loadavg").read().split()[0])
    except OSError:
        return 0.0


def run_engine(storage, engine, wl, n, args, rows, logs):
    tools = []
    for name in args.tools:
        tool = TOOLS[name](name, engine, wl, args)
        ok, why = tool.available()
        if ok:
            tools.append(tool)
        else:
            print(f"  skip {name} on {engine.name}: {why}", file=sys.stderr)
            rows.append(dict(storage=storage, engine=engine.name, n=n, rep=0, tool=name, phase="skipped",
                             wall="", rss="", cpu="", ok=why, load=""))
    for rep in range(1, args.reps + 1):
        order = tools[rep % len(tools):] + tools[:rep % len(tools)] if tools else []
        # The harness' own cost: GNU time around `true`.
        h = measure(["true"], None, None, os.path.join(logs, "harness.log"), args.timeout)
        rows.append(dict(storage=storage, engine=engine.name, n=n, rep=rep, tool="_harness", phase="all",
                         wall=h.wall, rss=h.rss_kib, cpu=h.cpu, ok="ok", load=load_average()))
        for tool in order:
            engine.fresh()
            for phase in PHASES:
                argv, cwd, stdin = tool.argv(phase)
                log = os.path.join(logs, f"{storage}-{engine.name}-N{n}-{tool.name}-{phase}-{rep}.log")
                s = measure(argv, cwd, tool.env, log, args.timeout, stdin)
                status = "ok" if s.rc == 0 else f"exit {s.rc}"
                if s.rc == 0 and phase != "status":
                    got, want = engine.state(), expected_state(phase, n)
                    if got != want:
                        status = f"state {got[0]}/{got[1]}, expected {want[0]}/{want[1]}"
                if status == "ok":
                    os.remove(log)
                else:
                    print(f"  FAILED {tool.name} {phase} ({status}); log: {log}", file=sys.stderr)
                os.remove(log + ".time") if os.path.exists(log + ".time") else None
                rows.append(dict(storage=storage, engine=engine.name, n=n, rep=rep, tool=tool.name, phase=phase,
                                 wall=s.wall, rss=s.rss_kib, cpu=s.cpu, ok=status, load=load_average()))
                if status != "ok" and phase == "up":
                    break
            print(f"  {storage} {engine.name} N={n} rep {rep}/{args.reps} {tool.name}: "
                  + " ".join(f"{r['phase']}={r['wall']:.3f}" for r in rows[-4:] if r["tool"] == tool.name
                             and r["rep"] == rep and isinstance(r["wall"], float)), file=sys.stderr)


# Summaries ---------------------------------------------------------------------------------------

def median(values):
    return statistics.median(values) if values else None


def summarize(rows):
    """Markdown tables: per (storage, engine, N) a row per tool with median wall (ratio to floor)."""
    out = []
    keys = []
    for r in rows:
        k = (r["storage"], r["engine"], r["n"])
        if k not in keys:
            keys.append(k)
    for storage, engine, n in keys:
        sel = [r for r in rows if (r["storage"], r["engine"], r["n"]) == (storage, engine, n)]
        reps = max([r["rep"] for r in sel] or [0])
        loads = [r["load"] for r in sel if isinstance(r["load"], float)]
        out.append(f"#### {storage}: N={n:,}, {engine} ({reps} repetitions; median 1-min load {median(loads) or 0:.1f})\n")
        client = "sqlite3" if engine == "sqlite" else "psql"
        out.append(f"Median wall seconds; in parentheses the ratio to the floor (`{client}`, one transaction per "
                   "migration + history row). Peak RSS: MiB, median of the phase's samples.\n")
        out.append("| tool | up | no-op | status | down --all | peak RSS MiB up/no-op/status/down | CPU s up/no-op/status/down |")
        out.append("|---|---|---|---|---|---|---|")
        floor = {p: median([r["wall"] for r in sel if r["tool"] == "floor" and r["phase"] == p and r["ok"] == "ok"])
                 for p in PHASES}
        tools = []
        for r in sel:
            if r["tool"] not in tools:
                tools.append(r["tool"])
        tools.sort(key=lambda t: (t != "_harness", t != "floor", not t.startswith("strata"), t))
        for t in tools:
            skipped = [r for r in sel if r["tool"] == t and r["phase"] == "skipped"]
            if skipped:
                out.append(f"| {t} | — | — | — | — | not run: {skipped[0]['ok']} | |")
                continue
            cells, rss, cpu = [], [], []
            for p in PHASES:
                samples = [r for r in sel if r["tool"] == t and (r["phase"] == p or r["phase"] == "all")]
                good = [r for r in samples if r["ok"] == "ok"]
                bad = len(samples) - len(good)
                m = median([r["wall"] for r in good])
                if m is None:
                    cells.append("failed" if bad else "—")
                    rss.append("—")
                    cpu.append("—")
                    continue
                ratio = f" ({m / floor[p]:.2f}×)" if floor[p] else ""
                flag = f" ⚠{bad} failed" if bad else ""
                cells.append(f"{m:.3f}{ratio}{flag}")
                rss.append(f"{median([r['rss'] for r in good]) / 1024:.1f}")
                cpu.append(f"{median([r['cpu'] for r in good]):.2f}")
            out.append(f"| {t} | " + " | ".join(cells) + f" | {'/'.join(rss)} | {'/'.join(cpu)} |")
        out.append("")
    scaling = scaling_table(rows)
    if scaling:
        out += scaling
    return "\n".join(out)


def scaling_table(rows):
    """How strata's phases grow with N, when the run had several N: per migration, strata and its
    overhead over the floor (strata minus floor), which stays flat when strata grows linearly."""
    ns = sorted({r["n"] for r in rows})
    if len(ns) < 2:
        return []
    out = ["#### Growth with N (median ms per migration: strata, and in parentheses strata minus the floor)\n",
           "| storage / engine | N | up | no-op | status | down --all | strata peak RSS MiB (max of phases) |",
           "|---|---|---|---|---|---|---|"]
    for storage, engine in sorted({(r["storage"], r["engine"]) for r in rows}):
        for n in ns:
            def med(tool, phase):
                return median([r["wall"] for r in rows if (r["storage"], r["engine"], r["n"], r["tool"], r["ok"],
                                                           r["phase"]) == (storage, engine, n, tool, "ok", phase)])
            if med("strata", "up") is None:
                continue
            cells = []
            for p in PHASES:
                m, f = med("strata", p), med("floor", p)
                cells.append(f"{m / n * 1000:.3f} ({(m - f) / n * 1000:+.3f})" if m and f else "—")
            peak = max(median([r["rss"] for r in rows if (r["storage"], r["engine"], r["n"], r["tool"], r["ok"],
                                                          r["phase"]) == (storage, engine, n, "strata", "ok", p)]) or 0
                       for p in PHASES) / 1024
            out.append(f"| {storage} / {engine} | {n:,} | " + " | ".join(cells) + f" | {peak:.1f} |")
    out.append("")
    return out


def write_raw(path, rows):
    with open(path, "a") as f:
        if f.tell() == 0:
            f.write("storage\tengine\tn\trep\ttool\tphase\twall_s\trss_kib\tcpu_s\tstatus\tload1\n")
        for r in rows:
            f.write("\t".join(str(r[k]) for k in ["storage", "engine", "n", "rep", "tool", "phase", "wall", "rss",
                                                   "cpu", "ok", "load"]) + "\n")


def read_raw(path):
    rows = []
    with open(path) as f:
        next(f)
        for line in f:
            s, e, n, rep, tool, phase, wall, rss, cpu, ok, load = line.rstrip("\n").split("\t")
            rows.append(dict(storage=s, engine=e, n=int(n), rep=int(rep), tool=tool, phase=phase,
                             wall=float(wall) if wall else "", rss=int(rss) if rss else "",
                             cpu=float(cpu) if cpu else "", ok=ok, load=float(load) if load else ""))
    return rows


# The 1 GiB database ------------------------------------------------------------------------------

def big_db(args, out_dir):
    """Backup of a large database vs `cp`, and a no-op `up` on it (SQLite, tmpfs and disk)."""
    lines = [f"#### A {args.big_db} MiB SQLite database ({args.reps} repetitions, medians)\n",
             "`cp` does not sync; a backup is fsynced before it is kept, so `cp` + `sync FILE` is the like-for-like "
             "copy on disk. The ratio is to plain `cp`.\n",
             "| storage, journal mode | `cp` | `cp` + `sync` | `strata backup --output` | ratio to `cp` | ratio to `cp` + `sync` "
             "| no-op `up` | `status` |",
             "|---|---|---|---|---|---|---|---|"]
    wl = os.path.join(tempfile.mkdtemp(prefix="strata-bench-wl-", dir="/dev/shm"), "wl")
    workload.generate(10, wl, ["flat"])
    for storage, journal in [(s, j) for s in args.storage for j in args.big_db_journal]:
        scratch = scratch_dir(storage, args)
        db = os.path.join(scratch, "big.db")
        con = sqlite3.connect(db)
        if journal == "wal":
            con.execute("PRAGMA journal_mode=WAL")
        con.execute("CREATE TABLE payload (id INTEGER PRIMARY KEY, kind INTEGER NOT NULL, body BLOB NOT NULL)")
        con.execute("CREATE INDEX payload_kind ON payload (kind)")
        row_bytes = 4000
        rows_needed = args.big_db * 1024 * 1024 // (row_bytes + 60)
        with con:
            con.executemany("INSERT INTO payload (kind, body) VALUES (?, randomblob(?))",
                            ((i % 97, row_bytes) for i in range(rows_needed)))
        con.close()
        strata = [args.strata, "-d", f"sqlite:{db}", "-m", os.path.join(wl, "flat")]
        subprocess.run(strata + ["--yes", "up", "--no-backup"], check=True, capture_output=True)
        os.sync()  # the new database's pages are not still being written back while the copies are timed
        logs = os.path.join(scratch, "logs")
        os.makedirs(logs, exist_ok=True)
        cp, cp_sync, backup, noop, status = [], [], [], [], []
        for rep in range(args.reps):
            copy = os.path.join(scratch, "copy.db")
            cp.append(measure(["cp", db, copy], None, None, f"{logs}/cp.log", args.timeout).wall)
            os.remove(copy)
            cp_sync.append(measure(["sh", "-c", 'cp "$0" "$1" && sync "$1"', db, copy], None, None, f"{logs}/cp.log",
                                   args.timeout).wall)
            os.remove(copy)
            s = measure(strata + ["backup", "--output", copy], None, None, f"{logs}/backup.log", args.timeout)
            backup.append(s.wall if s.rc == 0 else float("nan"))
            os.remove(copy)
            noop.append(measure(strata + ["--yes", "up"], None, None, f"{logs}/noop.log", args.timeout).wall)
            status.append(measure(strata + ["status"], None, None, f"{logs}/status.log", args.timeout).wall)
        size = os.path.getsize(db) / 1024 / 1024
        c, cs, b = median(cp), median(cp_sync), median(backup)
        mode = "WAL" if journal == "wal" else "rollback journal"
        lines.append(f"| {storage}, {mode} ({size:.0f} MiB) | {c:.3f} s | {cs:.3f} s | {b:.3f} s | "
                     f"{b / c:.2f}× | {b / cs:.2f}× | {median(noop):.3f} s | {median(status):.3f} s |")
        shutil.rmtree(scratch, ignore_errors=True)
    shutil.rmtree(os.path.dirname(wl), ignore_errors=True)
    lines.append("")
    text = "\n".join(lines)
    with open(os.path.join(out_dir, "bigdb.md"), "w") as f:
        f.write(text + "\n")
    return text


# Start-up --------------------------------------------------------------------------------------

def startup(args, out_dir, runs=30):
    """`strata --version` (and the baseline's) against `sqlite3 --version`: median wall and peak RSS."""
    binaries = [("strata", args.strata)] + ([("strata-baseline", args.baseline)] if args.baseline else [])
    binaries.append(("sqlite3", shutil.which("sqlite3") or "sqlite3"))
    lines = [f"#### Start-up: `--version`, {runs} runs each, interleaved (medians)\n",
             "| binary | wall | peak RSS MiB | file size MiB |", "|---|---|---|---|"]
    samples = {name: [] for name, _ in binaries}
    log = os.path.join(tempfile.mkdtemp(prefix="strata-bench-", dir="/dev/shm"), "version.log")
    for _ in range(runs):
        for name, path in binaries:
            samples[name].append(measure([path, "--version"], None, None, log, args.timeout))
    for name, path in binaries:
        good = [s for s in samples[name] if s.rc == 0]
        size = os.path.getsize(path) / 1024 / 1024 if os.path.exists(path) else 0
        lines.append(f"| {name} (`{path}`) | {median([s.wall for s in good]) * 1000:.1f} ms | "
                     f"{median([s.rss_kib for s in good]) / 1024:.1f} | {size:.0f} |")
    shutil.rmtree(os.path.dirname(log), ignore_errors=True)
    lines.append("")
    text = "\n".join(lines)
    with open(os.path.join(out_dir, "startup.md"), "w") as f:
        f.write(text + "\n")
    return text


# Main --------------------------------------------------------------------------------------------

def scratch_dir(storage, args):
    base = "/dev/shm" if storage == "tmpfs" else args.disk_dir
    os.makedirs(base, exist_ok=True)
    d = tempfile.mkdtemp(prefix="strata-bench-", dir=base)
    os.chmod(d, 0o755)
    return d


YOYO_VERSION = "import importlib.metadata as m; print('yoyo-migrations', m.version('yoyo-migrations'))"


def environment_text(args):
    def version(argv):
        try:
            out = subprocess.run(argv, capture_output=True, text=True, timeout=60)
            return (out.stdout or out.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "not installed"
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    mem = next((line.split()[1] for line in open("/proc/meminfo") if line.startswith("MemTotal")), "0")
    lines = [f"machine: {cpu}, {os.cpu_count()} cores, {int(mem) // 1024 // 1024} GiB RAM, "
             f"{platform.system()} {platform.release()}",
             f"strata: {version([args.strata, '--version'])} ({args.strata})",
             f"sqlite3: {version(['sqlite3', '--version'])}", f"psql: {version(['psql', '--version'])}",
             f"sql-migrate: {version(['dpkg-query', '-W', '-f', '${Version}', 'sql-migrate'])}",
             f"sqitch: {version(['sqitch', '--version'])}", f"yoyo: {version([sys.executable, '-c', YOYO_VERSION])}",
             f"alembic: {version(['alembic', '--version'])}", f"python: {platform.python_version()}"]
    return "\n".join(lines)


def install_peers():
    """sql-migrate and sqitch from Debian, yoyo-migrations and alembic from PyPI."""
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(sudo + ["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(sudo + ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "time", "sqlite3",
                           "postgresql-15", "sql-migrate", "sqitch", "libdbd-sqlite3-perl", "libdbd-pg-perl"],
                   check=True, env=env)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "yoyo-migrations==9.0.0", "alembic==1.20.1",
                    "SQLAlchemy==2.1.9", "psycopg2-binary==2.9.13"], check=True)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--strata", default=os.path.join(HERE, "..", ".build", "strata-release", "release", "strata"),
                   help="the strata binary (default: .build/strata-release/release/strata, scripts/release-build)")
    p.add_argument("-n", "--count", type=int, nargs="+", default=[1000], help="migration counts (default 1000)")
    p.add_argument("-r", "--reps", type=int, default=5, help="repetitions (default 5)")
    p.add_argument("--engines", nargs="+", default=["sqlite"], choices=["sqlite", "pg"])
    p.add_argument("--storage", nargs="+", default=["tmpfs", "disk"], choices=["tmpfs", "disk"])
    p.add_argument("--tools", nargs="+", default=["floor", "strata"], choices=list(TOOLS),
                   help="tools to time (default: floor strata; peers: " + " ".join(PEERS) + ")")
    p.add_argument("--baseline", metavar="BINARY", help="another strata binary to time beside --strata "
                   "(row strata-baseline), for before/after comparisons")
    p.add_argument("--peers", action="store_true", help="add every peer to --tools")
    p.add_argument("--install-peers", action="store_true", help="install the peers first (apt-get and pip)")
    p.add_argument("--layout", default="flat", choices=workload.STRATA_LAYOUTS, help="strata's layout (default flat)")
    p.add_argument("--disk-dir", default="/var/tmp", help="where on-disk scratch directories go (default /var/tmp)")
    p.add_argument("--pg-bin", default="/usr/lib/postgresql/15/bin")
    p.add_argument("--pg-port", type=int, default=54339)
    p.add_argument("--timeout", type=float, default=1800, help="seconds per process (default 1800)")
    p.add_argument("--out", default=os.path.join(HERE, "results", time.strftime("%Y%m%d-%H%M%S")),
                   help="results directory: raw.tsv (appended), summary.md, env.txt")
    p.add_argument("--big-db", type=int, metavar="MIB", help="instead: the large-database checks with a database of MIB MiB")
    p.add_argument("--big-db-journal", nargs="+", choices=["delete", "wal"], default=["delete", "wal"],
                   help="journal modes of the large database (default: both)")
    p.add_argument("--startup", action="store_true", help="instead: start-up time and memory of `--version`")
    p.add_argument("--summarize", metavar="RAW_TSV", help="only print the tables of an earlier raw.tsv")
    args = p.parse_args(argv)
    args.strata = os.path.abspath(args.strata)
    if args.summarize:
        print(summarize(read_raw(args.summarize)))
        return
    if args.install_peers:
        install_peers()
    if args.peers:
        args.tools = list(dict.fromkeys(args.tools + PEERS))
    if args.baseline:
        args.baseline = os.path.abspath(args.baseline)
        if not (args.startup or args.big_db):
            args.tools = list(dict.fromkeys(args.tools + ["strata-baseline"]))
    os.makedirs(args.out, exist_ok=True)
    env = environment_text(args)
    with open(os.path.join(args.out, "env.txt"), "w") as f:
        f.write(env + "\n")
    print(env, file=sys.stderr)
    if args.big_db:
        print(big_db(args, args.out))
        return
    if args.startup:
        print(startup(args, args.out))
        return

    rows = []
    for n in args.count:
        wl_root = tempfile.mkdtemp(prefix="strata-bench-wl-", dir="/dev/shm")
        wl = os.path.join(wl_root, f"N{n}")
        workload.generate(n, wl, [args.layout, "floor"] + [t for t in args.tools if t in PEERS])
        try:
            for storage in args.storage:
                for engine_name in args.engines:
                    scratch = scratch_dir(storage, args)
                    logs = os.path.join(args.out, "logs")
                    os.makedirs(logs, exist_ok=True)
                    engine = None
                    try:
                        engine = (SQLiteEngine(scratch) if engine_name == "sqlite"
                                  else PostgresEngine(scratch, args.pg_bin, args.pg_port))
                        start = len(rows)
                        run_engine(storage, engine, wl, n, args, rows, logs)
                        write_raw(os.path.join(args.out, "raw.tsv"), rows[start:])
                    finally:
                        if engine:
                            engine.cleanup()
                        shutil.rmtree(scratch, ignore_errors=True)
        finally:
            shutil.rmtree(wl_root, ignore_errors=True)
    text = summarize(rows)
    with open(os.path.join(args.out, "summary.md"), "w") as f:
        f.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
