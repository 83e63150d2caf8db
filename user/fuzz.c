/* fuzz: a fuzzer of the kernel, the pager and the file server (`scons fuzz`,
   and a short run in `scons test`; docs/design.md, "The fuzzer").

   Supervisor (the first program: init=fuzz). Reads /bin/fuzzcfg ("SEED OPS
   FIRST UNSAFE"), then runs batches. A batch forks NCHILD children; each one makes
   OPB random operations: raw system calls (every number of abi.def and
   others, random cap slots), pager requests (PG_* labels and random ones,
   random words), file, pipe, memory, fork and exec sequences, with pointers
   from a fixed set of bad and tricky ones (0, kernel, above Sv39, unaligned,
   read-only text, copy-on-write, the stack's guard page, unmapped) and
   lengths 0, huge and -1. Children are the supervisor's forks and drop the
   rights they inherit from it (it is init); the kill rule (the target itself
   or its descendants) keeps them from killing it. After each
   batch the supervisor checks that its text, a copy-on-write region the
   children share and a secret page are unchanged, that the system still
   forks, exits and serves files, and that every frame came back. A finding
   prints "@@FUZZ FINDING seed=S batch=B child=I op=N: what" and the
   child's last operations; each batch is one @@TEST of tools/runtests.py, so a hang or a
   dead guest is caught there too and a reboot resumes at the next batch.

   Every process's random numbers derive from SEED, the batch and the
   child's index: a seed (and FIRST, the batch to start at) reproduces the
   operations. Three kinds failed before issue 8 fixed them; they are in by
   default (the fourth number of /bin/fuzzcfg, UNSAFE=mask of scons fuzz, 13 =
   all of them, 0 leaves them out):
     1  a negative label: the pager handles its previous message again (other
        tasks' requests run again: their text lost its exec right, seed 5);
     4  PG_SHUTDOWN: any task powers the machine off;
     8  spawn/exec of programs named like drivers (fs, t_irq): they get the
        device caps (not seen to fail, but a second driver could reset the
        disk under the file server).
   A forged NOTIFY label (bit 2 once) is in: the pager answers it with EPERM. */
#include "sys.h"
#include "test.h"

#define NCHILD 4                    /* fuzz children per batch */
#define OPB 500                     /* operations of each child per batch */
#define FORK_OPS 40                 /* operations of a fork of a child */
#define LEAF_OPS 40                 /* operations of a fuzz leaf started by exec */
#define MAX_TOUCH 160               /* touches of memory per process: page tables come from a shared pool */
#define HANG_SEC 60                 /* a child tree that makes no progress this long hangs */
#define COW_PAGES 8
#define SCRATCH_PAGES 16
#define BOX_VA 0x3000000000UL       /* the children's mailboxes, one page each */
#define ARENA 0x2000000000UL        /* MAP_FIXED area of child i: ARENA + i * ARENA_SIZE */
#define ARENA_SIZE 0x40000000UL
#define KBASE 0xffffffc000000000UL
#define PAGE 4096UL
#define FINDING 0xf1d1f1d1L
#define NFDS ((int)FD_MAX) /* the pager's descriptors a process (abi.def; a power of two) */
#define NSLOT 64
#define NREG 24
#define NKIDS 8
#define MAXPROC 128
#define HIST 16
#define FRAME_SLACK 8               /* frames file-system caches may keep (directory blocks: issue 8) */
#define U_NEGATIVE 1                /* the op kinds left out (see above) */
#define U_SHUTDOWN 4
#define U_DRIVERS 8

/* ---- what a child's processes report to the supervisor (one page each) ---- */

struct oplog { long pid, op, kind, mortal, a[7]; };
struct box {
    long beat;                      /* operations done in the child's tree */
    struct oplog self, fork, sac;   /* the child, its fork, its sacrificial fork */
    long finding;                   /* FINDING: msg says what */
    char msg[256];
    struct oplog hist[HIST];        /* the child's last operations (op % HIST) */
};

enum { K_SYSCALL, K_IPC, K_PAGER, K_TOUCH, K_MMAP, K_FILE, K_PIPE, K_FORK, K_EXEC, K_MUSTFAULT, K_SLEEP, NKIND };
static const char *const kname[NKIND] = { "syscall", "ipc", "pager", "touch", "mem", "file", "pipe", "fork",
                                          "exec", "mustfault", "sleep" };
static const unsigned kweight[NKIND] = { 14, 8, 30, 12, 12, 12, 5, 2, 2, 2, 1 };

/* ---- the random numbers ---- */

static uint64_t rs;

static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15UL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9UL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebUL;
    return x ^ (x >> 31);
}

static uint64_t rnd(void)
{
    rs ^= rs >> 12;
    rs ^= rs << 25;
    rs ^= rs >> 27;
    return rs * 2685821657736338717UL;
}

static uint64_t below(uint64_t n) { return n ? rnd() % n : 0; }
static bool chance(unsigned pct) { return below(100) < pct; }

/* ---- a fuzzing process's state (each fork has its own copy) ---- */

enum { SL_EMPTY, SL_PAGER, SL_EP, SL_NTFN, SL_OTHER };
enum { FD_NONE, FD_FILE, FD_PIPE };

static struct {
    long seed, batch, idx, depth;   /* depth 0: a child; 1: its fork; 2: a leaf (no forks) */
    struct box *box;
    struct oplog *log;
    long ops, budget, touched;
    uint64_t scratch, edge, cow, secret_va, text_lo, text_hi;
    char slot[NSLOT];
    bool bound;                     /* a notification is bound to the thread */
    bool timer;                     /* a timer was set: no binding then (it could end a call) */
    char fdk[NFDS];
    signed char fdp[NFDS];          /* pipe id of a pipe fd */
    struct { long lo, hi; } pipe[NFDS]; /* bytes surely / at most in the pipe */
    struct { uint64_t a, len; int prot; bool known, file; } reg[NREG];
    long kids[NKIDS];
    long gpid;                      /* the live fork of a child (0: none) */
    bool gkilled;
} S;

static struct box leafbox;
static long unsafe;                 /* U_*: op kinds put back */          /* a leaf's log goes nowhere */

static void finding(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void finding(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(S.box->msg, sizeof S.box->msg, fmt, ap);
    va_end(ap);
    S.box->finding = FINDING;
}

/* Note the operation about to be done (and that one more was done). */
static void logop(int kind, int mortal, long nr, const long *w)
{
    struct oplog *l = S.log;
    l->op = S.ops;
    l->kind = kind;
    l->mortal = mortal;
    l->a[0] = nr;
    for (int i = 0; i < 6; i++)
        l->a[i + 1] = w ? w[i] : 0;
    if (l == &S.box->self)
        S.box->hist[S.ops % HIST] = *l;
    __atomic_fetch_add(&S.box->beat, 1, __ATOMIC_RELAXED);
}

/* ---- pointers, lengths, words ---- */

static uint64_t reg_addr(void)
{
    long i = (long)below(NREG);
    if (!S.reg[i].len)
        return S.scratch + below(PAGE);
    return S.reg[i].a + below(S.reg[i].len + PAGE);
}

/* A pointer from the fuzzer's set; the pager may write where it points. */
static uint64_t ptr_any(void)
{
    static const uint64_t high[] = { 0x4000000000UL, 0x4000001000UL, 1UL << 63, ~0UL, ~0UL - 7, 0x8000000000UL };
    switch (below(12)) {
    case 0: return 0;
    case 1: return KBASE + below(1 << 16) * PAGE + below(8);
    case 2: return high[below(6)];
    case 3: return S.scratch + 1 + below(7);
    case 4: return S.text_lo + below(S.text_hi - S.text_lo);
    case 5: return S.cow + below(COW_PAGES * PAGE);
    case 6: return USER_STACK_TOP - USER_STACK_SIZE - PAGE + below(PAGE);
    case 7: return below(2) ? 0x5000 : S.secret_va;
    case 8: return S.scratch + below(SCRATCH_PAGES * PAGE);
    case 9: return S.edge + PAGE - below(16);
    case 10: return reg_addr();
    default: return rnd();
    }
}

/* A pointer no valid string lives at: for paths of calls that change files. */
static uint64_t ptr_bad(void)
{
    static const uint64_t bad[] = { 0, KBASE, 0x4000000000UL, 1UL << 63, ~0UL, 0x5000,
                                    USER_STACK_TOP - USER_STACK_SIZE - 8 };
    return bad[below(sizeof bad / sizeof bad[0])];
}

static uint64_t len_any(void)
{
    switch (below(9)) {
    case 0: return 0;
    case 1: return 1;
    case 2: return below(64);
    case 3: return PAGE;
    case 4: return PAGE + 1;
    case 5: return below(3 * PAGE);
    case 6: return 1UL << 40;
    case 7: return ~0UL;
    default: return rnd();
    }
}

static long word(void)
{
    switch (below(8)) {
    case 0: return (long)below(64);
    case 1: return -1 - (long)below(4);
    case 2: return (long)ptr_any();
    case 3: return (long)len_any();
    case 4: return (long)rnd();
    case 5: return 1L << below(64);
    case 6: return getpid() + (long)below(9) - 4;
    default: return (long)below(4096);
    }
}

/* A descriptor number that is not a pipe (reads and writes never block on it). */
static long fd_calm(void)
{
    static const long odd[] = { -1, NFDS, 1000, 1L << 40, -(1L << 62) };
    for (int tries = 0; tries < 8; tries++) {
        long fd = (long)below(NFDS + 2) - 1;
        if (fd < 0 || fd >= NFDS)
            return chance(50) ? fd : odd[below(5)];
        if (S.fdk[fd] != FD_PIPE)
            return fd;
    }
    return -1;
}

/* Any descriptor number, pipes included: for calls that never block. */
static long fd_any(void)
{
    return chance(70) ? (long)below(NFDS) : fd_calm();
}

/* ---- the paths ---- */

static const char *const wpaths[] = { "/fz/a", "/fz/b", "/fz/d", "/fz/d/x", "/fz/d/y", "/fz/e", "/fz/c" };
static const char *const rpaths[] = { "/", "/bin", "/bin/true", "/bin/fuzz", "bin", ".", "..", "/nosuch", "",
                                      "////", "/fz/a/b", "/bin/true/x", "true",
                                      "/fz/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };

/* Put s in the scratch area (sometimes unterminated at the edge of a page
   with nothing mapped above) and return where. */
static uint64_t put_str(const char *s)
{
    size_t n = strlen(s);
    if (chance(5) && n > 0) {
        char *p = (char *)(S.edge + PAGE - n);
        memcpy(p, s, n); /* no terminator: the next byte is unmapped */
        return (uint64_t)p;
    }
    char *p = (char *)(S.scratch + (SCRATCH_PAGES - 1) * PAGE + below(2048));
    memcpy(p, s, n + 1);
    return (uint64_t)p;
}

/* A path for a call that may change what it names: in /fz, or a bad pointer. */
static uint64_t wpath(void)
{
    if (chance(10))
        return ptr_bad();
    return put_str(wpaths[below(sizeof wpaths / sizeof wpaths[0])]);
}

/* A path for a call that only looks. */
static uint64_t rpath(void)
{
    if (chance(10))
        return ptr_any();
    if (chance(40))
        return wpath();
    return put_str(rpaths[below(sizeof rpaths / sizeof rpaths[0])]);
}

/* ---- bookkeeping of what the process holds ---- */

static void reg_add(uint64_t a, uint64_t len, int prot, bool file)
{
    long i = (long)below(NREG);
    for (long k = 0; k < NREG; k++)
        if (!S.reg[k].len) {
            i = k;
            break;
        }
    S.reg[i].a = a;
    S.reg[i].len = (len + PAGE - 1) & ~(PAGE - 1);
    S.reg[i].prot = prot;
    S.reg[i].known = true;
    S.reg[i].file = file;
}

/* A range [a, a+len) changed in a way not followed here: regions in it are unknown. */
static void reg_forget(uint64_t a, uint64_t len)
{
    for (long k = 0; k < NREG; k++)
        if (S.reg[k].len && a < S.reg[k].a + S.reg[k].len && (a + len > S.reg[k].a || a + len < a))
            S.reg[k].known = false;
}

static void fd_set(long fd, int kind, int pipe)
{
    if (fd >= 0 && fd < NFDS) {
        S.fdk[fd] = (char)kind;
        S.fdp[fd] = (signed char)pipe;
    }
}

/* A pipe id no descriptor uses (there are fewer pipes than descriptors). */
static int pipe_id(void)
{
    for (int id = 0; id < NFDS; id++) {
        bool used = false;
        for (int fd = 0; fd < NFDS; fd++)
            used |= S.fdk[fd] == FD_PIPE && S.fdp[fd] == id;
        if (!used)
            return id;
    }
    return 0;
}

static int fd_kind(long fd) { return fd >= 0 && fd < NFDS ? S.fdk[fd] : FD_NONE; }

static void kid_add(long pid)
{
    for (int i = 0; i < NKIDS; i++)
        if (!S.kids[i]) {
            S.kids[i] = pid;
            return;
        }
    kill(pid, SIGKILL); /* no room to follow it: stop it now */
    wait_how(pid, NULL, NULL);
}

static bool kids_full(void)
{
    for (int i = 0; i < NKIDS; i++)
        if (!S.kids[i])
            return false;
    return true;
}

/* Spawned programs inherit the descriptors: none may be a pipe at 0..2. */
static bool std_calm(void)
{
    return S.fdk[0] != FD_PIPE && S.fdk[1] != FD_PIPE && S.fdk[2] != FD_PIPE;
}

/* ---- raw system calls ---- */

/* ecall with number nr, t0 = cap and a0..a6 = w[0..6]; the registers come back in w. */
static long ecall(long nr, long cap, long *w)
{
    register long t0 asm("t0") = cap;
    register long a0 asm("a0") = w[0];
    register long a1 asm("a1") = w[1];
    register long a2 asm("a2") = w[2];
    register long a3 asm("a3") = w[3];
    register long a4 asm("a4") = w[4];
    register long a5 asm("a5") = w[5];
    register long a6 asm("a6") = w[6];
    register long a7 asm("a7") = nr;
    asm volatile("ecall" : "+r"(t0), "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3), "+r"(a4), "+r"(a5), "+r"(a6)
                 : "r"(a7) : "memory");
    w[0] = a0; w[1] = a1; w[2] = a2; w[3] = a3; w[4] = a4; w[5] = a5; w[6] = a6;
    return a0;
}

static long any_slot(void)
{
    switch (below(6)) {
    case 0: return -1 - (long)below(3);
    case 1: return NSLOT + (long)below(4);
    case 2: return (long)rnd();
    default: return (long)below(NSLOT);
    }
}

static int slot_kind(long s) { return s >= 0 && s < NSLOT ? S.slot[s] : SL_EMPTY; }

static void fork_child(long budget);
static void do_pager_msg(long cap, long nr, long *w);

/* A kernel call from abi.def (or no call at all) with random arguments,
   skipping what would block this process for good. */
static void op_syscall(void)
{
    long w[7];
    for (int i = 0; i < 7; i++)
        w[i] = word();
    long nr = chance(90) ? (long)below(35) : (long)rnd();
    long cap = any_slot();
    switch (nr) {
    case SYS_DEBUG_WRITE: /* the console is the runner's: only bad buffers or nothing */
        if (chance(50))
            w[0] = (long)ptr_bad();
        else
            w[1] = 0;
        break;
    case SYS_SEND: case SYS_CALL: case SYS_NBSEND: case SYS_RECV: case SYS_REPLYRECV: case SYS_REPLY:
        do_pager_msg(cap, nr, w);
        return;
    case SYS_NOTIFY: case SYS_TIMER_NOTIFY:
        if (S.bound)
            return;
        S.timer |= nr == SYS_TIMER_NOTIFY;
        break;
    case SYS_WAIT: /* blocks unless bits are set: notify first */
        if (S.bound)
            return;
        if (slot_kind(w[0]) == SL_NTFN) {
            long n[7] = { w[0] };
            logop(K_SYSCALL, 0, SYS_NOTIFY, n);
            ecall(SYS_NOTIFY, 0, n);
        } else if (slot_kind(w[0]) != SL_EMPTY) {
            return;
        }
        break;
    case SYS_CAP_DELETE: /* exit needs the pager slot */
        if (w[0] == PAGER_SLOT)
            return;
        break;
    case SYS_NTFN_BIND:
        if (S.timer || (w[0] != 0 && slot_kind(w[0]) != SL_NTFN && slot_kind(w[0]) != SL_EMPTY))
            return;
        break;
    }
    logop(K_SYSCALL, 0, nr, w);
    long src = w[1], src_as = w[0], dst_as = w[2], arg0 = w[0];
    long r = ecall(nr, cap, w);
    if (r < 0)
        return;
    if ((nr == SYS_EP_CREATE || nr == SYS_NTFN_CREATE) && r < NSLOT)
        S.slot[r] = nr == SYS_EP_CREATE ? SL_EP : SL_NTFN;
    else if (nr == SYS_CAP_COPY && src_as == -1 && dst_as == -1 && r < NSLOT)
        S.slot[r] = (char)slot_kind(src);
    else if (nr == SYS_CAP_COPY && r < NSLOT && r > 0)
        S.slot[r] = SL_OTHER;
    else if (nr == SYS_CAP_DELETE && arg0 >= 0 && arg0 < NSLOT)
        S.slot[arg0] = SL_EMPTY;
    else if (nr == SYS_NTFN_BIND)
        S.bound = arg0 != 0;
}

/* ---- pager requests ---- */

static const long labels[] = {
    MSG_PG_EXIT, MSG_PG_SPAWN, MSG_PG_WAIT, MSG_PG_KILL, MSG_PG_ANON, MSG_PG_STAT, MSG_PG_GETPID, MSG_PG_DEVICE,
    MSG_PG_FORK, MSG_PG_EXEC, MSG_PG_SBRK, MSG_PG_MMAP, MSG_PG_MUNMAP, MSG_PG_MPROTECT, MSG_PG_READ,
    MSG_PG_WRITE, MSG_PG_CLOSE, MSG_PG_PIPE, MSG_PG_DUP, MSG_PG_DUP2, MSG_PG_GETPPID, MSG_PG_VMSTAT,
    MSG_PG_PMAP, MSG_PG_PS, MSG_PG_DMA, MSG_PG_OPEN, MSG_PG_FSTAT, MSG_PG_FS_NEXT, MSG_PG_UNLINK,
    MSG_PG_MKDIR, MSG_PG_RMDIR, MSG_PG_LSEEK, MSG_PG_READDIR, MSG_PG_CHDIR, MSG_PG_GETCWD, MSG_PG_LINK,
    MSG_PG_DROPMAPS, MSG_PG_SYNC, MSG_PG_MSYNC, MSG_FAULT, MSG_FAULT_MAP, MSG_FAULT_KILL,
    MSG_PG_FTRUNCATE, MSG_PG_FSYNC, MSG_PG_RENAME,
    MSG_PG_SIGACTION, MSG_PG_SIGMASK, MSG_PG_SIGRETURN, MSG_PG_SETPGID, MSG_PG_GETPGID, MSG_PG_TCPGRP, MSG_PG_KILLPG,
    MSG_FSJ_READY, MSG_FSJ_LOOKUP, MSG_FSJ_WRITEPAGE, MSG_NOTIFY, MSG_PG_SHUTDOWN, -1, -MSG_PG_KILL,
};

/* Programs spawn may start: they end by themselves and read nothing. */
static const char *const spawnable[] = { "hello", "true", "false", "echo", "nosuch", "", "fuzzfuzzfuzzfuzz",
                                         "fs", "t_irq" }; /* the last two: U_DRIVERS */

/* A range for munmap/mprotect that can only hurt this process's own regions;
   *mortal set when it may take away what the process runs on. */
static void some_range(long *a, long *len, int *mortal)
{
    long i = (long)below(NREG);
    switch (below(6)) {
    case 0: case 1:
        if (S.reg[i].len) {
            uint64_t off = below(S.reg[i].len / PAGE + 1) * PAGE;
            *a = (long)(S.reg[i].a + off);
            uint64_t n = below(4) * PAGE + below(2);
            *len = (long)(chance(50) || n > S.reg[i].len - off ? S.reg[i].len - off : n); /* no further */
            return;
        }
        /* fall through */
    case 2:
        *a = (long)(ARENA + (uint64_t)S.idx * ARENA_SIZE + below(ARENA_SIZE / PAGE) * PAGE);
        *len = (long)(below(64) * PAGE);
        return;
    case 3:
        *a = (long)(ARENA + (uint64_t)S.idx * ARENA_SIZE + 1 + below(PAGE - 1));
        *len = (long)len_any();
        return;
    case 4:
        *a = (long)(chance(50) ? KBASE : 0x4000000000UL - PAGE * below(2));
        *len = (long)len_any();
        return;
    default: /* from 0: all of the process when long enough */
        *a = 0;
        *len = chance(80) ? (long)len_any() : 1L << 38;
        if ((uint64_t)*len > 0x10000)
            *mortal = 1;
        return;
    }
}

/* Make w a request for label that can only touch this process's own
   things and cannot block it for good. Returns the label to send (it may
   have changed), *mortal set when the request may end the process. */
static long sane_request(long label, long *w, bool call, int *mortal)
{
    switch (label) {
    case MSG_PG_EXIT:
        if (S.depth == 0 || !call)
            return MSG_PG_GETPID;
        *mortal = 1;
        return label;
    case MSG_PG_SPAWN: {
        if (kids_full() || !std_calm())
            return MSG_PG_GETPID;
        memset(w, 0, 32);
        strncpy((char *)w, spawnable[below(sizeof spawnable / sizeof spawnable[0] - (unsafe & U_DRIVERS ? 0 : 2))], 32);
        if (chance(5))
            memset(w, 'x', 32); /* no terminator */
        return label;
    }
    case MSG_PG_WAIT:
        if (chance(50))
            w[0] = -1;
        return label;
    case MSG_PG_KILL:
        if (w[0] == getpid())
            *mortal = 1;
        if (w[0] == S.gpid)
            S.gkilled = true;
        return label;
    case MSG_PG_FORK: case MSG_PG_EXEC:
        return MSG_PG_GETPID; /* fork and exec: op_fork, op_exec */
    case MSG_PG_SHUTDOWN:
        return unsafe & U_SHUTDOWN ? label : MSG_PG_GETPID;
    case MSG_PG_MMAP:
        if (w[3] & MAP_FIXED) {
            w[0] = (long)(ARENA + (uint64_t)S.idx * ARENA_SIZE + below(ARENA_SIZE / PAGE / 2) * PAGE);
            if ((uint64_t)w[1] > ARENA_SIZE / 2)
                w[1] = (long)below(ARENA_SIZE / 2);
        }
        if (chance(50))
            w[4] = fd_any();
        return label;
    case MSG_PG_MUNMAP: case MSG_PG_MPROTECT:
        some_range(&w[0], &w[1], mortal);
        return label;
    case MSG_PG_READ: case MSG_PG_WRITE:
        w[0] = fd_calm();
        return label;
    case MSG_PG_CLOSE: case MSG_PG_DUP: case MSG_PG_DUP2: case MSG_PG_PIPE: case MSG_PG_OPEN:
        if (!call)
            return MSG_PG_GETPID; /* the answer says which descriptors changed */
        if (label == MSG_PG_CLOSE || label == MSG_PG_DUP || label == MSG_PG_DUP2)
            w[0] = fd_any();
        if (label == MSG_PG_DUP2)
            w[1] = chance(80) ? (long)below(NFDS) : w[1];
        if (label == MSG_PG_OPEN) {
            w[1] = (long)(below(4) | (chance(30) ? O_CREAT : 0) | (chance(10) ? O_EXCL : 0) |
                          (chance(20) ? O_TRUNC : 0) | (chance(20) ? O_APPEND : 0) | (chance(5) ? rnd() : 0));
            w[0] = (long)((w[1] & (O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND)) ? wpath() : rpath());
        }
        return label;
    case MSG_PG_UNLINK: case MSG_PG_MKDIR: case MSG_PG_RMDIR:
        w[0] = (long)wpath();
        return label;
    case MSG_PG_LINK:
        w[0] = (long)wpath();
        w[1] = (long)wpath();
        return label;
    case MSG_PG_CHDIR:
        w[0] = (long)rpath();
        return label;
    case MSG_PG_RENAME:
        w[0] = (long)wpath();
        w[1] = (long)wpath();
        return label;
    case MSG_PG_FTRUNCATE:
        w[0] = fd_any();
        if (chance(80))
            w[1] = (long)below(5 * PAGE);
        return label;
    case MSG_PG_FSYNC:
        w[0] = fd_any();
        return label;
    case MSG_PG_SIGACTION: /* never a handler: a signal would jump to a random address */
        w[1] = (long)below(2) == 0 ? SIGACT_DEFAULT : SIGACT_IGNORE;
        return label;
    case MSG_PG_SIGRETURN: /* only frames it cannot read: a good one sets every register */
        w[0] = chance(50) ? (long)KBASE : (long)below(PAGE);
        return label;
    case MSG_PG_KILLPG: /* the group may be its own (and its fork's) */
        *mortal = 1;
        S.gkilled = true;
        return label;
    case MSG_PG_FSTAT: case MSG_PG_LSEEK: case MSG_PG_READDIR:
        w[0] = fd_any();
        return label;
    default:
        return label < 0 && !(unsafe & U_NEGATIVE) ? MSG_PG_GETPID : label;
    }
}

/* After a request that was answered: follow what changed. */
static void follow(long label, const long *req, const long *w, long r)
{
    if (r < 0)
        return;
    switch (label) {
    case MSG_PG_SPAWN:
        kid_add(r);
        break;
    case MSG_PG_ANON:
        reg_add((uint64_t)r, (uint64_t)req[0], PROT_READ | PROT_WRITE, false);
        break;
    case MSG_PG_MMAP:
        reg_forget((uint64_t)r, (uint64_t)req[1]);
        reg_add((uint64_t)r, (uint64_t)req[1], (int)req[2], !(req[3] & MAP_ANONYMOUS));
        break;
    case MSG_PG_MUNMAP: case MSG_PG_MPROTECT:
        reg_forget((uint64_t)req[0], (uint64_t)req[1]);
        break;
    case MSG_PG_CLOSE:
        fd_set(req[0], FD_NONE, -1);
        break;
    case MSG_PG_DUP: case MSG_PG_DUP2:
        if (r != req[0])
            fd_set(r, fd_kind(req[0]), S.fdp[req[0] & (NFDS - 1)]);
        break;
    case MSG_PG_PIPE:
        if (r >= 0 && r < NFDS && w[1] >= 0 && w[1] < NFDS) {
            int id = pipe_id();
            fd_set(r, FD_PIPE, id);
            fd_set(w[1], FD_PIPE, id);
            S.pipe[id].lo = S.pipe[id].hi = 0;
        }
        break;
    case MSG_PG_OPEN:
        fd_set(r, FD_FILE, -1);
        break;
    }
}

/* After a request whose answer did not come back (a send, or a call that
   failed): the regions it may have changed are unknown. */
static void follow_unanswered(long label, const long *req)
{
    if (label == MSG_PG_MUNMAP || label == MSG_PG_MPROTECT || (label == MSG_PG_MMAP && (req[3] & MAP_FIXED)))
        reg_forget((uint64_t)req[0], (uint64_t)req[1]);
}

/* A message on cap slot `cap` with IPC call nr (send, call, ...); when the
   slot names the pager the message is made a sane request. */
static void do_pager_msg(long cap, long nr, long *w)
{
    int k = slot_kind(cap), mortal = 0;
    bool call = nr == SYS_CALL;
    if (k == SL_EP && nr != SYS_NBSEND && nr != SYS_REPLY)
        return; /* our own endpoint: nobody else receives on it */
    if ((nr == SYS_RECV || nr == SYS_REPLYRECV) && S.bound)
        return; /* bits of the bound notification would end it: only errors are wanted */
    if (k == SL_OTHER)
        return;
    if (k == SL_PAGER)
        w[0] = sane_request(w[0], &w[1], call, &mortal);
    long req[6];
    memcpy(req, &w[1], sizeof req);
    long label = w[0];
    logop(K_IPC, mortal, nr, w);
    long r = ecall(nr, cap, w);
    if (k == SL_PAGER && call && r >= 0)
        follow(label, req, &w[1], w[1]);
    else if (k == SL_PAGER)
        follow_unanswered(label, req);
}

/* A pager request: a PG_* label or another, random words. */
static void op_pager(void)
{
    long w[7];
    for (int i = 0; i < 7; i++)
        w[i] = word();
    if (chance(92))
        w[0] = labels[below(sizeof labels / sizeof labels[0])];
    else if (chance(50))
        w[0] = (long)below(0x8000);
    if (w[0] == MSG_PG_FORK && chance(50)) {
        fork_child(FORK_OPS);
        return;
    }
    do_pager_msg(PAGER_SLOT, SYS_CALL, w);
}

/* ---- memory ---- */

/* A new anonymous page reads as zero: nothing of another task shows. */
static void check_fresh(uint64_t a, uint64_t len)
{
    if (!len)
        return;
    volatile uint64_t *p = (volatile uint64_t *)(a + below((len - 1) / PAGE + 1) * PAGE);
    for (int i = 0; i < 512; i += 37)
        if (p[i])
            finding("fresh anonymous page at %p holds %lx at word %d", (void *)p, (unsigned long)p[i], i);
    S.touched++;
}

static void op_mem(void)
{
    long w[7] = { 0 };
    int mortal = 0;
    switch (below(6)) {
    case 0: case 1: { /* mmap, anonymous most often */
        uint64_t len = chance(70) ? (below(16) + 1) * PAGE : len_any();
        int prot = (int)(chance(80) ? PROT_READ | PROT_WRITE : below(8));
        int flags = (int)((chance(70) ? MAP_PRIVATE : MAP_SHARED) | (chance(75) ? MAP_ANONYMOUS : 0) |
                          (chance(20) ? MAP_FIXED : 0) | (chance(3) ? rnd() & ~(long)MAP_FIXED : 0));
        long fd = chance(80) ? (long)below(NFDS) : fd_any();
        w[0] = MSG_PG_MMAP;
        w[1] = chance(80) ? 0 : (long)ptr_any();
        w[2] = (long)len;
        w[3] = prot;
        w[4] = flags;
        w[5] = fd;
        w[6] = chance(80) ? 0 : (long)(chance(50) ? below(64) * PAGE : rnd());
        w[0] = sane_request(w[0], &w[1], true, &mortal);
        long req[6];
        memcpy(req, &w[1], sizeof req);
        logop(K_MMAP, mortal, w[0], &w[1]);
        long r = ecall(SYS_CALL, PAGER_SLOT, w) < 0 ? -1 : w[1];
        follow(MSG_PG_MMAP, req, &w[1], r);
        len = (uint64_t)req[1]; /* as sane_request left it */
        if (r >= 0 && (flags & MAP_ANONYMOUS) && (prot & PROT_READ) && S.touched < MAX_TOUCH)
            check_fresh((uint64_t)r, len < (1UL << 30) ? len : 1UL << 30);
        return;
    }
    case 2: /* munmap, mprotect */
        w[0] = chance(50) ? MSG_PG_MUNMAP : MSG_PG_MPROTECT;
        w[3] = (long)below(8);
        break;
    case 3: /* sbrk */
        w[0] = MSG_PG_SBRK;
        w[1] = chance(60) ? (long)below(8 * PAGE) - 4 * (long)PAGE : word();
        break;
    case 4: /* msync */
        w[0] = MSG_PG_MSYNC;
        w[1] = (long)reg_addr() & ~(long)(PAGE - 1);
        w[2] = (long)len_any();
        w[3] = (long)below(8);
        break;
    default: { /* a new region through PG_ANON */
        w[0] = MSG_PG_ANON;
        w[1] = chance(80) ? (long)((below(8) + 1) * PAGE) : (long)len_any();
        long req[6] = { w[1] };
        logop(K_MMAP, 0, w[0], &w[1]);
        long r = ecall(SYS_CALL, PAGER_SLOT, w) < 0 ? -1 : w[1];
        follow(MSG_PG_ANON, req, &w[1], r);
        if (r >= 0 && S.touched < MAX_TOUCH)
            check_fresh((uint64_t)r, (uint64_t)req[0] < (1UL << 30) ? (uint64_t)req[0] : 1UL << 30);
        return;
    }
    }
    w[0] = sane_request(w[0], &w[1], true, &mortal);
    long req[6];
    memcpy(req, &w[1], sizeof req);
    logop(K_MMAP, mortal, w[0], &w[1]);
    long label = w[0];
    long r = ecall(SYS_CALL, PAGER_SLOT, w) < 0 ? -1 : w[1];
    if (r == -1)
        follow_unanswered(label, req);
    follow(label, req, &w[1], r);
}

/* Read or write a byte of memory the process knows it may touch. */
static void op_touch(void)
{
    if (S.touched >= MAX_TOUCH)
        return;
    long i = (long)below(NREG);
    uint64_t a;
    bool wr = chance(50);
    int mortal = 0;
    switch (below(4)) {
    case 0:
        a = S.cow + below(COW_PAGES * PAGE);
        if (S.depth == 2)
            a = S.scratch + below(PAGE);
        break;
    case 1:
        a = S.scratch + below(SCRATCH_PAGES * PAGE);
        break;
    case 2:
        a = S.text_lo + below(S.text_hi - S.text_lo);
        wr = false;
        break;
    default:
        if (!S.reg[i].len || !S.reg[i].known || S.reg[i].len > (1UL << 36))
            return;
        a = S.reg[i].a + below(S.reg[i].len);
        if (!(S.reg[i].prot & PROT_READ) || (wr && !(S.reg[i].prot & PROT_WRITE)))
            return;
        mortal = S.reg[i].file; /* past the end of the file: a bus error */
        break;
    }
    long w[6] = { (long)a, wr };
    logop(K_TOUCH, mortal, 0, w);
    volatile uint8_t *p = (volatile uint8_t *)a;
    if (wr)
        *p = (uint8_t)(*p + 1);
    else
        (void)*p;
    S.touched++;
}

/* ---- files ---- */

static void op_file(void)
{
    long w[7];
    for (int i = 0; i < 7; i++)
        w[i] = word();
    static const long fl[] = { MSG_PG_OPEN, MSG_PG_OPEN, MSG_PG_OPEN, MSG_PG_READ, MSG_PG_WRITE, MSG_PG_WRITE,
                               MSG_PG_LSEEK, MSG_PG_FSTAT, MSG_PG_READDIR, MSG_PG_CLOSE, MSG_PG_UNLINK,
                               MSG_PG_MKDIR, MSG_PG_RMDIR, MSG_PG_LINK, MSG_PG_CHDIR, MSG_PG_GETCWD,
                               MSG_PG_SYNC, MSG_PG_DUP, MSG_PG_DUP2, MSG_PG_MMAP, MSG_PG_FTRUNCATE,
                               MSG_PG_FSYNC, MSG_PG_RENAME };
    w[0] = fl[below(sizeof fl / sizeof fl[0])];
    int mortal = 0;
    w[0] = sane_request(w[0], &w[1], true, &mortal);
    long fd = w[1];
    if (fd_kind(fd) == FD_FILE && chance(70)) { /* mostly sane buffers and sizes for the files */
        if (w[0] == MSG_PG_READ || w[0] == MSG_PG_WRITE) {
            w[2] = (long)(chance(80) ? S.scratch + below(PAGE) : ptr_any());
            w[3] = (long)(chance(80) ? below(3 * PAGE) : len_any());
        } else if (w[0] == MSG_PG_LSEEK) {
            w[2] = chance(80) ? (long)below(64 * 1024) : word();
            w[3] = (long)below(4);
        }
    }
    if (w[0] == MSG_PG_MMAP) { /* a file mapping */
        w[1] = 0;
        w[2] = (long)((below(4) + 1) * PAGE);
        w[3] = PROT_READ | (chance(50) ? PROT_WRITE : 0);
        w[4] = chance(50) ? MAP_SHARED : MAP_PRIVATE;
        w[5] = fd_any();
        w[6] = chance(90) ? 0 : (long)(below(4) * PAGE);
    }
    long req[6];
    memcpy(req, &w[1], sizeof req);
    long label = w[0];
    logop(K_FILE, mortal, label, &w[1]);
    long r = ecall(SYS_CALL, PAGER_SLOT, w) < 0 ? -1 : w[1];
    follow(label, req, &w[1], r);
}

/* ---- pipes ---- */

/* An operation on a pipe this process made: never more than fits, never a
   read of an empty one. */
static void op_pipe(void)
{
    long fd = (long)below(NFDS);
    if (fd_kind(fd) != FD_PIPE || chance(20)) {
        long w[7] = { MSG_PG_PIPE };
        logop(K_PIPE, 0, MSG_PG_PIPE, NULL);
        long r = ecall(SYS_CALL, PAGER_SLOT, w) < 0 ? -1 : w[1];
        follow(MSG_PG_PIPE, w + 1, &w[1], r);
        return;
    }
    int id = S.fdp[fd];
    if (id < 0 || id >= NFDS)
        return;
    bool wr = chance(50);
    uint64_t buf = chance(85) ? S.scratch + below(PAGE) : ptr_any();
    long n = (long)below(600);
    if (wr && S.pipe[id].hi + n > 4096)
        n = 4096 - S.pipe[id].hi;
    if (!wr && S.pipe[id].lo <= 0)
        wr = true, n = S.pipe[id].hi + n > 4096 ? 0 : n;
    long w[7] = { wr ? MSG_PG_WRITE : MSG_PG_READ, fd, (long)buf, n };
    logop(K_PIPE, 0, w[0], &w[1]);
    long r = ecall(SYS_CALL, PAGER_SLOT, w) < 0 ? -1 : w[1];
    if (wr) {
        if (r >= 0) {
            S.pipe[id].lo += r;
            S.pipe[id].hi += r;
        } else {
            S.pipe[id].hi += n;
        }
    } else if (r >= 0) {
        S.pipe[id].lo -= r;
        S.pipe[id].hi -= r;
    } else {
        S.pipe[id].lo = 0;
    }
}

/* A pipe shared across fork: all the child writes arrives, then EOF. */
static void op_pipefork(void)
{
    int fds[2];
    if (pipe(fds) < 0)
        return;
    long n = (long)below(4097);
    long w[6] = { fds[0], fds[1], n };
    logop(K_PIPE, 0, MSG_PG_FORK, w);
    long pid = fork();
    if (pid == 0) {
        S.log = &S.box->sac;
        S.log->pid = getpid();
        char *b = (char *)S.scratch;
        for (long i = 0; i < n; i++)
            b[i] = (char)(i * 7);
        exit(write(fds[1], b, (size_t)n) == n ? 0 : 3);
    }
    close(fds[1]);
    long got = 0, r;
    char *b = (char *)(S.scratch + 2 * PAGE);
    while (got <= 4096 && (r = read(fds[0], b + got, 4097 - (size_t)got)) > 0)
        got += r;
    close(fds[0]);
    long how = 0, code = 0;
    if (pid > 0 && wait_how(pid, &how, &code) == pid && how == WAIT_EXITED && code == 0) {
        if (got != n)
            finding("pipe across fork: %ld bytes written, %ld read", n, got);
        for (long i = 0; i < got && i < n; i++)
            if (b[i] != (char)(i * 7)) {
                finding("pipe across fork: byte %ld differs", i);
                break;
            }
    }
}

/* ---- processes ---- */

static void run_ops(void);
static void reap_all(void);

/* Before a fork runs its own operations: it gets the parent's descriptors,
   closes the pipes (the parent counts their bytes) and follows no kids. */
static void become_fork(long budget)
{
    S.depth = 1;
    S.log = &S.box->fork;
    S.log->pid = getpid();
    for (long fd = 0; fd < NFDS; fd++)
        if (S.fdk[fd] == FD_PIPE) {
            close((int)fd);
            fd_set(fd, FD_NONE, -1);
        }
    memset(S.kids, 0, sizeof S.kids);
    S.gpid = 0;
    S.ops = 0;
    S.budget = budget;
    S.touched = 0;
    rs = mix(rs ^ 0x5eed);
}

/* Wait for the live fork; a kill nobody asked for is a finding. */
static void reap_fork(void)
{
    if (!S.gpid)
        return;
    long how = 0, code = 0, r = wait_how(S.gpid, &how, &code);
    if (r == S.gpid && how == WAIT_KILLED && !S.gkilled && !S.box->fork.mortal && S.box->finding != FINDING)
        finding("a fork of the child (pid %ld) was killed (cause %ld) at its op %ld (%s %lx)", r, code,
                S.box->fork.op, kname[S.box->fork.kind % NKIND], (unsigned long)S.box->fork.a[0]);
    S.gpid = 0;
    S.gkilled = false;
}

/* A fork of this child that makes `budget` operations of its own while the
   child goes on. */
static void fork_child(long budget)
{
    if (S.depth != 0)
        return;
    reap_fork();
    logop(K_FORK, 0, MSG_PG_FORK, NULL);
    long pid = fork();
    if (pid == 0) {
        become_fork(budget);
        run_ops();
        reap_all();
        exit(0);
    }
    if (pid > 0)
        S.gpid = pid;
}

/* Exec in a fork of its own: a program from the disk (this one as a leaf
   fuzzer, others that end at once) or bad paths and argument lists. */
static void op_exec(void)
{
    if (S.depth != 0)
        return;
    static const char *const progs[] = { "/bin/fuzz", "/bin/fuzz", "/bin/true", "/bin/false", "/bin/hello",
                                         "/bin/nosuch", "/bin", "/fz/a", "", "hello", "/bin/true/",
                                         "/bin/fs" }; /* the last: U_DRIVERS */
    const char *path = progs[below(sizeof progs / sizeof progs[0] - (unsafe & U_DRIVERS ? 0 : 1))];
    long how = (long)below(6);
    uint64_t seed = rnd();
    logop(K_EXEC, 1, how, NULL);
    long pid = fork();
    if (pid != 0) {
        if (pid > 0)
            wait_how(pid, NULL, NULL);
        return;
    }
    S.log = &S.box->sac;
    S.log->pid = getpid();
    for (int fd = 0; fd < NFDS; fd++)
        if (S.fdk[fd] == FD_PIPE)
            close(fd);
    char sd[24], nops[24];
    snprintf(sd, sizeof sd, "%lu", (unsigned long)seed);
    snprintf(nops, sizeof nops, "%d", LEAF_OPS);
    char *argv[] = { (char *)path, "leaf", sd, nops, NULL };
    char *many[40];
    for (int i = 0; i < 39; i++)
        many[i] = "x";
    many[39] = NULL;
    long w[7] = { MSG_PG_EXEC, (long)put_str(path), (long)argv };
    switch (how) {
    case 0: w[1] = (long)ptr_any(); break;
    case 1: w[2] = (long)ptr_any(); break;
    case 2: argv[1] = (char *)ptr_any(); break;
    case 3: w[2] = (long)many; break;
    default: break;
    }
    logop(K_EXEC, 1, w[0], &w[1]);
    ecall(SYS_CALL, PAGER_SLOT, w);
    exit(0);
}

/* Accesses that must kill the task doing them, each in a fork of its own. */
static void op_mustfault(void)
{
    if (S.depth != 0)
        return;
    long what = (long)below(6);
    logop(K_MUSTFAULT, 1, what, NULL);
    long pid = fork();
    if (pid == 0) {
        S.log = &S.box->sac;
        S.log->pid = getpid();
        logop(K_MUSTFAULT, 1, what, NULL);
        volatile uint8_t *p;
        switch (what) {
        case 0: p = (volatile uint8_t *)(S.text_lo + below(S.text_hi - S.text_lo)); *p = 0x13; break;
        case 1: p = (volatile uint8_t *)(KBASE + below(1 << 16) * PAGE); (void)*p; break;
        case 2: p = (volatile uint8_t *)(0x4000000000UL + below(1 << 20) * PAGE); (void)*p; break;
        case 3: p = (volatile uint8_t *)(USER_STACK_TOP - USER_STACK_SIZE - PAGE + below(PAGE)); *p = 1; break;
        case 5: /* copy-on-write: write all of it; the supervisor checks its own copy */
            for (uint64_t a = 0; a < COW_PAGES * PAGE; a += 512)
                ((volatile uint8_t *)S.cow)[a] ^= 0xff;
            exit(0);
        default: p = (volatile uint8_t *)(0x4000000000UL - PAGE * below(2)); *p = 1; break; /* only MAP_FIXED may go there */
        }
        finding("access %ld at %p did not fault", what, (void *)p);
        exit(0);
    }
    if (pid > 0)
        wait_how(pid, NULL, NULL);
}

/* A timer on a notification of our own, then wait for it. */
static void op_sleep(void)
{
    if (S.bound)
        return;
    long n = -1;
    for (long s = 0; s < NSLOT && n < 0; s++)
        if (S.slot[s] == SL_NTFN)
            n = s;
    if (n < 0) {
        logop(K_SLEEP, 0, SYS_NTFN_CREATE, NULL);
        n = sys_ntfn_create();
        if (n < 0 || n >= NSLOT)
            return;
        S.slot[n] = SL_NTFN;
    }
    S.timer = true;
    long w[6] = { n, (long)(rdtime() + below(RDTIME_HZ / 200)) };
    logop(K_SLEEP, 0, SYS_TIMER_NOTIFY, w);
    if (sys_timer_notify(n, w[1]) == 0)
        sys_wait(n);
}

/* An IPC call (send .. nbsend) on the pager's slot or another, with a
   pager label or a random one. */
static void op_ipc(void)
{
    long w[7];
    for (int i = 0; i < 7; i++)
        w[i] = word();
    long nr = SYS_SEND + (long)below(SYS_NBSEND - SYS_SEND + 1);
    w[0] = chance(80) ? (long)labels[below(sizeof labels / sizeof labels[0])] : word();
    do_pager_msg(chance(70) ? (long)PAGER_SLOT : any_slot(), nr, w);
}

static void op_one(void)
{
    unsigned total = 0, pick;
    for (int k = 0; k < NKIND; k++)
        total += kweight[k];
    pick = (unsigned)below(total);
    int k = 0;
    while (pick >= kweight[k])
        pick -= kweight[k++];
    switch (k) {
    case K_SYSCALL: op_syscall(); break;
    case K_IPC: op_ipc(); break;
    case K_PAGER: op_pager(); break;
    case K_TOUCH: op_touch(); break;
    case K_MMAP: op_mem(); break;
    case K_FILE: op_file(); break;
    case K_PIPE: if (chance(15) && S.depth == 0) op_pipefork(); else op_pipe(); break;
    case K_FORK: fork_child(FORK_OPS); break;
    case K_EXEC: op_exec(); break;
    case K_MUSTFAULT: op_mustfault(); break;
    default: op_sleep(); break;
    }
}

static void run_ops(void)
{
    for (S.ops = 0; S.ops < S.budget; S.ops++)
        op_one();
}

/* Stop and reap every process this one started. */
static void reap_all(void)
{
    reap_fork();
    for (int i = 0; i < NKIDS; i++)
        if (S.kids[i]) {
            kill(S.kids[i], SIGKILL);
            wait_how(S.kids[i], NULL, NULL);
            S.kids[i] = 0;
        }
}

/* The range of this program's text (from pmap): for pointers and checks. */
static void find_text(uint64_t *lo, uint64_t *hi)
{
    static struct region_info ri[32];
    long n = pmap(getpid(), ri, 32);
    *lo = *hi = 0x10000;
    for (long i = 0; i < n && i < 32; i++)
        if (ri[i].prot & PROT_EXEC) {
            *lo = ri[i].start;
            *hi = ri[i].end;
            return;
        }
}

/* Memory of the process's own: scratch pages with an unmapped one above,
   and a page with nothing mapped above it. */
static bool setup_memory(void)
{
    uint64_t a = (uint64_t)mmap(NULL, (SCRATCH_PAGES + 1) * PAGE, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (a == (uint64_t)MAP_FAILED)
        return false;
    munmap((void *)(a + SCRATCH_PAGES * PAGE), PAGE);
    S.scratch = a;
    a = (uint64_t)mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (a == (uint64_t)MAP_FAILED)
        return false;
    munmap((void *)(a + PAGE), PAGE);
    S.edge = a;
    for (int i = 0; i < NSLOT; i++)
        S.slot[i] = SL_EMPTY;
    S.slot[PAGER_SLOT] = SL_PAGER;
    S.slot[GRANT_SLOT] = SL_OTHER;
    return true;
}

/* A fuzz child: index idx of batch `batch`. Never returns. */
static void child_main(long seed, long batch, long idx, struct box *box, uint64_t cow, uint64_t secret)
{
    S.seed = seed;
    S.batch = batch;
    S.idx = idx;
    S.box = box;
    S.log = &box->self;
    S.log->pid = getpid();
    S.cow = cow;
    S.secret_va = secret;
    if (rights_keep(0) != 0) /* the supervisor is init: its forks inherit its rights */
        exit(5);
    munmap((void *)secret, PAGE); /* only the supervisor knows it */
    for (int fd = 0; fd < NFDS; fd++)
        close(fd); /* the console is the runner's; reading it would block */
    rs = mix(mix((uint64_t)seed) ^ mix((uint64_t)batch << 16 | (uint64_t)idx)) | 1;
    find_text(&S.text_lo, &S.text_hi);
    if (!setup_memory())
        exit(4);
    S.budget = OPB;
    run_ops();
    reap_all();
    exit(0);
}

/* A leaf: started by exec with a seed and a count of operations. */
static int leaf_main(char **argv)
{
    S.box = &leafbox;
    S.log = &leafbox.self;
    S.depth = 2;
    S.idx = NCHILD + 2;
    S.secret_va = 0x5000;
    for (int fd = 0; fd < NFDS; fd++)
        close(fd);
    rs = mix((uint64_t)atol(argv[2])) | 1;
    find_text(&S.text_lo, &S.text_hi);
    if (!setup_memory())
        return 4;
    S.cow = S.scratch;
    S.budget = atol(argv[3]);
    if (S.budget > 1000)
        S.budget = 1000;
    run_ops();
    reap_all();
    return 0;
}

/* ---- the supervisor ---- */

static long nfindings, total_ops;
static long sys_pids[MAXPROC], nsys;
static long self_pid, seed_cfg;
static struct proc_info pis[MAXPROC];

static uint64_t hash(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint64_t h = 1469598103934665603UL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211UL;
    return h;
}

/* Free frames plus every process's resident pages, after sync (as testinit does). */
static long frames_accounted(void)
{
    sync();
    static struct region_info ri[64];
    long np = ps(pis, MAXPROC), own = 0;
    for (long k = 0; k < np && k < MAXPROC; k++) {
        long n = pmap(pis[k].pid, ri, 64);
        for (long i = 0; i < n && i < 64; i++)
            own += (long)ri[i].resident;
    }
    struct pager_stat st;
    pager_stat(&st);
    struct vmstat vs; /* and the cached pages of programs no process runs (kept for the next exec) */
    long idle = vmstat(&vs) == 0 ? (long)(vs.cache_idle + vs.meta_idle) : 0;
    return st.free_frames + own + idle;
}

static bool is_sys(long pid)
{
    for (long i = 0; i < nsys; i++)
        if (sys_pids[i] == pid)
            return true;
    return false;
}

static void print_log(const char *who, const struct oplog *l)
{
    printf("@@FUZZ   %s pid %ld op %ld %s%s %lx %lx %lx %lx %lx %lx %lx\n", who, l->pid, l->op,
           kname[(unsigned long)l->kind % NKIND], l->mortal ? " (may die)" : "", (unsigned long)l->a[0],
           (unsigned long)l->a[1], (unsigned long)l->a[2], (unsigned long)l->a[3], (unsigned long)l->a[4],
           (unsigned long)l->a[5], (unsigned long)l->a[6]);
}

static char batch_why[200];

static void report(long batch, long idx, struct box *box, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void report(long batch, long idx, struct box *box, const char *fmt, ...)
{
    char why[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    long op = batch * NCHILD * OPB + (idx >= 0 ? idx * OPB + (box ? box->self.op : 0) : 0);
    printf("@@FUZZ FINDING seed=%ld batch=%ld child=%ld op=%ld: %s\n", seed_cfg, batch, idx, op, why);
    if (box) {
        print_log("child", &box->self);
        print_log("fork ", &box->fork);
        print_log("sacr.", &box->sac);
        for (long k = box->self.op - HIST + 1; k < box->self.op; k++)
            if (k >= 0 && box->hist[k % HIST].op == k)
                print_log("hist ", &box->hist[k % HIST]);
    }
    if (!batch_why[0])
        if (snprintf(batch_why, sizeof batch_why, "seed=%ld op=%ld: %s", seed_cfg, op, why) >= (int)sizeof batch_why)
            batch_why[sizeof batch_why - 2] = '~'; /* cut short: say so */
    nfindings++;
}

/* ps: the state of pid (0 gone, 1 running, 2 zombie). */
static int state_of(long pid)
{
    long n = ps(pis, MAXPROC);
    if (n < 0)
        return 1;
    for (long i = 0; i < n && i < MAXPROC; i++)
        if (pis[i].pid == pid)
            return (int)pis[i].state;
    return 0;
}

/* Stop every process the batch left (orphans the children could not reap).
   Returns how many were left, or -1 if some would not go. */
static long kill_stragglers(void)
{
    long count = 0;
    for (int round = 0; round < 400; round++) {
        long n = ps(pis, MAXPROC), left = 0;
        for (long i = 0; i < n && i < MAXPROC; i++) {
            if (is_sys(pis[i].pid))
                continue;
            left++;
            if (pis[i].parent == self_pid && pis[i].state == 2)
                wait_how(pis[i].pid, NULL, NULL);
            else if (pis[i].state == 1 && kill(pis[i].pid, SIGKILL) == 0)
                count++;
        }
        if (!left)
            return count;
        nap(RDTIME_HZ / 100);
    }
    return -1;
}

static bool system_alive(void)
{
    long pid = fork();
    if (pid == 0)
        exit(7);
    long how = -1, code = -1;
    if (pid < 0 || wait_how(pid, &how, &code) != pid || how != WAIT_EXITED || code != 7)
        return false;
    int fd = open("/fz/live", O_RDWR | O_CREAT | O_TRUNC);
    if (fd < 0)
        return false;
    char a[100], b[100];
    for (int i = 0; i < 100; i++)
        a[i] = (char)i;
    bool ok = write(fd, a, 100) == 100 && lseek(fd, 0, SEEK_SET) == 0 && read(fd, b, 100) == 100 &&
              memcmp(a, b, 100) == 0;
    close(fd);
    return unlink("/fz/live") == 0 && ok;
}

static void clean_fz(void)
{
    for (int k = (int)(sizeof wpaths / sizeof wpaths[0]) - 1; k >= 0; k--) {
        unlink(wpaths[k]);
        if (k < 5)
            rmdir(wpaths[k]);
    }
    for (int k = 0; k < (int)(sizeof wpaths / sizeof wpaths[0]); k++)
        rmdir(wpaths[k]);
}

struct sup {
    long seed;
    struct box *box;
    uint8_t *cow, *secret;
    uint64_t text_lo, text_hi, text_hash, secret_hash, cow_hash;
    long baseline, last;            /* frames accounted for after the first batch, after the last */
};

/* One batch: fork the children, watch them, reap them, check. */
static void batch(struct sup *s, long b)
{
    long pid[NCHILD], beat[NCHILD];
    bool hung[NCHILD] = { false };
    uint64_t since[NCHILD];
    batch_why[0] = 0;
    long ops_before = total_ops;
    uint64_t t0 = rdtime();
    memset(s->box, 0, NCHILD * PAGE);
    for (long i = 0; i < NCHILD; i++) {
        pid[i] = fork();
        if (pid[i] == 0)
            child_main(s->seed, b, i, (struct box *)((uint8_t *)s->box + i * PAGE), (uint64_t)s->cow,
                       (uint64_t)s->secret);
        if (pid[i] < 0)
            report(b, i, NULL, "fork of child %ld: %s", i, errstr(pid[i]));
        beat[i] = 0;
        since[i] = rdtime();
    }
    for (long live = NCHILD; live > 0;) {
        nap(RDTIME_HZ / 50);
        live = 0;
        for (long i = 0; i < NCHILD; i++) {
            if (pid[i] <= 0)
                continue;
            struct box *box = (struct box *)((uint8_t *)s->box + i * PAGE);
            int st = state_of(pid[i]);
            if (st == 2 || st == 0) {
                long how = -1, code = -1;
                long r = wait_how(pid[i], &how, &code);
                total_ops += box->beat;
                if (r != pid[i])
                    report(b, i, box, "waitpid of child %ld returned %ld", i, r);
                else if (how == WAIT_KILLED && !box->self.mortal && !hung[i])
                    report(b, i, box, "child killed (cause %ld) by an operation that should not kill it", code);
                else if (how == WAIT_EXITED && code != 0)
                    report(b, i, box, "child exit status %ld", code);
                if (box->finding == FINDING) {
                    box->msg[sizeof box->msg - 1] = 0;
                    report(b, i, box, "%s", box->msg);
                }
                pid[i] = 0;
                continue;
            }
            live++;
            if (box->beat != beat[i]) {
                beat[i] = box->beat;
                since[i] = rdtime();
            } else if (rdtime() - since[i] > HANG_SEC * RDTIME_HZ) {
                report(b, i, box, "no progress for %d s: a hang", HANG_SEC);
                kill(pid[i], SIGKILL);
                hung[i] = true;
                since[i] = rdtime();
            }
        }
    }
    long left = kill_stragglers();
    printf("@@FUZZ batch %ld: %ld operations in %lu ms\n", b, total_ops - ops_before,
           (unsigned long)((rdtime() - t0) / (RDTIME_HZ / 1000)));
    if (left < 0)
        report(b, -1, NULL, "processes left by the batch cannot be killed");
    if (hash((void *)s->text_lo, s->text_hi - s->text_lo) != s->text_hash)
        report(b, -1, NULL, "the supervisor's text changed");
    if (hash(s->cow, COW_PAGES * PAGE) != s->cow_hash)
        report(b, -1, NULL, "the copy-on-write region changed");
    if (hash(s->secret, PAGE) != s->secret_hash)
        report(b, -1, NULL, "the secret page changed");
    if (!system_alive())
        report(b, -1, NULL, "fork+exit or a file round trip failed after the batch");
    clean_fz();
    long now = frames_accounted();
    if (s->baseline < 0)
        s->baseline = now; /* after the first batch of the boot: the caches are warm */
    else if (now < s->baseline - FRAME_SLACK || now > s->baseline)
        report(b, -1, NULL, "frames accounted for: %ld after the batch, %ld after the first", now, s->baseline);
    s->last = now;
}

/* "SEED OPS FIRST UNSAFE" from /bin/fuzzcfg (written by scons fuzz / scons test). */
static void read_config(long *seed, long *ops, long *first)
{
    char buf[128] = { 0 };
    int fd = open("/bin/fuzzcfg", O_RDONLY);
    if (fd >= 0) {
        read(fd, buf, sizeof buf - 1);
        close(fd);
    }
    long v[4] = { 1, 4000, 0, 0 };
    char *p = buf;
    for (int i = 0; i < 4 && *p; i++) {
        while (*p == ' ' || *p == '\n')
            p++;
        if (*p >= '0' && *p <= '9')
            v[i] = atol(p);
        while (*p >= '0' && *p <= '9')
            p++;
    }
    *seed = v[0];
    *ops = v[1];
    *first = v[2];
    unsafe = v[3];
}

int main(int argc, char **argv)
{
    if (argc >= 4 && strcmp(argv[1], "leaf") == 0)
        return leaf_main(argv);
    long n = ps(pis, MAXPROC);
    if (n > 2 || getppid() != 0)
        return 5; /* started by a fuzz child with a spoilt argument list: not the first program */
    struct sup s = { .baseline = -1 };
    long ops, first;
    read_config(&s.seed, &ops, &first);
    seed_cfg = s.seed;
    if (argc > 1 && is_number(argv[1]))
        first = atol(argv[1]); /* teststart: the runner rebooted after batch N-1 hung */
    long nbatch = (ops + NCHILD * OPB - 1) / (NCHILD * OPB);
    self_pid = getpid();
    for (long i = 0; i < n && i < MAXPROC; i++)
        sys_pids[nsys++] = pis[i].pid;
    s.box = mmap((void *)BOX_VA, NCHILD * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    s.cow = mmap(NULL, (COW_PAGES + 1) * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    s.secret = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (s.box == MAP_FAILED || s.cow == MAP_FAILED || s.secret == MAP_FAILED) {
        printf("fuzz: cannot map its memory\n");
        return 1;
    }
    munmap(s.cow + COW_PAGES * PAGE, PAGE); /* nothing right above it */
    rs = mix((uint64_t)s.seed) | 1;
    for (uint64_t i = 0; i < COW_PAGES * PAGE; i += 8)
        *(uint64_t *)(s.cow + i) = rnd();
    rs = mix(rdtime() ^ rdinstret() ^ 0x5ec7e7) | 1; /* the secret is no function of the seed */
    for (uint64_t i = 0; i < PAGE; i += 8)
        *(uint64_t *)(s.secret + i) = rnd();
    s.cow_hash = hash(s.cow, COW_PAGES * PAGE);
    s.secret_hash = hash(s.secret, PAGE);
    touch_own_image(); /* from the disk: pages first touched later would be cache frames no process counts */
    find_text(&s.text_lo, &s.text_hi);
    s.text_hash = hash((void *)s.text_lo, s.text_hi - s.text_lo);
    mkdir("/fz", 0755);
    clean_fz();
    printf("@@FUZZ seed=%ld ops=%ld batches=%ld (of %d children x %d operations) from batch %ld, unsafe %ld\n",
           s.seed, ops, nbatch, NCHILD, OPB, first, unsafe);
    for (long b = first; b < nbatch; b++) {
        printf("@@TEST START %ld fuzz.%ld\n", b, b);
        batch(&s, b);
        if (batch_why[0])
            printf("@@TEST FAIL %ld fuzz.%ld %s\n", b, b, batch_why);
        else
            printf("@@TEST PASS %ld fuzz.%ld\n", b, b);
    }
    printf("@@FUZZ DONE seed=%ld batches=%ld..%ld ops=%ld findings=%ld (frames accounted for: %ld after the "
           "first batch, %ld after the last)\n", s.seed, first, nbatch - 1, total_ops, nfindings, s.baseline, s.last);
    printf("@@TESTS DONE\n");
    shutdown();
    return 0;
}
