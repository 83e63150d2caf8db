/* Helpers for in-guest test programs: a failed check prints where and exits 1. */
#pragma once
#include "sys.h"

#define CHECK(cond) do { \
    if (!(cond)) { printf("check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); exit(1); } \
} while (0)

#define CHECK_EQ(a, b) do { \
    long a_ = (long)(a), b_ = (long)(b); \
    if (a_ != b_) { printf("check failed: %s == %s (%ld != %ld) (%s:%d)\n", #a, #b, a_, b_, __FILE__, __LINE__); exit(1); } \
} while (0)

/* Spawn `name` with arg and return how it ended: WAIT_EXITED/WAIT_KILLED in *how, code in *code. */
static inline void run_child(const char *name, long arg, long *how, long *code)
{
    long pid = spawn(name, arg);
    CHECK(pid > 0);
    CHECK_EQ(wait_how(pid, how, code), pid);
}

/* The first running process called name: its pid, and its page faults in *faults; -1 if none. */
static inline long proc_by_name(const char *name, uint64_t *faults)
{
    static struct proc_info pi[64];
    long np = ps(pi, 64);
    for (long i = 0; i < np && i < 64; i++) {
        if (strcmp(pi[i].name, name) == 0) {
            if (faults)
                *faults = pi[i].faults;
            return pi[i].pid;
        }
    }
    return -1;
}

/* Bring every page of this program's file regions in now (read them; write
   back what they hold where writable): a program from the disk that must not
   fault on it later (the disk goes away, or a page-cache frame would go
   uncounted). */
static inline void touch_own_image(void)
{
    static struct region_info ri[32];
    long n = pmap(getpid(), ri, 32);
    for (long i = 0; i < n && i < 32; i++) {
        if (strcmp(ri[i].kind, "file") != 0)
            continue;
        for (uint64_t a = ri[i].start; a < ri[i].end; a += 4096) {
            volatile uint8_t *b = (volatile uint8_t *)a;
            uint8_t v = *b;
            if (ri[i].prot & PROT_WRITE)
                *b = v;
        }
    }
}

/* Copy file from to to (created or truncated); a failure fails the test. */
static inline void copy_file(const char *from, const char *to)
{
    int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC);
    CHECK(in >= 0 && out >= 0);
    static char buf[4096];
    long n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        CHECK(write_all(out, buf, (size_t)n));
    CHECK_EQ(n, 0);
    close(in);
    close(out);
}

/* Whether the pager's policy maps a new region at once (POLICY_EAGER): tests
   of laziness say so and check what that policy promises instead. */
static inline bool policy_eager(void)
{
    struct pager_stat st;
    CHECK_EQ(pager_stat(&st), 0);
    return st.policy_flags & POLICY_EAGER;
}

/* Pages an eager policy maps when a region of `pages` is made (EAGER_PAGES
   of abi.def at most); 0 under the lazy ones. */
static inline uint64_t eager_pages(uint64_t pages)
{
    return !policy_eager() ? 0 : pages < EAGER_PAGES ? pages : EAGER_PAGES;
}

/* Sleep about `ticks` of rdtime (a timer notification; a yield when there
   is none to be had). */
static inline void nap(uint64_t ticks)
{
    static long n = -2;
    if (n == -2)
        n = sys_ntfn_create();
    if (n < 0 || sys_timer_notify(n, (long)(rdtime() + ticks)) < 0) {
        sys_yield();
        return;
    }
    sys_wait(n);
}

/* Fork, exec path with argv {"prog"}, wait: the child's exit code (98: exec
   failed with ENOEXEC, 99: with another error). */
static inline int exec_status(const char *path)
{
    char *av[] = { "prog", NULL };
    int pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        execv(path, av);
        exit(errno == ENOEXEC ? 98 : 99);
    }
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status));
    return WEXITSTATUS(status);
}

/* Run the program av[0] with av (fork and exec) and check it exits 0. */
static inline void run_argv(char *const av[])
{
    int pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        execv(av[0], av);
        exit(99);
    }
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* ---- The paging tests (testinit's "paging" list: t_swap*, t_page*, t_oom) ---- */

/* Children a paging test must not leave behind: kid_keep(pid) once started,
   kid_gone(pid) once waited for. PCHECK kills and waits for the others before
   it fails the test. A forked child calls kids_forget (its siblings are not
   its own to kill). */
static long kids_[16];

static inline void kids_kill(void);

/* Keep pid; with more children than the table holds, the test fails (pid and
   the others killed). */
static inline void kid_keep(long pid)
{
    for (unsigned i = 0; i < sizeof kids_ / sizeof kids_[0]; i++)
        if (!kids_[i]) {
            kids_[i] = pid;
            return;
        }
    printf("kid_keep: more than %u children\n", (unsigned)(sizeof kids_ / sizeof kids_[0]));
    long how, code;
    kill(pid, SIGKILL);
    wait_how(pid, &how, &code);
    kids_kill();
    exit(1);
}

static inline void kid_gone(long pid)
{
    for (unsigned i = 0; i < sizeof kids_ / sizeof kids_[0]; i++)
        if (kids_[i] == pid)
            kids_[i] = 0;
}

static inline void kids_forget(void)
{
    memset(kids_, 0, sizeof kids_);
}

static inline void kids_kill(void)
{
    for (unsigned i = 0; i < sizeof kids_ / sizeof kids_[0]; i++) {
        if (!kids_[i])
            continue;
        long how, code;
        kill(kids_[i], SIGKILL);
        wait_how(kids_[i], &how, &code);
        kids_[i] = 0;
    }
}

#define PCHECK(cond) do { \
    if (!(cond)) { printf("check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); kids_kill(); exit(1); } \
} while (0)

#define PCHECK_EQ(a, b) do { \
    long a_ = (long)(a), b_ = (long)(b); \
    if (a_ != b_) { \
        printf("check failed: %s == %s (%ld != %ld) (%s:%d)\n", #a, #b, a_, b_, __FILE__, __LINE__); \
        kids_kill(); \
        exit(1); \
    } \
} while (0)

/* Wait for child pid (one of kid_keep's); returns how it ended in *how and *code. */
static inline void kid_wait(long pid, long *how, long *code)
{
    PCHECK_EQ(wait_how(pid, how, code), pid);
    kid_gone(pid);
}

/* Fork a child that runs fn(arg) and exits with what it returns; the parent
   gets its pid (registered with kid_keep). */
static inline long kid_fork(int (*fn)(long), long arg)
{
    long pid = fork();
    PCHECK(pid >= 0);
    if (pid == 0) {
        kids_forget();
        exit(fn(arg));
    }
    kid_keep(pid);
    return pid;
}

/* The start of a paging test: prints "NAME: policy P, R pages of RAM, S swap
   slots" as its first line and returns R, the pager's frames (sizes are
   relative to it). *pct gets argv[1] when it is a positive number (the
   percentage of the test's sizes that testinit was asked to use: smaller
   sizes check a test's own mechanics without paging), else 100. */
static inline uint64_t paging_start(const char *name, int argc, char **argv, long *pct)
{
    struct pager_stat ps_;
    struct vmstat vs_;
    PCHECK_EQ(pager_stat(&ps_), 0);
    PCHECK_EQ(vmstat(&vs_), 0);
    *pct = argc > 1 && atol(argv[1]) > 0 ? atol(argv[1]) : 100;
    printf("%s: policy %s, %ld pages of RAM, %lu swap slots, sizes at %ld%%\n", name, ps_.policy,
           ps_.total_frames, vs_.swap_total, *pct);
    return (uint64_t)ps_.total_frames;
}

/* pages * pct / 100 (at least 1). */
static inline uint64_t scaled(uint64_t pages, long pct)
{
    uint64_t n = pages * (uint64_t)pct / 100;
    return n ? n : 1;
}

/* The word the pattern `seed` puts at byte offset off of a test's memory. */
static inline uint64_t pat_word(uint64_t off, uint64_t seed)
{
    uint64_t x = (off + 1) * 0x9e3779b97f4a7c15UL ^ seed * 0xbf58476d1ce4e5b9UL;
    return x ^ (x >> 31);
}

/* Fill the 512 words at w with seed's pattern for page i. */
static inline void pat_fill_at(uint64_t *w, uint64_t i, uint64_t seed)
{
    for (uint64_t k = 0; k < 512; k++)
        w[k] = pat_word(i * 4096 + k * 8, seed);
}

/* Make (or empty) the file path and write `pages` pages of seed's pattern
   into it with write(). */
static inline void pat_make_file(const char *path, uint64_t pages, uint64_t seed)
{
    static uint64_t buf[512];
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC);
    PCHECK(fd >= 0);
    for (uint64_t i = 0; i < pages; i++) {
        pat_fill_at(buf, i, seed);
        PCHECK(write_all(fd, buf, sizeof buf));
    }
    PCHECK_EQ(close(fd), 0);
}

/* Whether the 512 words at w hold seed's pattern for page i; a bad word is
   printed (who names the checker). */
static inline bool pat_check_at(const char *who, const uint64_t *w, uint64_t i, uint64_t seed)
{
    for (uint64_t k = 0; k < 512; k++) {
        uint64_t want = pat_word(i * 4096 + k * 8, seed);
        if (w[k] != want) {
            printf("%s: page %lu word %lu at %p: %lx, want %lx (seed %lu)\n", who, i, k, (void *)&w[k], w[k],
                   want, seed);
            return false;
        }
    }
    return true;
}

/* Page i of the pages at mem: fill it with seed's pattern, or check it. */
static inline void pat_fill_page(uint64_t *mem, uint64_t i, uint64_t seed)
{
    pat_fill_at(mem + i * 512, i, seed);
}

static inline bool pat_check_page(const char *who, const uint64_t *mem, uint64_t i, uint64_t seed)
{
    return pat_check_at(who, mem + i * 512, i, seed);
}

/* vmstat, or a failed test. */
static inline struct vmstat vm_now(void)
{
    struct vmstat v;
    PCHECK_EQ(vmstat(&v), 0);
    return v;
}

/* How run_capture_io runs a program, beyond run_capture: in (not NULL) is
   written to its standard input, which then ends (else it has the caller's);
   env (not NULL) is its whole environment (else the caller's); err: its
   standard error goes to the pipe too (else it is the caller's). */
struct capture_io {
    const char *in;
    char *const *env;
    bool err;
};

/* Run av[0] with av (fork and exec) with its standard output on a pipe, as
   io says (NULL: as the defaults of struct capture_io): up to cap - 1 bytes
   of what it printed in out (then a NUL), how it ended in *how and *code
   (waitpid; a child whose exec failed prints why and exits 126). The input
   comes from a second child (no deadlock, whatever its size and whatever the
   program prints first). Both are kid_keep's until waited for; a failure to
   make a pipe or a child fails the test. */
static inline void run_capture_io(char *const av[], const struct capture_io *io, char *out, long cap, long *how,
                                  long *code)
{
    int fds[2], in[2] = { -1, -1 };
    PCHECK_EQ(pipe(fds), 0);
    if (io && io->in)
        PCHECK_EQ(pipe(in), 0);
    long pid = fork();
    PCHECK(pid >= 0);
    if (pid == 0) {
        kids_forget();
        if (in[0] >= 0) {
            dup2(in[0], 0);
            close(in[0]);
            close(in[1]);
        }
        dup2(fds[1], 1);
        if (io && io->err)
            dup2(fds[1], 2);
        close(fds[0]);
        close(fds[1]);
        if (io && io->env)
            execve(av[0], av, io->env);
        else
            execv(av[0], av);
        printf("%s: %s\n", av[0], strerror(errno));
        exit(126);
    }
    kid_keep(pid);
    close(fds[1]);
    long feeder = 0;
    if (in[0] >= 0) {
        close(in[0]);
        feeder = fork();
        PCHECK(feeder >= 0);
        if (feeder == 0) {
            kids_forget();
            close(fds[0]);
            exit(write_all(in[1], io->in, strlen(io->in)) ? 0 : 1); /* the program may stop reading first */
        }
        kid_keep(feeder);
        close(in[1]);
    }
    long len = 0, r;
    char scratch[64];
    while ((r = read(fds[0], len < cap - 1 ? out + len : scratch,
                     len < cap - 1 ? (size_t)(cap - 1 - len) : sizeof scratch)) > 0)
        len += len < cap - 1 ? r : 0;
    close(fds[0]);
    out[len] = 0;
    kid_wait(pid, how, code);
    if (feeder) {
        long fhow, fcode;
        kid_wait(feeder, &fhow, &fcode);
    }
}

/* run_capture_io with the caller's standard input, environment and standard
   error. */
static inline void run_capture(char *const av[], char *out, long cap, long *how, long *code)
{
    run_capture_io(av, NULL, out, cap, how, code);
}

/* Whether process pid is running (not gone, not a zombie). */
static inline bool proc_running(long pid)
{
    static struct proc_info pi_[64];
    long np = ps(pi_, 64);
    for (long i = 0; i < np && i < 64; i++)
        if (pi_[i].pid == pid)
            return pi_[i].state == 1;
    return false;
}

/* A hog: a child that keeps `pages` of private anonymous memory busy, writing
   a new pattern over all of it and checking it, pass after pass, until told
   to stop (with a nap of a millisecond every 256 pages written, so that the
   tasks it competes with are not slowed down by whole time slices). Its
   control block is a page shared with the parent. */
struct hog {
    volatile uint64_t stop, passes, bad;
    uint64_t pages;
    long pid;
};

static inline int hog_main(long arg)
{
    struct hog *h = (struct hog *)arg;
    uint64_t *mem = mmap(NULL, h->pages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
        printf("hog: cannot map %lu pages: %s\n", h->pages, errstr(errno));
        return 2;
    }
    for (uint64_t pass = 1; !h->stop; pass++) {
        for (uint64_t i = 0; i < h->pages && !h->stop; i++) {
            pat_fill_page(mem, i, pass + 100);
            if (i % 256 == 255)
                nap(RDTIME_HZ / 1000); /* holds the memory, leaves the others some of the CPU */
        }
        for (uint64_t i = 0; i < h->pages && !h->stop; i++)
            if (!pat_check_page("hog", mem, i, pass + 100)) {
                h->bad = 1;
                return 1;
            }
        if (!h->stop)
            h->passes = pass;
    }
    return 0;
}

/* Start a hog of `pages` and return once it has written and checked all of
   them once (memory is full from then on). Fails the test if the hog ends
   first. */
static inline struct hog *hog_start(uint64_t pages)
{
    struct hog *h = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    PCHECK(h != MAP_FAILED);
    h->pages = pages;
    h->pid = kid_fork(hog_main, (long)h);
    while (h->passes == 0) {
        PCHECK(proc_running(h->pid));
        nap(RDTIME_HZ / 20);
    }
    return h;
}

/* Stop the hog, wait for it and check that all its data was right. */
static inline void hog_stop(struct hog *h)
{
    h->stop = 1;
    long how, code;
    kid_wait(h->pid, &how, &code);
    printf("hog: %lu passes over %lu pages\n", h->passes, h->pages);
    PCHECK_EQ(how, WAIT_EXITED);
    PCHECK_EQ(code, 0);
    PCHECK_EQ(munmap(h, 4096), 0);
}

/* Free frames plus the frames every live process holds (its resident pages;
   needs RIGHT_PROCS to see the others): constant while nothing leaks, however
   the file server's caches grow or pages go to swap and come back. One thing
   raises it: a clean page-cache page that no process maps, dropped under
   memory pressure (its frame is free now); frames_back allows for that. The
   cached pages of programs no process runs and their page lists (vmstat's
   cache_idle, meta_idle) count as held. */
static inline long frames_held(void)
{
    sync(); /* the page cache lets go of a file once its last dirty page is written */
    static struct region_info ri_[32];
    static struct proc_info pi_[64];
    long np = ps(pi_, 64), own = 0;
    for (long k = 0; k < np && k < 64; k++) {
        long n = pmap(pi_[k].pid, ri_, 32); /* first: it may touch ri_'s pages */
        for (long i = 0; i < n && i < 32; i++)
            own += (long)ri_[i].resident;
    }
    struct pager_stat st;
    pager_stat(&st);
    struct vmstat vs; /* programs no process runs, cached for the next exec: held, not leaked */
    long idle = vmstat(&vs) == 0 ? (long)(vs.cache_idle + vs.meta_idle) : 0;
    return st.free_frames + own + idle;
}

/* frames_held and the page cache's frames at one moment (those of idle
   programs left out: frames_held has them). */
struct frames_mark { long held, cache; };

static inline struct frames_mark frames_mark(void)
{
    struct frames_mark m = { frames_held(), -1 };
    struct vmstat vs;
    if (vmstat(&vs) == 0)
        m.cache = (long)(vs.used_cache - vs.cache_idle);
    return m;
}

/* Whether the frames are back to mark `was` (*now: frames_held now): the
   same, or more by at most the page-cache pages dropped since (never fewer:
   that is a leak). */
static inline bool frames_back(struct frames_mark was, long *now)
{
    struct frames_mark m = frames_mark();
    long dropped = was.cache > m.cache ? was.cache - m.cache : 0;
    *now = m.held;
    return m.held >= was.held && m.held - was.held <= dropped;
}

/* The number that follows the first `key` in text, or -1 when key is not there. */
static inline long number_after(const char *text, const char *key)
{
    size_t n = strlen(key);
    for (const char *s = text; *s; s++)
        if (strncmp(s, key, n) == 0) {
            s += n;
            while (*s == ' ')
                s++;
            return *s >= '0' && *s <= '9' ? atol(s) : -1;
        }
    return -1;
}

/* Swap slots in use that no live process accounts for: vmstat's swap_used
   less the swapped pages of every process (ps). Slots of ended tasks not freed
   yet, or leaked; pages of others (testinit's, say) that go to swap while a
   test runs do not change it. */
static inline long swap_unowned(void)
{
    static struct proc_info pi_[64];
    uint64_t used = vm_now().swap_used;
    long np = ps(pi_, 64), owned = 0;
    for (long k = 0; k < np && k < 64; k++)
        owned += (long)pi_[k].swapped;
    return (long)used - owned;
}

/* Wait (up to 120 s: writes of ended tasks' pages may still finish) until
   swap_unowned() is `want`; returns the last value seen. */
static inline long unowned_settle(long want)
{
    uint64_t end = rdtime() + 60 * RDTIME_HZ; /* (the runner calls a test idle for 120 s hung) */
    for (;;) {
        long u = swap_unowned();
        if (u == want || rdtime() > end)
            return u;
        nap(RDTIME_HZ / 20);
    }
}

/* The end of a paging test: the swap slots no task holds come back to
   `was` (waited for), checked, then "NAME: ok". */
static inline void slots_back_ok(const char *name, long was)
{
    long left = unowned_settle(was);
    printf("%s: swap slots no task holds: %ld before, %ld after\n", name, was, left);
    PCHECK_EQ(left, was);
    printf("%s: ok\n", name);
}

/* Read every page of this program's own file and image regions (a page that
   went out under memory pressure comes back, mapped as before). */
static inline void touch_program(void)
{
    static struct region_info ri_[32];
    long n = pmap(getpid(), ri_, 32);
    for (long i = 0; i < n && i < 32; i++) {
        if (strcmp(ri_[i].kind, "file") != 0 && strcmp(ri_[i].kind, "image") != 0)
            continue;
        for (uint64_t a = ri_[i].start; a < ri_[i].end; a += 4096)
            (void)*(volatile uint8_t *)a;
    }
}
