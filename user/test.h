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
    CHECK_EQ(waitpid(pid, how, code), pid);
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
    CHECK_EQ(waitstatus(pid, &status), pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
