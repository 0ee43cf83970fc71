#ifndef C_STRATA_SQLITE_H
#define C_STRATA_SQLITE_H

/// Turns SQLite's memory statistics off for the whole process (`SQLITE_CONFIG_MEMSTATUS` = 0), so
/// that each of SQLite's allocations no longer takes a global mutex. `sqlite3_config` is variadic,
/// which Swift cannot call; this is its one use here. Returns SQLite's result code: `SQLITE_OK`,
/// or `SQLITE_MISUSE` once SQLite has been initialized in the process (the setting is then left
/// as it is).
int strata_sqlite3_disable_memory_statistics(void);

#endif
