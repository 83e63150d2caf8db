/* Every frame is accounted for, by what holds it (issue 8: "creating
   directories leaves 1-2 frames counted as used"; they are the file server's
   code, paged in from the boot archive the first time it makes a directory
   or writes a file, and stay with its program while it runs). vmstat's
   categories must add up (used = private + servers + file cache +
   programs + shared + zero page + in flight; bookkeeping = fixed + shadow
   tables + heap + page lists + other; free + used + bookkeeping = total) with
   nothing unnamed at rest (no frame in flight, no bookkeeping outside the
   named kinds, none lost); the shadow tables ps charges to each process add
   up to vmstat's; and after directories and files are made and removed and
   programs run, every category is back where it was after the first round
   (programs may only grow, by the frames that are no longer free). */
#include "test.h"

/* The counters once nothing waits to be written; every sum checked. */
static void census(struct vmstat *st)
{
    sync();
    static struct proc_info pi[64];
    long np = ps(pi, 64), shadow = 0;
    CHECK(np > 0 && np <= 64);
    for (long i = 0; i < np; i++)
        shadow += (long)pi[i].shadow;
    CHECK_EQ(vmstat(st), 0);
    CHECK_EQ(st->frames_total, st->frames_free + st->frames_used + st->meta_total);
    CHECK_EQ(st->frames_used, st->used_private + st->used_fs + st->used_cache + st->used_image +
             st->used_object + st->used_zero + st->used_io + st->used_swap);
    CHECK_EQ(st->meta_total, st->meta_fixed + st->meta_shadow + st->meta_heap + st->meta_tables + st->meta_other);
    CHECK_EQ(st->frames_lost, 0);
    CHECK_EQ(st->used_io, 0);      /* nothing dirty or under I/O after sync */
    CHECK_EQ(st->used_swap, 0);    /* nothing on its way to or from swap, no swapped page shared */
    CHECK_EQ(st->meta_other, 0);   /* no pipe or directory is open */
    CHECK_EQ(st->used_zero, 1);
    CHECK(st->used_fs > 0 && st->meta_fixed > 0 && st->meta_shadow > 0);
    CHECK_EQ(shadow, st->meta_shadow);
}

static void show(const char *what, const struct vmstat *s)
{
    printf("t_frameacct: %s: free %lu used %lu (private %lu fs %lu cache %lu programs %lu shared %lu zero %lu io %lu) "
           "bookkeeping %lu (fixed %lu shadow %lu heap %lu lists %lu other %lu) lost %lu\n", what,
           s->frames_free, s->frames_used, s->used_private, s->used_fs, s->used_cache, s->used_image, s->used_object,
           s->used_zero, s->used_io, s->meta_total, s->meta_fixed, s->meta_shadow, s->meta_heap, s->meta_tables,
           s->meta_other, s->frames_lost);
}

/* a and b count the same frames in every category, but for programs: the
   file server's code may page in more of itself on a path it had not taken
   (kept while it runs), and then the free frames are that many fewer. */
static bool same(const struct vmstat *a, const struct vmstat *b)
{
    return a->used_private == b->used_private && a->used_fs == b->used_fs && a->used_cache == b->used_cache &&
           a->used_object == b->used_object && a->meta_shadow == b->meta_shadow && a->meta_heap == b->meta_heap &&
           a->meta_tables == b->meta_tables && a->meta_total == b->meta_total && a->used_image <= b->used_image &&
           a->frames_free + a->used_image == b->frames_free + b->used_image;
}

static char data[3 * 4096 + 100];

/* Make and remove directories (flat and nested) and files, run programs. */
static void workload(void)
{
    char p[64];
    CHECK_EQ(mkdir("/fa", 0755), 0);
    for (int i = 0; i < 120; i++) {
        snprintf(p, sizeof p, "/fa/directory-number-%d", i);
        CHECK_EQ(mkdir(p, 0755), 0);
    }
    for (int i = 0; i < 120; i++) {
        snprintf(p, sizeof p, "/fa/directory-number-%d", i);
        CHECK_EQ(rmdir(p), 0);
    }
    char deep[128] = "/fa";
    size_t len = 3;
    for (int i = 0; i < 12; i++, len += 2) {
        memcpy(deep + len, "/d", 3);
        CHECK_EQ(mkdir(deep, 0755), 0);
    }
    for (int i = 0; i < 12; i++) {
        CHECK_EQ(rmdir(deep), 0);
        len -= 2;
        deep[len] = 0;
    }
    for (int i = 0; i < 20; i++) {
        snprintf(p, sizeof p, "/fa/file-%d", i);
        int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC);
        CHECK(fd >= 0);
        CHECK(write_all(fd, data, (size_t)(i % 4) * 4096 + 100));
        close(fd);
    }
    for (int i = 0; i < 20; i++) {
        snprintf(p, sizeof p, "/fa/file-%d", i);
        CHECK_EQ(unlink(p), 0);
    }
    char *mk[] = { "/bin/mkdir", "/fa/x", NULL }, *rm[] = { "/bin/rmdir", "/fa/x", NULL };
    char *sh[] = { "/bin/sh", "-c", "mkdir /fa/y; mkdir /fa/y/z; echo hi > /fa/y/f; cat /fa/y/f | wc > /fa/y/g;"
                   " rm /fa/y/f; rm /fa/y/g; rmdir /fa/y/z; rmdir /fa/y", NULL };
    char *hello[] = { "/bin/hello", NULL };
    run_argv(mk);
    run_argv(rm);
    run_argv(sh);
    run_argv(hello);
    CHECK_EQ(rmdir("/fa"), 0);
}

int main(void)
{
    touch_own_image(); /* its pages from the disk are resident from now on */
    struct vmstat s0, s1, s2;
    census(&s0);
    show("at the start", &s0);
    workload(); /* first use: the test's own data pages, caches warm */
    census(&s1);
    show("after one round", &s1);
    for (int k = 0; k < 3; k++) {
        workload();
        census(&s2);
        if (!same(&s1, &s2)) {
            show("after another round", &s2);
            CHECK(same(&s1, &s2));
        }
    }
    show("after three more", &s2);
    return 0;
}
