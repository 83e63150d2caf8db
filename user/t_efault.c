/* A bad pointer given to a call gets -1 with errno EFAULT, and the process
   lives on (issue 10): pipe, fstat, stat, lstat, getcwd, readdir's name
   buffer and cookie (getdent), read, write, open, waitpid's status (and
   wait_how's), device_info, gettimeofday, time, times,
   clock_gettime, clock_getres, nanosleep, getrusage, fcntl F_GETLK. Bad:
   page 0, a kernel-half address, the program's read-only text (for results),
   and a read-only mapping; results into a writable mapping (where the C
   library asks the pager to write) arrive. Nothing is left behind (no
   descriptor of a failed pipe, no child reaped by a failed waitpid). */
#include "test.h"
#include <dirent.h>
#include <time.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/resource.h>

#define EXPECT_EFAULT(call) do { \
    errno = 0; \
    long r_ = (long)(call); \
    if (r_ != -1 || errno != EFAULT) { \
        printf("check failed: %s with %p gave %ld, errno %d (%s:%d)\n", #call, bad, r_, errno, __FILE__, __LINE__); \
        exit(1); \
    } \
} while (0)

static int next_fd(void)
{
    int fd = dup(0);
    CHECK(fd >= 0);
    CHECK_EQ(close(fd), 0);
    return fd;
}

/* Every call with pointer bad where it hands back a result. */
static void results(void *bad)
{
    int fd0 = next_fd();
    EXPECT_EFAULT(pipe(bad));
    CHECK_EQ(next_fd(), fd0);                 /* the two ends were closed again */
    EXPECT_EFAULT(fstat(0, bad));
    EXPECT_EFAULT(stat("/", bad));
    EXPECT_EFAULT(lstat("/bin", bad));
    EXPECT_EFAULT(getcwd(bad, 64) ? 0 : -1);
    EXPECT_EFAULT(gettimeofday(bad, NULL));
    EXPECT_EFAULT(time(bad));
    EXPECT_EFAULT(times(bad));
    EXPECT_EFAULT(clock_gettime(CLOCK_REALTIME, bad));
    EXPECT_EFAULT(clock_gettime(CLOCK_MONOTONIC, bad));
    EXPECT_EFAULT(clock_getres(CLOCK_MONOTONIC, bad));
    EXPECT_EFAULT(getrusage(RUSAGE_SELF, bad));

    int fd = open("/bin/t_efault", O_RDONLY);
    CHECK(fd >= 0);
    EXPECT_EFAULT(read(fd, bad, 100));
    EXPECT_EFAULT(fcntl(fd, F_GETLK, bad));
    long cookie = 0;
    CHECK_EQ(close(fd), 0);
    fd = open("/", O_RDONLY);
    CHECK(fd >= 0);
    CHECK_EQ(getdent(fd, &cookie, bad, NULL), -EFAULT); /* the pager's readdir (readdir's buffer is in its DIR) */
    char name[64];
    long inum = -1;
    CHECK_EQ(getdent(fd, bad, name, &inum), -EFAULT);
    CHECK_EQ(getdent(fd, &cookie, name, bad), -EFAULT);
    CHECK_EQ(cookie, 0);                              /* nothing was read */
    CHECK_EQ(getdent(fd, &cookie, name, &inum), 1);
    CHECK(inum > 0 && cookie != 0);
    CHECK_EQ(device_info(DEV_RTC, bad, NULL), -EFAULT);
    CHECK_EQ(device_info(DEV_RTC, NULL, bad), -EFAULT);
    CHECK_EQ(close(fd), 0);
    CHECK_EQ(next_fd(), fd0);
}

/* Every call with pointer bad where it takes an argument from it. */
static void arguments(void *bad)
{
    EXPECT_EFAULT(nanosleep(bad, NULL));
    EXPECT_EFAULT(open(bad, O_RDONLY));
    EXPECT_EFAULT(stat(bad, &(struct stat){ 0 }));
    int p[2];
    CHECK_EQ(pipe(p), 0);
    EXPECT_EFAULT(write(p[1], bad, 10));
    CHECK_EQ(close(p[0]), 0);
    CHECK_EQ(close(p[1]), 0);
}

/* waitpid with a bad status pointer says EFAULT and reaps nothing: the
   child is there for the next waitpid, with its exit code. */
static void wait_status(void *bad)
{
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0)
        _exit(7);
    EXPECT_EFAULT(waitpid(pid, bad, 0));
    EXPECT_EFAULT(wait(bad));
    long how = -1, code = -1;
    CHECK_EQ(wait_how(pid, bad, &code), -EFAULT);
    CHECK_EQ(wait_how(pid, &how, bad), -EFAULT);
    CHECK(how == -1 && code == -1);
    int st = 0;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 7);
}

/* Results into a writable mapping the C library cannot vouch for: the pager
   writes them (and reads nanosleep's request from there). */
static void mapped_ok(void)
{
    char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED);
    int *fds = (int *)(m + 8);
    CHECK_EQ(pipe(fds), 0);
    CHECK(fds[0] >= 0 && fds[1] >= 0 && fds[0] != fds[1]);
    CHECK_EQ(write(fds[1], "x", 1), 1);
    char c = 0;
    CHECK_EQ(read(fds[0], &c, 1), 1);
    CHECK_EQ(c, 'x');
    CHECK_EQ(close(fds[0]), 0);
    CHECK_EQ(close(fds[1]), 0);

    struct timespec *ts = (struct timespec *)(m + 64);
    CHECK_EQ(clock_gettime(CLOCK_REALTIME, ts), 0);
    struct timespec now;
    CHECK_EQ(clock_gettime(CLOCK_REALTIME, &now), 0);
    CHECK(ts->tv_sec <= now.tv_sec && now.tv_sec - ts->tv_sec < 5 && ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000);
    struct timeval *tv = (struct timeval *)(m + 128);
    CHECK_EQ(gettimeofday(tv, NULL), 0);
    CHECK(tv->tv_sec >= now.tv_sec && tv->tv_sec - now.tv_sec < 5);
    struct rusage *ru = (struct rusage *)(m + 256);
    memset(ru, 0xff, sizeof *ru);
    CHECK_EQ(getrusage(RUSAGE_SELF, ru), 0);
    CHECK(ru->ru_utime.tv_sec >= 0 && ru->ru_stime.tv_sec == 0 && ru->ru_stime.tv_usec == 0);

    struct timespec *nap = (struct timespec *)(m + 512);
    *nap = (struct timespec){ 0, 1000 };
    CHECK_EQ(nanosleep(nap, NULL), 0);
    nap->tv_nsec = 1000000000;                        /* read from there: then checked */
    errno = 0;
    CHECK_EQ(nanosleep(nap, NULL), -1);
    CHECK_EQ(errno, EINVAL);

    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0)
        _exit(5);
    int *st = (int *)(m + 1024);
    CHECK_EQ(waitpid(pid, st, 0), pid);
    CHECK(WIFEXITED(*st) && WEXITSTATUS(*st) == 5);
    CHECK_EQ(munmap(m, 4096), 0);
}

int main(void)
{
    char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(ro != MAP_FAILED);
    void *bad[] = { (void *)8, (void *)0xffffffc000000000UL, (void *)(uintptr_t)&results, ro };
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        results(bad[i]);
        wait_status(bad[i]);
        if (i < 2)  /* the text and the read-only mapping are readable */
            arguments(bad[i]);
    }
    mapped_ok();
    printf("t_efault: ok\n");
    return 0;
}
