/* Edges of the pager's file layer found by review:
   - a system call whose buffer lies in a file page of this program that was
     never touched (rodata, data) waits for the page instead of failing;
   - one write() of 1 MiB (far more pages than the job queue holds) succeeds,
     and the file layer goes on working after it;
   - many execs of different paths at once while the file server is busy do
     not mix up their lookups (the exec name cache). */
#include "test.h"

static const char ro[64 * 1024] __attribute__((aligned(4096))) = { 1, 2, 3 };
static const char ropath[8192] __attribute__((aligned(4096))) = "/bin/hello";
static char dbuf[64 * 1024] __attribute__((aligned(4096))) = { 1 };
static char big[1 << 20];

/* Run as /bin/t_fsedge sub: nothing of the arrays above is touched yet. */
static int untouched_buffers(void)
{
    int p[2];
    CHECK_EQ(pipe(p), 0);
    CHECK_EQ(write(p[1], ro + 40000, 100), 100);
    char got[100];
    CHECK_EQ(read(p[0], got, 100), 100);
    for (int i = 0; i < 100; i++)
        CHECK_EQ(got[i], 0);
    int fd = open(ropath, O_RDONLY);
    CHECK(fd >= 0);
    close(fd);
    char data[50];
    for (int i = 0; i < 50; i++)
        data[i] = (char)(i + 1);
    CHECK_EQ(write(p[1], data, sizeof data), 50);
    CHECK_EQ(read(p[0], dbuf + 40000, 50), 50);
    CHECK(memcmp(dbuf + 40000, data, 50) == 0);
    return 0;
}

static void big_write(void)
{
    for (long i = 0; i < (long)sizeof big; i++)
        big[i] = (char)(i % 251);
    int fd = open("/edge.big", O_RDWR | O_CREAT | O_TRUNC);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, big, sizeof big), (long)sizeof big);
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), (long)sizeof big);
    close(fd);
    int h = open("/bin/hello", O_RDONLY);
    CHECK(h >= 0);
    close(h);
    static char back[1 << 20];
    fd = open("/edge.big", O_RDONLY);
    long n = 0, r;
    while ((r = read(fd, back + n, sizeof back - (size_t)n)) > 0)
        n += r;
    close(fd);
    CHECK_EQ(n, (long)sizeof big);
    CHECK(memcmp(back, big, sizeof big) == 0);
    CHECK_EQ(unlink("/edge.big"), 0);
}

/* 21 tasks exec 21 different paths at once (one real program, 20 missing)
   while a writer keeps the file server busy: each gets its own answer. */
static void many_lookups(void)
{
    volatile long *done = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(done != MAP_FAILED);
    int w = fork();
    if (w == 0) {
        int fd = open("/edge.busy", O_RDWR | O_CREAT | O_TRUNC);
        while (!*done)
            write(fd, big, 64 * 1024);
        close(fd);
        exit(0);
    }
    for (int round = 0; round < 3; round++) {
        int go[2];
        CHECK_EQ(pipe(go), 0);
        int pids[21];
        for (int k = 0; k < 21; k++) {
            pids[k] = fork();
            if (pids[k] == 0) {
                char c, path[32];
                close(go[1]);
                read(go[0], &c, 1);
                if (k == (round * 5) % 21)
                    snprintf(path, sizeof path, "/bin/true");
                else
                    snprintf(path, sizeof path, "/nosuch%d_%d", round, k);
                char *av[] = { path, NULL };
                execv(path, av);
                exit(100 + errno);
            }
        }
        close(go[0]);
        close(go[1]);
        for (int k = 0; k < 21; k++) {
            int st;
            CHECK_EQ(waitpid(pids[k], &st, 0), pids[k]);
            CHECK_EQ(st, k == (round * 5) % 21 ? 0 : (100 + ENOENT) << 8);
        }
    }
    *done = 1;
    int st;
    CHECK_EQ(waitpid(w, &st, 0), w);
    CHECK_EQ(unlink("/edge.busy"), 0);
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "sub") == 0)
        return untouched_buffers();
    int pid = fork();
    if (pid == 0) {
        char *av[] = { "t_fsedge", "sub", NULL };
        execv("/bin/t_fsedge", av);
        exit(99);
    }
    int st;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK_EQ(st, 0);
    big_write();
    many_lookups();
    return 0;
}
