/* SQLite (ports/sqlite: /bin/sqlite3) on this system's files: create, insert,
   update and delete, a transaction rolled back, an index, the integrity
   check, the database read back by a new process, and 2,000 rows inserted in
   one transaction. Each step runs the shell with SQL on its stdin and checks
   everything it printed. (A database that survives a reboot, and one whose
   machine is killed in the middle of a transaction: tests/ports/sqlite_crash.py.) */
#include "test.h"

#define DB "/t_sqlite.db"

/* sqlite3 DB with sql on its stdin must print exactly want (stdout and
   stderr) and exit with want_status. */
static void expect(const char *what, const char *sql, const char *want, int want_status)
{
    static char out[8192];
    char *av[] = { "/bin/sqlite3", DB, NULL };
    char *env[] = { "HOME=/", NULL }; /* else it warns that it has no ~/.sqliterc */
    long how, code;
    run_capture_io(av, &(struct capture_io){ .in = sql, .env = env, .err = true }, out, sizeof out, &how, &code);
    if (how != WAIT_EXITED || code != want_status || strcmp(out, want) != 0) {
        printf("t_sqlite: %s: %s %ld, printed:\n%s---- wanted:\n%s----\n", what,
               how == WAIT_EXITED ? "exit" : "killed, cause", code, out, want);
        exit(1);
    }
    printf("t_sqlite: %s ok\n", what);
}

int main(void)
{
    unlink(DB);
    unlink(DB "-journal");
    expect("create, insert, update, delete, rollback, index",
           "create table t(a integer primary key, b text);\n"
           "insert into t(b) values ('one'), ('two'), ('three');\n"
           "update t set b = 'TWO' where a = 2;\n"
           "delete from t where a = 3;\n"
           "begin; insert into t(b) values ('gone'); rollback;\n"
           "create index tb on t(b);\n"
           "select * from t order by a;\n"
           "select b from t where b = 'TWO';\n"
           "explain query plan select a from t where b = 'one';\n"
           "pragma integrity_check;\n",
           "1|one\n2|TWO\nTWO\nQUERY PLAN\n`--SEARCH t USING COVERING INDEX tb (b=?)\nok\n", 0);
    expect("read back by a new process", "select count(*), group_concat(b) from t;\n", "2|one,TWO\n", 0);
    expect("2000 rows in one transaction",
           "begin;\n"
           "with recursive n(i) as (select 1 union all select i + 1 from n where i < 2000)\n"
           "  insert into t(b) select 'row ' || i from n;\n"
           "commit;\n"
           "select count(*), sum(length(b)) from t;\n"
           "pragma integrity_check;\n",
           "2002|14899\nok\n", 0);
    expect("an error is reported and changes nothing",
           "insert into t(a, b) values (1, 'dup');\nselect count(*) from t;\n",
           "Error near line 1: UNIQUE constraint failed: t.a\n2002\n", 1);
    CHECK_EQ(unlink(DB), 0);
    struct stat st;
    CHECK(stat(DB "-journal", &st) < 0 && errno == ENOENT); /* no hot journal left behind */
    return 0;
}
