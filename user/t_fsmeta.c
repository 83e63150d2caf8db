/* Frames come back after directories are made and removed (issue 8): free
   frames plus every process's resident pages are exactly the same before and
   after mkdir/rmdir by system call (one, then hundreds in one directory, a
   chain 20 deep), by /bin/mkdir and /bin/rmdir, and by the shell. */
#include "test.h"

/* As testinit counts: free frames plus every live process's resident pages
   and the cached pages of programs no process runs, once no file waits to be
   written. */
static struct vmstat cur_vs, before_vs; /* the last reading's, and the one `before` came from */
static long cur_free, cur_own, before_free, before_own;

/* Say where the frames are (a mismatch). */
static void show(const char *what, const struct vmstat *v, long free, long own)
{
    printf("t_fsmeta: %s: free %ld own %ld | private %lu fs %lu cache %lu image %lu object %lu io %lu swap %lu | "
           "fixed %lu shadow %lu heap %lu tables %lu other %lu | idle %lu+%lu lost %lu\n", what, free, own,
           (unsigned long)v->used_private, (unsigned long)v->used_fs, (unsigned long)v->used_cache,
           (unsigned long)v->used_image, (unsigned long)v->used_object, (unsigned long)v->used_io,
           (unsigned long)v->used_swap, (unsigned long)v->meta_fixed, (unsigned long)v->meta_shadow,
           (unsigned long)v->meta_heap, (unsigned long)v->meta_tables, (unsigned long)v->meta_other,
           (unsigned long)v->cache_idle, (unsigned long)v->meta_idle, (unsigned long)v->frames_lost);
}

static long accounted_now(void)
{
    sync();
    static struct region_info ri[32];
    static struct proc_info pi[64];
    long np = ps(pi, 64), own = 0;
    for (long k = 0; k < np && k < 64; k++) {
        long n = pmap(pi[k].pid, ri, 32);
        for (long i = 0; i < n && i < 32; i++)
            own += (long)ri[i].resident;
    }
    struct pager_stat st;
    CHECK_EQ(pager_stat(&st), 0);
    struct vmstat vs; /* programs no process runs, cached for the next exec: held, not leaked */
    CHECK_EQ(vmstat(&vs), 0);
    /* the pager's small objects and lists and the servers' own frames may grow by a
       frame when several harts run the programs' ends at once: counted, not leaked
       (vmstat's frames_lost names a leak) */
    CHECK_EQ(vs.frames_lost, 0);
    cur_vs = vs;
    cur_free = st.free_frames;
    cur_own = own;
    return st.free_frames + own + (long)(vs.cache_idle + vs.meta_idle);
}

/* accounted_now() once it stops changing: on several harts the file server may
   still be finishing a job (a frame in its hands) when the program it did it
   for has ended. Waits up to 10 s for two equal readings 50 ms apart. */
static long accounted(void)
{
    long last = accounted_now();
    for (int i = 0; i < 200; i++) {
        nap(RDTIME_HZ / 20);
        long now = accounted_now();
        if (now == last)
            return now;
        last = now;
    }
    return last;
}

static void flat(int n)
{
    char p[64];
    for (int i = 0; i < n; i++) {
        snprintf(p, sizeof p, "/md/a-directory-with-a-long-name-%d", i);
        CHECK_EQ(mkdir(p, 0755), 0);
    }
    for (int i = 0; i < n; i++) {
        snprintf(p, sizeof p, "/md/a-directory-with-a-long-name-%d", i);
        CHECK_EQ(rmdir(p), 0);
    }
}

static void deep(int depth)
{
    char p[128] = "/md";
    size_t len = 3;
    for (int i = 0; i < depth; i++) {
        memcpy(p + len, "/q", 3);
        len += 2;
        CHECK_EQ(mkdir(p, 0755), 0);
    }
    for (int i = 0; i < depth; i++) {
        CHECK_EQ(rmdir(p), 0);
        len -= 2;
        p[len] = 0;
    }
}

int main(void)
{
    touch_own_image(); /* its pages from the disk are resident from now on */
    CHECK_EQ(mkdir("/md", 0755), 0);
    flat(1);            /* whatever the first use of these paths takes */
    long before = accounted();
    before_vs = cur_vs, before_free = cur_free, before_own = cur_own;
    flat(1);
    CHECK_EQ(accounted(), before);
    flat(300);
    CHECK_EQ(accounted(), before);
    deep(20);
    CHECK_EQ(accounted(), before);
    char *m[] = { "/bin/mkdir", "/md/x", NULL }, *r[] = { "/bin/rmdir", "/md/x", NULL };
    char *sh[] = { "/bin/sh", "-c", "mkdir /md/y; mkdir /md/y/z; rmdir /md/y/z; rmdir /md/y", NULL };
    for (int k = 0; k < 3; k++) {
        run_argv(m);
        run_argv(r);
        run_argv(sh);
        long now = accounted();
        if (now != before) {
            printf("t_fsmeta: %ld frames accounted for, %ld before (round %d)\n", now, before, k);
            show("before", &before_vs, before_free, before_own);
            show("now", &cur_vs, cur_free, cur_own);
        }
        CHECK_EQ(now, before);
    }
    CHECK_EQ(rmdir("/md"), 0);
    CHECK_EQ(accounted(), before);
    printf("t_fsmeta: ok\n");
    return 0;
}
