/* Floating point for user threads, switched lazily. A thread starts with FS
   Off: its first FP instruction traps (illegal instruction) and fp_first_use
   turns FS on with every f register and fcsr zero (Initial). The hart's f
   registers belong to fp_owner. Invariant in the kernel: when sstatus.FS is on,
   it is fp_owner's FS and the registers hold fp_owner's state (fp_owner NULL:
   it died, the registers are garbage); when FS is Off, fp_owner's state is saved
   in fp_owner->fp too. So a switch away from a thread saves its registers only
   if FS says Dirty, and a switch to a thread with FS on loads its registers only
   if it is not fp_owner. Each hart has its own fp_owner; a thread that moved to
   another hart and back is loaded again (fp_hart says who loaded it last), and
   a hart that idles saves what it holds (fp_park), so a thread no hart runs
   always has its state in t->fp. t->fs is exact except while t runs with FS on, when the
   hardware may have made it Dirty (sstatus says so). */
#include "obj.h"

void fp_save(struct fpregs *f);
void fp_load(const struct fpregs *f);

static inline uint64_t fs_now(void)
{
    return (csr_read(sstatus) & SSTATUS_FS) >> FS_SHIFT;
}

static inline void fs_set(uint64_t fs)
{
    csr_clear(sstatus, SSTATUS_FS);
    csr_set(sstatus, fs << FS_SHIFT);
}

/* Load t's registers and make it the owner (sstatus.FS on for the loads). */
static void fp_take(struct thread *t)
{
    fs_set(FS_DIRTY);
    fp_load(&t->fp);
    fp_owner = t;
    t->fp_hart = this_hart();
}

/* Does this hart hold t's registers as t last left them? (t may have run on
   another hart since this one loaded them.) */
static inline bool holds(struct thread *t)
{
    return fp_owner == t && t->fp_hart == this_hart();
}

/* Set up the FP side of a return to user in t: save the owner's registers if
   they are dirty and t is another thread, load t's if it uses FP and the hart
   does not hold them, and set sstatus.FS to t's. */
void fp_install(struct thread *t)
{
    uint64_t live = fs_now();
    if (live != FS_OFF && holds(t))
        return; /* t's own registers and FS are live */
    if (live == FS_DIRTY && fp_owner) {
        fp_save(&fp_owner->fp);
        fp_owner->fs = FS_CLEAN;
    }
    if (t->fs != FS_OFF && !holds(t))
        fp_take(t);
    fs_set(t->fs);
}

/* An illegal instruction of t (the thread that trapped). Returns true when its
   FS was Off: FS is now Initial (every f register and fcsr zero, loaded into the
   hart) and the instruction can run again; false when FP was already on, so the
   instruction is illegal in itself. */
bool fp_first_use(struct thread *t)
{
    if (t->fs != FS_OFF)
        return false;
    memset(&t->fp, 0, sizeof t->fp);
    fp_take(t); /* FS Off: the owner's registers were saved when it was left */
    t->fs = FS_INITIAL;
    fs_set(FS_INITIAL);
    return true;
}

/* Make t->fp and t->fs exact (thread_clone reads them): save the registers if
   t owns them and they are dirty. */
void fp_sync(struct thread *t)
{
    if (fp_owner == t && fs_now() == FS_DIRTY) {
        fp_save(&t->fp);
        t->fs = FS_CLEAN;
        fs_set(FS_CLEAN);
    }
}

/* The hart goes idle: the registers of the thread that ran last are saved if
   dirty, so that any hart can run it next (t->fp is exact for every thread that
   no hart runs), and FS is off. */
void fp_park(void)
{
    if (fs_now() == FS_DIRTY && fp_owner) {
        fp_save(&fp_owner->fp);
        fp_owner->fs = FS_CLEAN;
    }
    csr_clear(sstatus, SSTATUS_FS);
}

/* t dies: no hart's registers are its now (other harts hold them only with FS
   off: t ran there and was saved when it left). */
void fp_forget(struct thread *t)
{
    if (fp_owner == t)
        csr_clear(sstatus, SSTATUS_FS); /* FS on was t's; nobody's state is live */
    for (uint32_t i = 0; i < nharts; i++)
        if (harts[i].fpown == t)
            harts[i].fpown = NULL;
}
