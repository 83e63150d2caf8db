/* Writes through one descriptor shared across fork all land, also when
   memory is short (issue 8): a sibling task holds all free frames but two
   while a parent and its child each write 10,000 bytes through the same
   open file (its offset shared, and once more with O_APPEND), and the only
   frames that can come back are those of a file that another task left
   dirty (written back in the background). A write that finds no frame waits
   for the write-back instead of failing or coming back short; the file then
   has exactly 20,000 bytes, each writer's all there and in order. */
#include "test.h"

#define PATH "/fdshare"
#define EACH 10000
#define PIECE 1000

static long free_frames(void)
{
    struct pager_stat st;
    CHECK_EQ(pager_stat(&st), 0);
    return st.free_frames;
}

#define FILL (4L << 20)

/* The hog: holds every free frame but `leave`, twice: at once, and again
   when asked on fd `again` (frames freed meanwhile); it answers on fd
   `ready` each time and lets go when it reads 'q' (or the pipe ends). A
   program of its own (spawn), so it shares no page with the writers: a
   forked hog would make their every write to their own memory a copy. */
static int hog(long leave, int ready, int again)
{
    for (int fd = 3; fd < 16; fd++)
        if (fd != ready && fd != again)
            close(fd);
    long n = free_frames() + 4096;
    volatile char *m = anon_map((size_t)n * 4096);
    CHECK(m != NULL);
    long k = 0;
    for (long bulk = free_frames() - leave - 200; k < bulk; k++) /* the shadow table takes a few more */
        m[k * 4096] = 1;
    char c = 'r';
    do {
        for (; k < n && free_frames() > leave; k++)
            m[k * 4096] = 1;
        CHECK_EQ(write(ready, "r", 1), 1);
    } while (read(again, &c, 1) == 1 && c != 'q');
    return 0;
}

static int start_hog(long leave, int ready[2], int again[2])
{
    long pid = spawn("t_fdshare", leave * 256 + ready[1] * 16 + again[0]);
    CHECK(pid > 0);
    char c;
    CHECK_EQ(read(ready[0], &c, 1), 1);
    return (int)pid;
}

/* A task that makes FILL bytes of a file dirty through a shared mapping, says
   so on ready, and exits when it reads a byte on go: its pages are then written back in
   the background, and their frames come back once all are on the disk. */
static int start_filler(int ready[2], int go[2])
{
    int pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        int fd = open("/fdfill", O_RDWR | O_CREAT | O_TRUNC);
        CHECK(fd >= 0);
        static char zeros[65536];
        for (long off = 0; off < FILL; off += sizeof zeros)
            CHECK(write_all(fd, zeros, sizeof zeros));
        volatile char *m = mmap(NULL, FILL, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        CHECK(m != MAP_FAILED);
        for (long off = 0; off < FILL; off += 4096)
            m[off] = 1;
        CHECK_EQ(write(ready[1], "r", 1), 1);
        char c;
        read(go[0], &c, 1);
        exit(0); /* no munmap: exit does not wait for the write-back */
    }
    char c;
    CHECK_EQ(read(ready[0], &c, 1), 1);
    return pid;
}

static char buf[PIECE];

/* The piece at off of the writer tag: pairs of tag and a count mod 100. */
static void fill(long off, char tag)
{
    for (long i = 0; i < PIECE; i += 2) {
        buf[i] = tag;
        buf[i + 1] = (char)(((off + i) / 2) % 100);
    }
}

/* Write EACH bytes of tag in pieces. */
static void writer(int fd, char tag)
{
    for (long off = 0; off < EACH; off += PIECE) {
        fill(off, tag);
        long r = write(fd, buf, PIECE);
        if (r != PIECE)
            printf("t_fdshare: %c: write at %ld returned %ld (%s)\n", tag, off, r, r < 0 ? errstr(errno) : "short");
        CHECK_EQ(r, PIECE);
    }
}

/* The file holds 2 * EACH bytes: each writer's pieces whole and in order. */
static void check_file(void)
{
    static char got[2 * EACH + 1];
    int fd = open(PATH, O_RDONLY);
    CHECK(fd >= 0);
    long n = 0, r;
    while ((r = read(fd, got + n, sizeof got - (size_t)n)) > 0)
        n += r;
    CHECK_EQ(close(fd), 0);
    CHECK_EQ(n, 2 * EACH);
    long next[2] = { 0, 0 };
    for (long at = 0; at < n; at += 2) {
        int w = got[at] == 'P' ? 0 : got[at] == 'C' ? 1 : -1;
        CHECK(w >= 0);
        CHECK_EQ(got[at + 1], (next[w] / 2) % 100);
        next[w] += 2;
    }
    CHECK_EQ(next[0], EACH);
    CHECK_EQ(next[1], EACH);
}

/* A parent and its child write through one descriptor while memory is
   short: every free frame is taken but `leave`, and the only frames that can
   come back are those of a file being written back. */
static void round_(long leave, long flags)
{
    int ready[2], again[2], start[2], fgo[2];
    CHECK_EQ(pipe(ready), 0);
    CHECK_EQ(pipe(again), 0);
    CHECK_EQ(pipe(start), 0);
    CHECK_EQ(pipe(fgo), 0);
    int fd = open(PATH, O_RDWR | O_CREAT | O_TRUNC | flags);
    CHECK(fd >= 0);
    int pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) { /* the writers' own pages are taken before memory runs short */
        char c;
        fill(0, 'C');
        CHECK_EQ(read(start[0], &c, 1), 1);
        writer(fd, 'C');
        exit(0);
    }
    fill(0, 'P');
    int filler = start_filler(ready, fgo);
    int hog = start_hog(leave, ready, again);
    CHECK_EQ(write(fgo[1], "g", 1), 1); /* the filler exits: its file is written back */
    int status;
    CHECK_EQ(waitpid(filler, &status, 0), filler);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    char c;
    CHECK_EQ(write(again[1], "a", 1), 1); /* and the hog takes what the filler's exit freed */
    CHECK_EQ(read(ready[0], &c, 1), 1);
    long low = free_frames();
    CHECK_EQ(write(start[1], "g", 1), 1);
    writer(fd, 'P');
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 0);
    CHECK_EQ(close(fd), 0);
    CHECK_EQ(write(again[1], "q", 1), 1);
    CHECK_EQ(waitpid(hog, &status, 0), hog);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    int fds[] = { ready[0], ready[1], again[0], again[1], start[0], start[1], fgo[0], fgo[1] };
    for (unsigned i = 0; i < sizeof fds / sizeof fds[0]; i++)
        close(fds[i]);
    check_file();
    printf("t_fdshare: %ld frames were free when the writers started%s\n", low, flags ? " (O_APPEND)" : "");
    CHECK_EQ(unlink("/fdfill"), 0);
}

int main(int argc, char **argv)
{
    long arg = argc > 1 ? atol(argv[1]) : 0;
    if (arg)
        return hog(arg / 256, (int)(arg / 16 % 16), (int)(arg % 16));
    round_(2, 0);
    round_(2, O_APPEND);
    CHECK_EQ(unlink(PATH), 0);
    printf("t_fdshare: ok\n");
    return 0;
}
