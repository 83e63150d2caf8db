/* The C library's POSIX calls that had no test of their own (issue 10):
   setenv, getenv, unsetenv and the environment exec passes; opendir,
   readdir, closedir; realpath; popen and pclose; clock_gettime's monotonic
   and wall clocks (the wall clock within a day of the file server's mtime of
   a file just written), gettimeofday and time; nanosleep; waitpid with
   WNOHANG; isatty. Each with its errors. */
#include "test.h"
#include <dirent.h>
#include <limits.h>
#include <time.h>
#include <sys/time.h>

#define DIR_ "/tlibc"

/* "t_libc env": the child exec'd by environment(): its environment must be
   exactly T_LIBC_A=1 and T_LIBC_B=two words (exit 0), or it says what it got. */
static int env_child(char **envp, bool quiet)
{
    int n = 0;
    while (envp[n])
        n++;
    const char *a = getenv("T_LIBC_A"), *b = getenv("T_LIBC_B");
    if (n == 2 && a && strcmp(a, "1") == 0 && b && strcmp(b, "two words") == 0)
        return 0;
    for (char **e = envp; *e && !quiet; e++)
        printf("t_libc env: got %s\n", *e);
    return 3;
}

static int run_env_child(char *const envp[], bool by_execv, bool quiet)
{
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        char *av[] = { "t_libc", quiet ? "envq" : "env", NULL };
        if (by_execv)
            execv("/bin/t_libc", av);
        else
            execve("/bin/t_libc", av, envp);
        _exit(127);
    }
    int st;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK(WIFEXITED(st));
    return WEXITSTATUS(st);
}

static void environment(void)
{
    CHECK(!getenv("T_LIBC_A"));
    CHECK_EQ(setenv("T_LIBC_A", "1", 1), 0);
    CHECK(getenv("T_LIBC_A") && strcmp(getenv("T_LIBC_A"), "1") == 0);
    CHECK_EQ(setenv("T_LIBC_A", "other", 0), 0);   /* no overwrite: kept */
    CHECK(strcmp(getenv("T_LIBC_A"), "1") == 0);
    CHECK_EQ(setenv("T_LIBC_B", "x", 1), 0);
    CHECK_EQ(setenv("T_LIBC_B", "two words", 1), 0);
    CHECK(strcmp(getenv("T_LIBC_B"), "two words") == 0);
    errno = 0;
    CHECK_EQ(setenv("", "v", 1), -1);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK_EQ(setenv("A=B", "v", 1), -1);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK_EQ(unsetenv("X=Y"), -1);
    CHECK_EQ(errno, EINVAL);

    char *envp[] = { "T_LIBC_A=1", "T_LIBC_B=two words", NULL };
    CHECK_EQ(run_env_child(envp, false, false), 0);          /* execve: exactly envp */
    char *wrong[] = { "T_LIBC_A=2", NULL };
    CHECK_EQ(run_env_child(wrong, false, true), 3);          /* (the child does check) */
    char **saved = environ;
    environ = (char *[]){ NULL };                      /* execv passes environ, with setenv's */
    CHECK_EQ(setenv("T_LIBC_A", "1", 1), 0);
    CHECK_EQ(setenv("T_LIBC_B", "two words", 1), 0);
    CHECK_EQ(run_env_child(NULL, true, false), 0);
    CHECK_EQ(unsetenv("T_LIBC_A"), 0);
    CHECK(!getenv("T_LIBC_A"));
    CHECK_EQ(unsetenv("T_LIBC_A"), 0);                 /* not there: fine */
    environ = saved;
}

static void write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, text, strlen(text)), (long)strlen(text));
    CHECK_EQ(close(fd), 0);
}

static void directories(void)
{
    CHECK_EQ(mkdir(DIR_, 0755), 0);
    write_file(DIR_ "/a", "a");
    write_file(DIR_ "/bb", "bb");
    CHECK_EQ(mkdir(DIR_ "/sub", 0755), 0);
    DIR *d = opendir(DIR_);
    CHECK(d);
    int seen = 0, others = 0;
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d))) {
        CHECK(e->d_ino != 0);
        if (strcmp(e->d_name, "a") == 0) seen |= 1;
        else if (strcmp(e->d_name, "bb") == 0) seen |= 2;
        else if (strcmp(e->d_name, "sub") == 0) seen |= 4;
        else if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) others++;
    }
    CHECK_EQ(errno, 0);                                /* the end, not an error */
    CHECK_EQ(seen, 7);
    CHECK_EQ(others, 0);
    CHECK(!readdir(d));                                /* stays at the end */
    CHECK_EQ(closedir(d), 0);
    errno = 0;
    CHECK(!opendir(DIR_ "/nosuch"));
    CHECK_EQ(errno, ENOENT);

    char buf[PATH_MAX];
    CHECK(realpath(DIR_ "/../tlibc/./sub/..//a", buf) == buf);
    CHECK(strcmp(buf, DIR_ "/a") == 0);
    char cwd[PATH_MAX];
    CHECK(getcwd(cwd, sizeof cwd));
    CHECK_EQ(chdir(DIR_ "/sub"), 0);
    char *m = realpath("../bb", NULL);
    CHECK(m && strcmp(m, DIR_ "/bb") == 0);
    free(m);
    CHECK(realpath("..", buf) && strcmp(buf, DIR_) == 0);
    CHECK(realpath("/", buf) && strcmp(buf, "/") == 0);
    errno = 0;
    CHECK(!realpath("nosuch", buf));
    CHECK_EQ(errno, ENOENT);
    CHECK_EQ(chdir(cwd), 0);
}

static void pipes_to_commands(void)
{
    FILE *f = popen("echo popen works", "r");
    CHECK(f);
    char line[64] = { 0 };
    CHECK(fgets(line, sizeof line, f));
    CHECK(strcmp(line, "popen works\n") == 0);
    CHECK(!fgets(line, sizeof line, f));
    CHECK_EQ(pclose(f), 0);

    f = popen("cat > " DIR_ "/p", "w");
    CHECK(f);
    CHECK(fputs("through cat\n", f) >= 0);
    CHECK_EQ(pclose(f), 0);
    int fd = open(DIR_ "/p", O_RDONLY);
    CHECK(fd >= 0);
    CHECK_EQ(read(fd, line, sizeof line), 12);
    CHECK(memcmp(line, "through cat\n", 12) == 0);
    CHECK_EQ(close(fd), 0);

    f = popen("exit 3", "r");
    CHECK(f);
    int st = pclose(f);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 3);
    errno = 0;
    CHECK(!popen("true", "rw"));
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK_EQ(pclose(stdout), -1);                      /* not popen's */
    CHECK_EQ(errno, EINVAL);
}

static int64_t ns_of(struct timespec t) { return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec; }

static void clocks(void)
{
    struct timespec m0, m1, r0, res;
    CHECK_EQ(clock_gettime(CLOCK_MONOTONIC, &m0), 0);
    CHECK_EQ(clock_gettime(CLOCK_MONOTONIC, &m1), 0);
    CHECK(ns_of(m1) >= ns_of(m0) && m1.tv_nsec < 1000000000);
    CHECK_EQ(clock_getres(CLOCK_REALTIME, &res), 0);
    CHECK(res.tv_sec == 0 && res.tv_nsec > 0 && res.tv_nsec <= 1000000);
    errno = 0;
    CHECK_EQ(clock_gettime((clockid_t)99, &m0), -1);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK_EQ(clock_getres((clockid_t)99, &res), -1);
    CHECK_EQ(errno, EINVAL);

    /* The wall clock: seconds since 1970, as the file server stamps mtimes. */
    write_file(DIR_ "/now", "now");
    struct stat st;
    CHECK_EQ(stat(DIR_ "/now", &st), 0);
    CHECK_EQ(clock_gettime(CLOCK_REALTIME, &r0), 0);
    printf("t_libc: wall clock %ld s, mtime %ld s, monotonic %ld s\n", (long)r0.tv_sec, (long)st.st_mtime,
           (long)m1.tv_sec);
    CHECK(st.st_mtime > 0);
    CHECK(r0.tv_sec > st.st_mtime - 86400 && r0.tv_sec < st.st_mtime + 86400);
    CHECK(r0.tv_sec > m1.tv_sec + 86400);             /* not the time since boot */
    struct timeval tv;
    CHECK_EQ(gettimeofday(&tv, NULL), 0);
    CHECK(tv.tv_sec >= r0.tv_sec && tv.tv_sec - r0.tv_sec < 60 && tv.tv_usec >= 0 && tv.tv_usec < 1000000);
    time_t t1, t2 = time(&t1);
    CHECK(t1 == t2 && t1 >= tv.tv_sec && t1 - tv.tv_sec < 60);
    CHECK(time(NULL) >= t1);
}

static void sleeping(void)
{
    struct timespec a, b, nap = { 0, 20 * 1000 * 1000 };
    CHECK_EQ(clock_gettime(CLOCK_MONOTONIC, &a), 0);
    CHECK_EQ(nanosleep(&nap, NULL), 0);
    CHECK_EQ(clock_gettime(CLOCK_MONOTONIC, &b), 0);
    CHECK(ns_of(b) - ns_of(a) >= 20 * 1000 * 1000);
    CHECK_EQ(nanosleep(&(struct timespec){ 0, 0 }, NULL), 0);
    errno = 0;
    CHECK_EQ(nanosleep(&(struct timespec){ 0, 1000000000 }, NULL), -1);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK_EQ(nanosleep(&(struct timespec){ -1, 0 }, NULL), -1);
    CHECK_EQ(errno, EINVAL);
}

/* WNOHANG: 0 while the child runs (blocked reading a pipe), its pid once it
   has exited; ECHILD without children, EINVAL for unknown options. */
static void wait_nohang(void)
{
    int p[2];
    CHECK_EQ(pipe(p), 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        char c;
        close(p[1]);
        _exit(read(p[0], &c, 1) == 1 ? c : 100);
    }
    CHECK_EQ(close(p[0]), 0);
    int st = 12345;
    CHECK_EQ(waitpid(pid, &st, WNOHANG), 0);
    CHECK_EQ(st, 12345);                               /* untouched */
    CHECK_EQ(waitpid(-1, &st, WNOHANG), 0);
    CHECK_EQ(write(p[1], "\x2a", 1), 1);
    CHECK_EQ(close(p[1]), 0);
    pid_t r;
    for (int i = 0; (r = waitpid(pid, &st, WNOHANG)) == 0; i++) {
        CHECK(i < 100000);                             /* (generous: it ends as soon as it runs) */
        nanosleep(&(struct timespec){ 0, 1000 * 1000 }, NULL);
    }
    CHECK_EQ(r, pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 42);
    errno = 0;
    CHECK_EQ(waitpid(-1, &st, WNOHANG), -1);
    CHECK_EQ(errno, ECHILD);
    errno = 0;
    CHECK_EQ(waitpid(-1, &st, 0x100), -1);
    CHECK_EQ(errno, EINVAL);
    /* the pager's own check of the flags */
    struct msg m = { .label = MSG_PG_WAIT, .w = { -1, 0x100 } };
    CHECK_EQ(pg_call(&m), -EINVAL);
}

/* isatty: 1 for a character device (the console), else 0 with ENOTTY; EBADF. */
static void terminals(void)
{
    int p[2];
    CHECK_EQ(pipe(p), 0);
    errno = 0;
    CHECK_EQ(isatty(p[0]), 0);
    CHECK_EQ(errno, ENOTTY);
    CHECK_EQ(close(p[0]), 0);
    CHECK_EQ(close(p[1]), 0);
    int fd = open(DIR_ "/a", O_RDONLY);
    CHECK(fd >= 0);
    errno = 0;
    CHECK_EQ(isatty(fd), 0);
    CHECK_EQ(errno, ENOTTY);
    CHECK_EQ(close(fd), 0);
    errno = 0;
    CHECK_EQ(isatty(fd), 0);
    CHECK_EQ(errno, EBADF);
    fd = open("/", O_RDONLY);
    CHECK(fd >= 0);
    CHECK_EQ(isatty(fd), 0);
    CHECK_EQ(close(fd), 0);
    struct stat st;
    for (int i = 0; i < 3; i++)                        /* whatever fds 0..2 are, isatty agrees with fstat */
        if (fstat(i, &st) == 0)
            CHECK_EQ(isatty(i), S_ISCHR(st.st_mode) ? 1 : 0);
}

static void cleanup(void)
{
    const char *files[] = { DIR_ "/a", DIR_ "/bb", DIR_ "/p", DIR_ "/now" };
    for (unsigned i = 0; i < sizeof files / sizeof files[0]; i++)
        unlink(files[i]);
    rmdir(DIR_ "/sub");
    rmdir(DIR_);
}

int main(int argc, char **argv, char **envp)
{
    if (argc > 1 && (strcmp(argv[1], "env") == 0 || strcmp(argv[1], "envq") == 0))
        return env_child(envp, argv[1][3] == 'q');
    cleanup(); /* a run cut short before */
    environment();
    directories();
    pipes_to_commands();
    clocks();
    sleeping();
    wait_nohang();
    terminals();
    cleanup();
    struct stat st;
    CHECK_EQ(stat(DIR_, &st), -1);
    printf("t_libc: ok\n");
    return 0;
}
