/* Regression (was a bug): a copy to user memory done outside handle() (a job's completion, a
   pipe wake-up) that lands in a file page not read yet gets -EAGAIN and the
   request is answered EFAULT instead of waiting for the page. */
#include "../test.h"
#define P 4096L

static char page[P];

int main(void)
{
    memset(page, 'x', P);
    int fd = open("/zz3", O_RDWR | O_CREAT | O_TRUNC);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, page, P), P);
    CHECK_EQ(write(fd, page, P), P);
    CHECK_EQ(close(fd), 0);                   /* cache dropped */
    fd = open("/zz3", O_RDWR);
    CHECK(fd >= 0);
    char *a = mmap(0, 2 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    CHECK(a != MAP_FAILED);                   /* untouched: nothing read yet */

    /* 1: readdir's name goes to page 0 of the mapping (copied in readdir_done) */
    int d = open("/", O_RDONLY);
    CHECK(d >= 0);
    long cookie = 0, inum = 0;
    errno = 0;
    int r = (int)getdent(d, &cookie, a, &inum);
    printf("review: readdir into an unread file page: %d (errno %d)\n", r, errno);
    int bad = r != 1;

    /* 2: a blocked pipe read into page 1, woken by a writer (pipe_out from wake_pipe) */
    int p[2];
    CHECK_EQ(pipe(p), 0);
    int pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        uint64_t t0 = rdtime();
        while (rdtime() - t0 < 500000) /* 50 ms: the parent blocks in read first */
            sys_yield();
        CHECK_EQ(write(p[1], "hello", 5), 5);
        exit(0);
    }
    errno = 0;
    long n = read(p[0], a + P, 5);
    printf("review: blocked pipe read into an unread file page: %ld (errno %d)\n", n, errno);
    bad |= n != 5;
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    close(fd);
    unlink("/zz3");
    CHECK(!bad);
    return 0;
}
