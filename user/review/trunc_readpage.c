/* Regression (was a bug): open(O_TRUNC) while a READPAGE of the file is queued behind its
   LOOKUP: (a) page_done puts the old page into the cache past the new end,
   and a later write past the end shows its old bytes; (b) the parked fault,
   handled again inside the file server's PG_FS_NEXT, ends in a bus error and
   kill_proc answers with sys_reply(0): the file server gets MSG_FAULT_KILL
   instead of its next job, and that job (a WRITEPAGE here) never runs. */
#include "common.h"

static int round_(int r)
{
    char fpath[16], gpath[16];
    snprintf(fpath, sizeof fpath, "/zz5f%d", r);
    snprintf(gpath, sizeof gpath, "/zz5g%d", r);
    make_file(fpath, 'A', 4);
    int fd = open(fpath, O_RDONLY);
    CHECK(fd >= 0);
    volatile char *a = mmap(0, 4 * P, PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK(a != MAP_FAILED);
    volatile long *res = mmap(0, P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(res != MAP_FAILED);
    res[0] = res[1] = -999;
    res[2] = 0;
    saturate(gpath);
    int fpid = fork();
    CHECK(fpid >= 0);
    if (fpid == 0) {
        while (!res[2])
            sys_yield();
        spin_ms(1);        /* the truncating open is in by now */
        res[1] = a[3 * P]; /* READPAGE of page 3 queued behind the LOOKUP */
        exit(0);
    }
    int tpid = fork();
    CHECK(tpid >= 0);
    if (tpid == 0) {
        volatile char stack[8192];
        for (int i = 0; i < 8192; i += 512)
            stack[i] = 0;
        (void)stack[0];
        res[2] = 1;
        int fd2 = open(fpath, O_RDWR | O_TRUNC); /* LOOKUP queued behind the write-back */
        res[0] = fd2 < 0 ? -errno : fd2;
        exit(0);
    }
    bool t_end = ends_within(tpid, 15000), f_end = ends_within(fpid, 15000);
    long thow = -1, tcode = -1, fhow = -1, fcode = -1;
    if (!t_end)
        kill(tpid, SIGKILL);
    if (!f_end)
        kill(fpid, SIGKILL);
    wait_how(tpid, &thow, &tcode);
    wait_how(fpid, &fhow, &fcode);
    printf("review round %d: truncating open -> %ld (%s); faulting child %s (res %ld)\n", r, res[0],
           t_end ? "ended" : "HUNG", !f_end ? "HUNG" : fhow == WAIT_KILLED ? "killed" : "exited", res[1]);
    /* (a): extend the file past page 3 with write(2): bytes 3P..3P+99 must read as zeros */
    int fd3 = open(fpath, O_RDWR);
    CHECK(fd3 >= 0);
    struct stat st;
    CHECK_EQ(fstat(fd3, &st), 0);
    CHECK_EQ(lseek(fd3, 3 * P + 100, SEEK_SET), 3 * P + 100);
    CHECK_EQ(write(fd3, "zz", 2), 2);
    CHECK_EQ(lseek(fd3, 3 * P, SEEK_SET), 3 * P);
    static char got[100];
    CHECK_EQ(read(fd3, got, 100), 100);
    long stale = 0;
    for (int i = 0; i < 100; i++)
        stale += got[i] != 0;
    printf("review round %d: size after O_TRUNC %ld; %ld of the 100 bytes before a write at 3P+100 are not zero "
           "(first 0x%x)\n", r, (long)st.st_size, stale, (unsigned)(uint8_t)got[0]);
    close(fd3);
    close(fd);
    munmap((void *)a, 4 * P);
    /* (b): wait for gpath to be clean (a write(2) answers then, with the write-back error if any) */
    int g = open(gpath, O_RDWR);
    CHECK(g >= 0);
    CHECK_EQ(lseek(g, 1, SEEK_SET), 1);
    long gw = write(g, "g", 1);
    long gerr = gw < 0 ? errno : 0;
    CHECK_EQ(close(g), 0); /* last reference: the cache goes */
    g = open(gpath, O_RDONLY);
    CHECK(g >= 0);
    long lost = 0, first_lost = -1;
    for (long i = 0; i < GPAGES; i++) {
        char c = 0;
        CHECK_EQ(lseek(g, i * P, SEEK_SET), i * P);
        CHECK_EQ(read(g, &c, 1), 1);
        if (c != 'h' && lost++ == 0)
            first_lost = i;
    }
    close(g);
    printf("review round %d: write(2) to %s after its write-back: %ld (errno %ld); %ld of %ld pages written "
           "through the mapping are not on the disk (first %ld)\n", r, gpath, gw, gerr, lost, GPAGES, first_lost);
    unlink(fpath);
    unlink(gpath);
    munmap((void *)res, P);
    CHECK(t_end && f_end);
    return stale != 0 || gw != 1 || lost != 0;
}

int main(void)
{
    int bad = 0;
    for (int r = 0; r < 3; r++)
        bad |= round_(r);
    CHECK(!bad);
    return 0;
}
