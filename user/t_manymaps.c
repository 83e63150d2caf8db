/* One file page mapped and touched by many regions in many processes: more
   than 65,535 references to one frame are fine (the pager used to shut the
   system down), and one process cannot have more than its limit of regions
   (ENOMEM, and it goes on). */
#include "test.h"

#define GROUPS 3
#define FORKS 31          /* 32 processes a group (a job may hold 100) */
#define MAX_REGIONS 1024  /* servers/pager/pager.h */

/* Map page 0 of fd privately, read-only, once per region until refused;
   touch every mapping. Returns how many. */
static long map_all(int fd)
{
    long n = 0;
    for (;;) {
        volatile char *p = mmap(0, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            CHECK_EQ(errno, ENOMEM);
            break;
        }
        CHECK_EQ(p[1], 'E'); /* \177ELF */
        n++;
    }
    return n;
}

/* A group: map, then fork FORKS children that keep the mappings until the
   pipe closes. */
static void group(int fds[2], int report)
{
    int fd = open("/bin/true", O_RDONLY);
    CHECK(fd >= 0);
    long n = map_all(fd);
    CHECK(n > MAX_REGIONS - 32 && n < MAX_REGIONS);
    close(fds[1]);
    for (int i = 0; i < FORKS; i++) {
        int pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            char c;
            read(fds[0], &c, 1);
            exit(0);
        }
    }
    char c = 1;
    write(report, &c, 1);
    read(fds[0], &c, 1);
    while (wait(0) > 0)
        ;
    exit(0);
}

int main(int argc, char **argv)
{
    (void)argc; (void)argv;
    int fds[2], rep[2];
    CHECK_EQ(pipe(fds), 0);
    CHECK_EQ(pipe(rep), 0);
    long pids[GROUPS];
    for (int g = 0; g < GROUPS; g++) {
        pids[g] = fork();
        CHECK(pids[g] >= 0);
        if (pids[g] == 0)
            group(fds, rep[1]);
    }
    for (int g = 0; g < GROUPS; g++) {
        char c;
        CHECK_EQ(read(rep[0], &c, 1), 1);
    }
    /* more than 3 * 32 * 990 > 65,535 references to one frame now; all alive */
    static struct proc_info pi[128];
    long np = ps(pi, 128);
    CHECK(np >= GROUPS * (FORKS + 1));
    close(fds[0]);
    close(fds[1]);
    for (int g = 0; g < GROUPS; g++) {
        int status = -1;
        CHECK_EQ(waitpid(pids[g], &status, 0), pids[g]);
        CHECK(WIFEXITED(status));
        CHECK_EQ(WEXITSTATUS(status), 0);
    }
    return 0;
}
