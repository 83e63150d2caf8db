/* Lua's own test suite (ports/lua: /bin/lua, its testes/ in /lua/testes), one
   file per process, as all.lua's "user" mode runs them (_U: _soft, _port and
   _nomsg: no long, memory-hungry or non-portable parts). Prints one line per
   file, "t_lua: FILE ok" or what went wrong, and fails when any file did.
   Left out, with the reason: see skipped[] below. */
#include "test.h"

#define PRELUDE "_U=true _soft=true _port=true _nomsg=true"

static const char *files[] = {
    "strings.lua", "literals.lua", "tpack.lua", "attrib.lua", "gengc.lua", "locals.lua",
    "constructs.lua", "code.lua", "cstack.lua", "nextvar.lua", "pm.lua", "utf8.lua",
    "api.lua", "events.lua", "vararg.lua", "closure.lua", "coroutine.lua", "goto.lua",
    "errors.lua", "math.lua", "sort.lua", "bitwise.lua", "verybig.lua",
    "db.lua", "calls.lua", "gc.lua", "big.lua", "main.lua", "files.lua",
};

static const struct { const char *file, *why; } skipped[] = {
    { "all.lua", "the driver: its files run one by one here" },
    { "heavy.lua", "not part of all.lua: allocates gigabytes on purpose" },
    { "bwcoercion.lua", "a module strings.lua loads, not a test" },
    { "tracegc.lua", "a module the others load, not a test" },
};

/* Run one file; returns true when lua exited 0. */
static bool run_file(const char *file)
{
    int pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        if (chdir("/lua/testes") < 0) {
            printf("t_lua: /lua/testes: %s\n", strerror(errno));
            exit(126);
        }
        char *av[] = { "lua", "-e", PRELUDE, (char *)file, NULL };
        char *env[] = { "PATH=/bin", "HOME=/", NULL }; /* files.lua wants a PATH */
        execve("/bin/lua", av, env);
        printf("t_lua: /bin/lua: %s\n", strerror(errno));
        exit(127);
    }
    int status;
    uint64_t t0 = rdtime();
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        printf("t_lua: %s ok (%lu ms)\n", file, (unsigned long)((rdtime() - t0) / (RDTIME_HZ / 1000)));
        return true;
    }
    if (WIFEXITED(status))
        printf("t_lua: %s FAILED (exit status %d)\n", file, WEXITSTATUS(status));
    else
        printf("t_lua: %s FAILED (killed, cause %d)\n", file, WTERMSIG(status));
    return false;
}

int main(int argc, char **argv)
{
    int failed = 0, ran = 0;
    for (unsigned i = 0; i < sizeof files / sizeof files[0]; i++)
        if (argc < 3 || strcmp(argv[2], files[i]) == 0) { /* t_lua 0 FILE: only that one */
            failed += !run_file(files[i]);
            ran++;
        }
    for (unsigned i = 0; i < sizeof skipped / sizeof skipped[0]; i++)
        printf("t_lua: %s left out: %s\n", skipped[i].file, skipped[i].why);
    printf("t_lua: %d of %d files passed\n", ran - failed, ran);
    return failed ? 1 : 0;
}
