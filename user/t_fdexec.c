/* Descriptors are open file descriptions shared like POSIX: a dup, a dup2 copy
   and a forked child's copy move one offset; closing one copy leaves the others
   working; bad descriptors give EBADF, a full table EMFILE. Descriptors are
   kept across exec: /bin/cat with a file dup2'd onto fd 0 and a pipe onto fd 1
   copies the file from the offset the parent left, and leaves the shared offset
   at the end; /bin/echo with fd 1 on a new file writes into it; a program
   exec'd keeps fd 9 with its offset. */
#include "test.h"

#define PATH "/fdexec.txt"
#define OUT "/fdexec.out"
#define SIZE 6000               /* more than a page; from offset 1000 still more than a pipe holds */

static char data[SIZE], got[2 * SIZE];

static long tell(int fd) { return lseek(fd, 0, SEEK_CUR); }

/* Wait for pid; it must have exited with status 0. */
static void reap(int pid)
{
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 0);
}

/* Read fd until end of file into got; returns the byte count. */
static long drain(int fd)
{
    long total = 0, n;
    while ((n = read(fd, got + total, sizeof got - (size_t)total)) > 0)
        total += n;
    CHECK_EQ(n, 0);
    return total;
}

int main(int argc, char **argv)
{
    for (int i = 0; i < SIZE; i++)
        data[i] = (char)('a' + (i * 7 + i / 26) % 26);
    if (argc == 3 && strcmp(argv[1], "kept") == 0) { /* exec'd by the last part */
        long at = atol(argv[2]);
        CHECK_EQ(tell(9), at);
        CHECK_EQ(read(9, got, 1), 1);
        CHECK_EQ(got[0], data[at]);
        return 0;
    }
    int fd = open(PATH, O_WRONLY | O_CREAT | O_TRUNC);
    CHECK(fd >= 0);
    CHECK(write_all(fd, data, SIZE));
    CHECK_EQ(close(fd), 0);

    /* dup: one offset for both */
    fd = open(PATH, O_RDONLY);
    CHECK(fd >= 0);
    int d = dup(fd);
    CHECK(d >= 0 && d != fd);
    CHECK_EQ(read(fd, got, 10), 10);
    CHECK_EQ(tell(d), 10);
    CHECK_EQ(read(d, got, 5), 5);
    CHECK(memcmp(got, data + 10, 5) == 0);
    CHECK_EQ(tell(fd), 15);
    CHECK_EQ(lseek(d, 100, SEEK_SET), 100);
    CHECK_EQ(read(fd, got, 1), 1);
    CHECK_EQ(got[0], data[100]);

    /* dup2: onto a free number, onto itself, onto an open pipe end (closing it) */
    CHECK_EQ(dup2(fd, 9), 9);
    CHECK_EQ(tell(9), 101);
    CHECK_EQ(lseek(9, 5, SEEK_CUR), 106);
    CHECK_EQ(tell(fd), 106);
    CHECK_EQ(dup2(fd, fd), fd);
    CHECK_EQ(tell(fd), 106);
    int p[2];
    CHECK_EQ(pipe(p), 0);
    CHECK_EQ(dup2(d, p[1]), p[1]);             /* the pipe's only writer goes */
    CHECK_EQ(read(p[0], got, 1), 0);           /* so its reader sees end of file */
    CHECK_EQ(tell(p[1]), 106);
    CHECK_EQ(close(p[1]), 0);
    CHECK_EQ(close(p[0]), 0);

    /* close one copy: the others work, the closed number is bad */
    CHECK_EQ(close(fd), 0);
    CHECK_EQ(read(d, got, 4), 4);
    CHECK(memcmp(got, data + 106, 4) == 0);
    CHECK_EQ(tell(9), 110);
    CHECK_EQ(read(fd, got, 1), -1);
    CHECK_EQ(errno, EBADF);
    CHECK_EQ(close(fd), -1);
    CHECK_EQ(errno, EBADF);
    CHECK_EQ(dup(fd), -1);
    CHECK_EQ(errno, EBADF);
    CHECK_EQ(dup2(fd, 5), -1);
    CHECK_EQ(errno, EBADF);
    CHECK_EQ(lseek(fd, 0, SEEK_SET), -1);
    CHECK_EQ(errno, EBADF);
    long bad[] = { -1, FD_MAX, 1000 };
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(dup2(d, (int)bad[i]), -1);
        CHECK_EQ(errno, EBADF);
        CHECK_EQ(dup((int)bad[i]), -1);
        CHECK_EQ(errno, EBADF);
    }
    /* a full table: EMFILE; the copies all share the offset */
    int copies[FD_MAX], n = 0, r;
    while ((r = dup(d)) >= 0)
        copies[n++] = r;
    CHECK_EQ(errno, EMFILE);
    CHECK(n > 0 && n < (int)FD_MAX);
    CHECK_EQ(lseek(copies[n - 1], 0, SEEK_SET), 0);
    CHECK_EQ(tell(d), 0);
    while (n > 0)
        CHECK_EQ(close(copies[--n]), 0);
    CHECK_EQ(close(9), 0);

    /* fork: the child's reads move the parent's offset, and it starts at the parent's */
    CHECK_EQ(lseek(d, 200, SEEK_SET), 200);
    int pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        CHECK_EQ(tell(d), 200);
        CHECK_EQ(read(d, got, 100), 100);
        CHECK(memcmp(got, data + 200, 100) == 0);
        exit(0);
    }
    reap(pid);
    CHECK_EQ(tell(d), 300);

    /* exec: cat reads the shared description on fd 0 from offset 1000 and
       writes into the pipe on fd 1; afterwards the offset is at the end */
    CHECK_EQ(lseek(d, 1000, SEEK_SET), 1000);
    CHECK_EQ(pipe(p), 0);
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        CHECK_EQ(dup2(d, 0), 0);
        CHECK_EQ(dup2(p[1], 1), 1);
        close(p[0]);
        close(p[1]);
        close(d);
        char *av[] = { "cat", NULL };
        execv("/bin/cat", av);
        exit(99);
    }
    CHECK_EQ(close(p[1]), 0);
    CHECK_EQ(drain(p[0]), SIZE - 1000);
    CHECK(memcmp(got, data + 1000, SIZE - 1000) == 0);
    CHECK_EQ(close(p[0]), 0);
    reap(pid);
    CHECK_EQ(tell(d), SIZE);                   /* not reopened: moved ours */

    /* exec with fd 1 on a new file: echo writes into it, then appends */
    for (int k = 0; k < 2; k++) {
        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            int out = open(OUT, O_WRONLY | O_CREAT | (k ? O_APPEND : O_TRUNC));
            CHECK(out >= 0);
            CHECK_EQ(dup2(out, 1), 1);
            close(out);
            char *av1[] = { "echo", "hello", "from", "echo", NULL };
            char *av2[] = { "echo", "-n", "again", NULL };
            execv("/bin/echo", k ? av2 : av1);
            exit(99);
        }
        reap(pid);
    }
    int o = open(OUT, O_RDONLY);
    CHECK(o >= 0);
    long len = drain(o);
    got[len] = 0;
    CHECK(strcmp(got, "hello from echo\nagain") == 0);
    CHECK_EQ(close(o), 0);

    /* a descriptor other than 0-2 is kept across exec, with its offset */
    CHECK_EQ(lseek(d, 1234, SEEK_SET), 1234);
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        CHECK_EQ(dup2(d, 9), 9);
        char *av[] = { "t_fdexec", "kept", "1234", NULL };
        execv("t_fdexec", av);
        exit(99);
    }
    reap(pid);
    CHECK_EQ(tell(d), 1235);
    CHECK_EQ(close(d), 0);

    CHECK_EQ(unlink(PATH), 0);
    CHECK_EQ(unlink(OUT), 0);
    CHECK_EQ(open(PATH, O_RDONLY), -1);
    CHECK_EQ(errno, ENOENT);
    return 0;
}
