/* The swap disk, through the swap driver the pager starts (servers/swap).
   Jobs wait in a queue of SWAP_JOBS; the driver pulls them one at a time with
   PG_SWAP_NEXT and hands in the result with its next pull, and each job's
   done function then runs in the pager's loop. The pager never waits for the
   disk: a full queue is -EAGAIN for whoever asked. */
#include "pager.h"

#define SWAP_JOBS 64

struct swap_job {
    bool write;
    uint64_t slot, pa;
    void (*done)(void *arg, long result);
    void *arg;
};

static struct swap_job queue[SWAP_JOBS];
static unsigned head, count;     /* queue[head] is the job in flight when `inflight` */
static bool inflight;
static long driver_pid = -1;     /* the swap driver the pager started, -1 if none */
static long driver_slot;         /* its saved reply cap while it waits for a job, else 0 */
static uint64_t nslots;          /* 0 until the driver is ready, and after it is gone */

static void self_check(void);
static bool checked;             /* the start-up check is over (or there is no driver) */
static void (*on_settled)(void);

static void settle(void)
{
    checked = true;
    if (on_settled)
        on_settled();
}

/* Whether swap is ready or known to be absent. */
bool swap_settled(void)
{
    return checked || driver_pid < 0;
}

/* Call fn when swap settles (now if it has). */
void swap_on_settled(void (*fn)(void))
{
    on_settled = fn;
    if (swap_settled())
        fn();
}

/* Give the job at the head of the queue to the driver, through the reply
   cap `slot` (0: as the answer of the request being handled). */
static void send_job(long slot, struct msg *reply)
{
    struct swap_job *j = &queue[head];
    struct msg m = { .label = j->write ? MSG_SWJ_WRITE : MSG_SWJ_READ, .w = { (long)j->slot, (long)j->pa } };
    inflight = true;
    if (slot)
        sys_send(slot, &m);
    else
        *reply = m;
}

/* The job in flight is over with `result` (the driver spent `instr`
   instructions on it): take it off and tell its owner. */
static void finish(long result, uint64_t instr)
{
    struct swap_job j = queue[head];
    if (j.write)
        cnt.swapdrv_write_instr += instr;
    else
        cnt.swapdrv_read_instr += instr;
    head = (head + 1) % SWAP_JOBS;
    count--;
    inflight = false;
    j.done(j.arg, result);
}

static struct { uint64_t out, in; } check; /* two frames the swap path holds from boot on */

/* The swap driver the pager started. The two frames of the start-up check
   are taken now, before any task runs, and kept: frames that came and went
   while the first tasks ran would upset their counts. */
void swap_set_driver(long pid)
{
    driver_pid = pid;
    if (!check.out)
        check.out = frame_alloc();
    if (!check.in)
        check.in = frame_alloc();
}

void swap_frames(uint64_t pa[2])
{
    pa[0] = check.out;
    pa[1] = check.in;
}

uint64_t swap_slots(void)
{
    return nslots;
}

unsigned swap_queue_room(void)
{
    return nslots ? SWAP_JOBS - count : 0;
}

/* Queue a transfer of one page between swap slot `slot` and the frame at pa
   (write: frame to slot); done(arg, 0 or -errno) runs when it is over. The
   frame must stay put until then. Returns 0, -ENODEV (no swap), -EINVAL (no
   such slot) or -EAGAIN (the queue is full: try again after a done). */
int swap_io(bool write, uint64_t slot, uint64_t pa, void (*done)(void *arg, long result), void *arg)
{
    if (!nslots)
        return -ENODEV;
    if (slot >= nslots)
        return -EINVAL;
    if (count == SWAP_JOBS)
        return -EAGAIN;
    queue[(head + count) % SWAP_JOBS] = (struct swap_job){ write, slot, pa, done, arg };
    count++;
    if (!inflight && driver_slot) {
        long s = driver_slot;
        driver_slot = 0;
        send_job(s, NULL);
    }
    return 0;
}

/* PG_SWAP_NEXT from the swap driver (the request table lets only it here):
   its first says how many slots the disk has, each later one is the result
   of the job in flight. Answers with the next job, or keeps the driver
   waiting until there is one. */
bool swap_next(struct req *rq)
{
    struct msg *m = rq->m, *reply = rq->reply;
    if (inflight) {
        finish(m->w[0], (uint64_t)m->w[1]);
    } else if (!nslots) {
        if (m->w[0] <= 0) {
            printf("pager: no swap (%s)\n", strerror(m->w[0] ? m->w[0] : -EINVAL));
            reply->w[0] = m->w[0];
            settle();
            return true; /* the driver exits */
        }
        nslots = (uint64_t)m->w[0];
        self_check();
    }
    if (count && !inflight) {
        send_job(0, reply);
        return true;
    }
    long slot = req_take_reply(rq);
    if (slot < 0) {
        reply->w[0] = slot;
        return true;
    }
    driver_slot = slot;
    return false;
}

/* p is over: when it is the swap driver, every job fails with -EIO (its
   device was reset already, so nothing more reaches the frames) and there is
   no swap from now on. */
void swap_proc_gone(struct proc *p)
{
    if (p->pid != driver_pid)
        return;
    if (nslots)
        printf("pager: the swap driver is gone; no swap from now on\n");
    driver_pid = -1;
    if (driver_slot)
        sys_cap_delete(driver_slot);
    driver_slot = 0;
    nslots = 0; /* no new slots (slot_new asks swap_slots); entries keep theirs until they go */
    if (!checked)
        settle();
    inflight = count > 0;
    while (count)
        finish(-EIO, 0);
    inflight = false;
}

bool swap_is_driver(struct proc *p)
{
    return p->pid == driver_pid;
}

/* ---- the start-up check: one page out to the last slot and back ---------- */

static void check_read(void *arg, long result)
{
    (void)arg;
    bool same = result == 0 && check.out && check.in && memcmp(frame_ptr(check.out), frame_ptr(check.in), PAGE) == 0;
    printf("pager: swap: %lu slots (%lu MiB), %s\n", nslots, nslots / 256,
           same ? "checked" : result < 0 ? "CHECK FAILED (read)" : "CHECK FAILED (data)");
    if (!same)
        nslots = 0;
    else
        swapcache_setup((uint32_t)nslots);
    settle();
}

static void check_written(void *arg, long result)
{
    (void)arg;
    if (result < 0 || swap_io(false, nslots - 1, check.in, check_read, NULL) < 0)
        check_read(NULL, result < 0 ? result : -EIO);
}

/* Write a page of a pattern to the last slot and read it back into the
   other frame: the swap path works end to end before anyone relies on it.
   Without the two frames there is no check (and no swap). */
static void self_check(void)
{
    if (!check.out || !check.in) {
        check_read(NULL, -ENOMEM);
        return;
    }
    uint64_t *w = frame_ptr(check.out);
    memset(frame_ptr(check.in), 0, PAGE);
    for (unsigned i = 0; i < PAGE / 8; i++)
        w[i] = (nslots << 32) ^ (i * 0x9e3779b97f4a7c15UL);
    if (swap_io(true, nslots - 1, check.out, check_written, NULL) < 0)
        check_read(NULL, -EIO);
}
