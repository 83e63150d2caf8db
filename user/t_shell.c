/* The shell and the small tools: runs command lines through `sh -c LINE` (or
   sh reading a script from its standard input) with fds 0, 1 and 2 on pipes,
   and checks what comes out and the exit status. Needs sh, echo, cat, wc,
   grep, true and false in the boot archive (and runs itself, to fault). */
#include "test.h"

#define OUT_MAX (128 * 1024)
#define BIG_LINES 1600      /* 64-byte lines: 100 KiB, far more than a pipe holds */

struct result {
    char out[OUT_MAX];
    long outlen;
    char err[1024];
    long errlen;
    long how, code;         /* how sh ended (waitpid) */
};

static struct result res;
static char big[BIG_LINES * 64 + 1];

/* Read fd until end of file into buf (cap - 1 bytes kept, then a NUL).
   Returns how many bytes there were (all counted, even those dropped). */
static long read_all(int fd, char *buf, long cap)
{
    static char scratch[4096];
    long len = 0;
    for (;;) {
        long room = cap - 1 - len;
        char *dst = room > 0 ? buf + len : scratch;
        long r = read(fd, dst, room > 0 ? (size_t)room : sizeof scratch);
        CHECK(r >= 0);
        if (r == 0)
            break;
        len += r;
    }
    buf[len < cap ? len : cap - 1] = 0;
    return len;
}

/* In a child: fd 0, 1, 2 from in[0], out[1], err[1], then exec sh with argv. */
static void exec_sh(int in[2], int out[2], int err[2], char **argv)
{
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    int fds[] = { in[0], in[1], out[0], out[1], err[0], err[1] };
    for (int i = 0; i < 6; i++)
        close(fds[i]);
    execv("sh", argv);
    exit(126);
}

/* Run sh with argv; its standard input gets the inlen bytes of input (written
   by a separate process, so both directions can block), then end of file.
   Fills res with stdout, stderr and how sh ended. */
static void run_sh(char **argv, const char *input, long inlen)
{
    int in[2], out[2], err[2];
    CHECK_EQ(pipe(in), 0);
    CHECK_EQ(pipe(out), 0);
    CHECK_EQ(pipe(err), 0);
    long sh = fork();
    CHECK(sh >= 0);
    if (sh == 0)
        exec_sh(in, out, err, argv);
    close(in[0]);
    close(out[1]);
    close(err[1]);
    long feeder = 0;
    if (inlen > 0) {
        feeder = fork();
        CHECK(feeder >= 0);
        if (feeder == 0) {
            close(out[0]);
            close(err[0]);
            exit(write_all(in[1], input, inlen) ? 0 : 1);
        }
    }
    close(in[1]);
    res.outlen = read_all(out[0], res.out, sizeof res.out);
    res.errlen = read_all(err[0], res.err, sizeof res.err);
    close(out[0]);
    close(err[0]);
    CHECK_EQ(wait_how(sh, &res.how, &res.code), sh);
    if (feeder) {
        long how, code;
        CHECK_EQ(wait_how(feeder, &how, &code), feeder);
    }
}

/* Run `sh -c line` with input on its stdin (may be empty). */
static void run(const char *line, const char *input)
{
    char *argv[] = { "sh", "-c", (char *)line, NULL };
    run_sh(argv, input, input ? (long)strlen(input) : 0);
}

/* Check that the last run exited with status and printed exactly out. */
static void expect(const char *line, const char *out, int status)
{
    if (res.how != WAIT_EXITED || res.code != status || res.outlen != (long)strlen(out) ||
        strcmp(res.out, out) != 0) {
        printf("'%s': expected status %d and \"%s\"; got %s %ld and \"%s\" (stderr \"%s\")\n", line,
               status, out, res.how == WAIT_EXITED ? "status" : "killed, cause", res.code,
               res.outlen < 200 ? res.out : "(long)", res.err);
        exit(1);
    }
}

/* Run `sh -c line` (stdin empty) and expect output out and status. */
static void check(const char *line, const char *out, int status)
{
    run(line, NULL);
    expect(line, out, status);
}

static void test_simple(void)
{
    check("echo hello world", "hello world\n", 0);
    check("echo", "\n", 0);
    check("echo -n abc", "abc", 0);
    check("echo one; echo two", "one\ntwo\n", 0);
    check("echo \"a  b\" 'c|d' e\\;f", "a  b c|d e;f\n", 0);
    check("echo a#b # a comment", "a#b\n", 0);
    check("  ", "", 0);
}

static void test_pipes(void)
{
    check("echo a b c | wc", "      1       3       6\n", 0);
    check("echo x y z | cat | wc", "      1       3       6\n", 0);
    check("echo hi | cat | cat | cat | cat | cat | cat | cat | cat | wc", "      1       1       3\n", 0);
    check("echo -n abc | grep -c b", "1\n", 0);
    check("echo abc | grep zzz", "", 1);
    check("echo abc|grep -v zzz", "abc\n", 0);
    run("grep -v b", "abc\nxyz\nbcd\nlast");
    expect("grep -v b", "xyz\nlast\n", 0);
}

static void test_status(void)
{
    check("true", "", 0);
    check("false", "", 1);
    check("true; false", "", 1);
    check("false; true", "", 0);
    check("false | true", "", 0);
    check("true | false", "", 1);
    check("exit 3", "", 3);
    check("false; exit", "", 1);
    check("echo before; exit 4; echo after", "before\n", 4);
    check("nosuchprog", "", 127);
    CHECK(strcmp(res.err, "sh: nosuchprog: no such file or directory\n") == 0);
    check("echo a |", "", 2);
    check("| wc", "", 2);
    check("echo \"open", "", 2);
    /* redirection to and from files */
    check("cat < nofile", "", 1);
    CHECK(strcmp(res.err, "sh: nofile: no such file or directory\n") == 0);
    check("echo x > out; echo y", "y\n", 0);
    check("cat < out; echo z >> out; cat out", "x\nx\nz\n", 0);
    check("echo w > out; cat out; rm out; cat out", "w\n", 1);
    check("cd /nonexistent", "", 1);
    check("mkdir /cdt; cd /cdt; echo hi > f; cat /cdt/f; cd ..; rm cdt/f; rmdir cdt", "hi\n", 0);
    /* ls with no argument lists the working directory */
    check("mkdir /lsd; cd /lsd; echo hi > lsd_only; ls | grep -c lsd_only; rm lsd_only; cd /; rmdir lsd", "1\n", 0);
}

static void test_background(void)
{
    check("echo bg & wait", "bg\n", 0);
    CHECK(res.err[0] == '[');
    /* a background job reads nothing: the input stays with the shell */
    run("cat & wait", "input\n");
    expect("cat & wait", "", 0);
}

/* Pipes that fill up: 100 KiB through sh's stdin and out again. */
static void test_big(void)
{
    static const char line[] = "0123456 0123456 0123456 0123456 0123456 0123456 0123456 0123456\n";
    _Static_assert(sizeof line == 65, "64-byte lines");
    for (int i = 0; i < BIG_LINES; i++)
        memcpy(big + i * 64, line, 64);
    long n = BIG_LINES * 64;
    char *argv[] = { "sh", "-c", "cat | wc", NULL };
    run_sh(argv, big, n);
    expect("cat | wc (100 KiB)", "   1600   12800  102400\n", 0);
    argv[2] = "cat | cat | cat";
    run_sh(argv, big, n);
    CHECK_EQ(res.how, WAIT_EXITED);
    CHECK_EQ(res.code, 0);
    CHECK_EQ(res.outlen, n);
    CHECK(memcmp(res.out, big, (size_t)n) == 0);
}

/* sh reading commands from its standard input: lines that straddle reads, a
   last line without a newline, exit in the middle. */
static void test_script(void)
{
    static char script[4096], want[4096];
    long sl = 0, wl = 0;
    for (int i = 0; i < 150; i++) {
        sl += snprintf(script + sl, sizeof script - (size_t)sl, "echo line %d\n", i);
        wl += snprintf(want + wl, sizeof want - (size_t)wl, "line %d\n", i);
    }
    char *argv[] = { "sh", NULL };
    run_sh(argv, script, sl);
    expect("script of 150 lines", want, 0);
    const char *s1 = "echo one\necho two | wc\nexit 5\necho never\n";
    run_sh(argv, s1, (long)strlen(s1));
    expect("script with exit", "one\n      1       1       4\n", 5);
    const char *s2 = "false\necho last";
    run_sh(argv, s2, (long)strlen(s2));
    expect("script without the last newline", "last\n", 0);
}

/* Variables ($NAME, ${NAME}, $?, export, unset), the environment programs
   get (env), sleep, and kill's signal names. */
static void test_vars(void)
{
    check("X=hi; echo $X ${X}y '$X' \"$X\"", "hi hiy $X hi\n", 0);
    check("false; echo $?; true; echo $?", "1\n0\n", 0);
    check("echo a${NOSUCH}b $NOSUCH.", "ab .\n", 0);
    check("Z=1; unset Z; echo x${Z}x", "xx\n", 0);
    check("export T_SHELL_V=env1; env | grep T_SHELL_V=", "T_SHELL_V=env1\n", 0);
    check("T_SHELL_W=2; env | grep -c T_SHELL_W", "1\n", 0); /* every variable is exported */
    check("sleep 0.01; echo slept", "slept\n", 0);
    check("sleep soon", "", 1);
    check("kill -NOSUCH 1", "", 2);
    check("kill -TERM nosuchpid", "", 1);
}

/* A command killed by a fault: the shell reports it, its status is 128 + the signal. */
static void test_killed(void)
{
    check("t_shell fault; echo after", "after\n", 0);
    check("t_shell fault", "", 128 + SIGSEGV);
    static const char tail[] = " killed by signal 11\n";
    size_t n = strlen(res.err), t = sizeof tail - 1;
    CHECK(strncmp(res.err, "sh: pid ", 8) == 0 && n > t && strcmp(res.err + n - t, tail) == 0);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "fault") == 0) {
        volatile uintptr_t nowhere = 8;
        return *(volatile int *)nowhere; /* a load page fault: SIGSEGV, for test_killed */
    }
    test_simple();
    test_pipes();
    test_status();
    test_background();
    test_vars();
    test_killed();
    test_big();
    test_script();
    printf("t_shell: all passed\n");
    return 0;
}
