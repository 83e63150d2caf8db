/* SQLite across a reboot and a kill (tests/ports/sqlite_crash.py boots this
   as init). With argument 0: make /crash.db, then commit batches of 100 rows
   for ever, one sqlite3 process a transaction, printing "@@COMMIT n" once
   batch n's sqlite3 has returned; the host kills QEMU at some moment, most
   likely inside a transaction. With argument 1 (the next boot, same disk):
   print "@@CHECK integrity=<pragma integrity_check> rows=<count> batches=<max
   batch>" and power off. */
#include "test.h"

/* sqlite3 /crash.db with sql as its argument: its stdout in out[size];
   returns its exit status, 128 if it was killed. */
static int run_sql(const char *sql, char *out, size_t size)
{
    char *av[] = { "/bin/sqlite3", "/crash.db", (char *)sql, NULL };
    char *env[] = { "HOME=/", NULL }; /* the shell of sqlite3 looks for ~/.sqliterc */
    long how, code;
    run_capture_io(av, &(struct capture_io){ .env = env }, out, (long)size, &how, &code);
    return how == WAIT_EXITED ? (int)code : 128;
}

int main(int argc, char **argv)
{
    static char out[512], sql[512];
    if (argc > 1 && atol(argv[1]) == 1) {
        int st = run_sql("pragma integrity_check; select count(*), coalesce(max(batch), 0) from t;", out, sizeof out);
        char *nl = strchr(out, '\n');
        if (nl)
            *nl = ' ';
        printf("@@CHECK status=%d integrity=%s\n", st, out);
        shutdown();
        return 0;
    }
    if (run_sql("create table if not exists t(batch integer, i integer, pad text);", out, sizeof out) != 0) {
        printf("@@FAIL create: %s\n", out);
        return 1;
    }
    printf("sqlcrash: started\n");
    for (long n = 1;; n++) {
        snprintf(sql, sizeof sql,
                 "begin; with recursive k(i) as (select 1 union all select i + 1 from k where i < 100) "
                 "insert into t select %ld, i, printf('%%0200d', i) from k; commit;", n);
        int st = run_sql(sql, out, sizeof out);
        if (st != 0) {
            printf("@@FAIL batch %ld: status %d: %s\n", n, st, out);
            return 1;
        }
        printf("@@COMMIT %ld\n", n);
    }
}
