/* Hardware floating point for tasks (issue 10): FS starts Off, the first FP
   instruction turns it on with every register zero, and the kernel saves and
   restores the registers lazily. Checks: (1) this program's first FP use sees
   zeros; (2) double arithmetic gives exact results (fsqrt.d, fmadd.d, division,
   a long sum); (3) fork copies f0..f31 and fcsr; (4) a program exec'd over a
   task that used FP (or forked from one) sees zeros at first use; (5) two
   tasks hold their own values in all 32 registers and fcsr across pipes,
   yields and preemption, while a third computes; (6) an illegal instruction
   that is not FP still kills a task whose FP is on.
   Built with its own -march (user/SConscript) until every program is rv64gc:
   the code between fp_put and fp_get is integer only, and libsys has no FP. */
#include "test.h"

#define NFP 33 /* f0..f31, then fcsr */

/* fp_put(v): f0..f31 = v[0..31], fcsr = v[32]. fp_get(v): the reverse. */
#define F32(M) M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7) M(8) M(9) M(10) M(11) M(12) M(13) M(14) M(15) \
    M(16) M(17) M(18) M(19) M(20) M(21) M(22) M(23) M(24) M(25) M(26) M(27) M(28) M(29) M(30) M(31)
#define FLD(i) "fld f" #i ", " #i "*8(a0)\n"
#define FSD(i) "fsd f" #i ", " #i "*8(a0)\n"
asm(".text\n"
    ".globl fp_put\nfp_put:\n" F32(FLD) "ld t0, 256(a0)\nfscsr t0\nret\n"
    ".globl fp_get\nfp_get:\n" F32(FSD) "frcsr t0\nsd t0, 256(a0)\nret\n");
void fp_put(const uint64_t *v);
void fp_get(uint64_t *v);

/* The values of seed: 32 distinct 64-bit patterns and an fcsr (frm 0..4, fflags). */
static void fp_vals(uint64_t seed, uint64_t *v)
{
    for (int i = 0; i < 32; i++) {
        uint64_t x = (seed * 64 + (uint64_t)i + 1) * 0x9e3779b97f4a7c15UL;
        v[i] = x ^ (x >> 29);
    }
    v[32] = (seed % 5) << 5 | ((seed * 7 + 3) & 31);
}

/* Whether the registers hold v; the first difference is printed (who: where). */
static bool fp_holds(const char *who, long round, const uint64_t *v)
{
    uint64_t got[NFP];
    fp_get(got);
    for (int i = 0; i < NFP; i++) {
        if (got[i] != v[i]) {
            printf("t_fp: %s (pid %ld, round %ld): %s%d is %lx, want %lx\n", who, (long)getpid(), round,
                   i < 32 ? "f" : "fcsr", i < 32 ? i : 0, got[i], v[i]);
            return false;
        }
    }
    return true;
}

/* ---- (2) arithmetic with exact answers ---- */

static double hw_sqrt(double x) { double r; asm volatile("fsqrt.d %0, %1" : "=f"(r) : "f"(x)); return r; }
static double hw_mul(double a, double b) { double r; asm volatile("fmul.d %0, %1, %2" : "=f"(r) : "f"(a), "f"(b)); return r; }
static double hw_fma(double a, double b, double c)
{
    double r;
    asm volatile("fmadd.d %0, %1, %2, %3" : "=f"(r) : "f"(a), "f"(b), "f"(c));
    return r;
}

static uint64_t bits(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }

static uint64_t isqrt(uint64_t x) /* floor(sqrt(x)), integers only */
{
    uint64_t lo = 0, hi = 1UL << 32;
    while (hi - lo > 1) {
        uint64_t mid = (lo + hi) / 2;
        if (mid * mid <= x)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

#define FAIL(...) do { printf("t_fp: " __VA_ARGS__); return false; } while (0)

/* Returns whether every result is exact (the first wrong one is printed). */
static __attribute__((noinline)) bool compute(uint64_t seed)
{
    asm volatile("fscsr zero"); /* round to nearest (a forked child has its parent's frm) */
    for (uint64_t k = 1; k <= 3000; k++) /* perfect squares: fsqrt.d exact */
        if (hw_sqrt((double)(k * k)) != (double)k)
            FAIL("sqrt(%lu) is %lx\n", k * k, bits(hw_sqrt((double)(k * k))));
    uint64_t x = seed;
    for (int i = 0; i < 3000; i++) { /* floor(sqrt(x)) == integer square root, x < 2^32 */
        x = x * 6364136223846793005UL + 1442695040888963407UL;
        uint64_t y = x >> 32;
        if ((uint64_t)hw_sqrt((double)y) != isqrt(y))
            FAIL("floor(sqrt(%lu)) is %lu, want %lu\n", y, (uint64_t)hw_sqrt((double)y), isqrt(y));
    }
    double e = 1.0; /* 2^-30 */
    for (int i = 0; i < 30; i++)
        e = e / 2;
    double a = 1.0 + e, b = 1.0 - e; /* a * b = 1 - 2^-60: exact only before rounding */
    if (bits(hw_fma(a, b, -1.0)) != bits(-(e * e)))
        FAIL("fmadd(1+2^-30, 1-2^-30, -1) is %lx, want %lx\n", bits(hw_fma(a, b, -1.0)), bits(-(e * e)));
    if (hw_mul(a, b) - 1.0 != 0.0)
        FAIL("(1+2^-30)(1-2^-30) - 1 unfused is %lx, want 0\n", bits(hw_mul(a, b) - 1.0));
    for (uint64_t i = 1; i <= 3000; i++) /* a correctly rounded quotient of an exact one */
        if ((double)(i * 7 + seed % 3 * 7) / 7.0 != (double)(i + seed % 3))
            FAIL("%lu / 7 is %lx\n", i * 7 + seed % 3 * 7, bits((double)(i * 7 + seed % 3 * 7) / 7.0));
    double s = 0; /* 0.25 + 0.5 + ... + N/4: every partial sum exact */
    uint64_t n = 20000;
    for (uint64_t i = 1; i <= n; i++)
        s += (double)i * 0.25;
    if (s != (double)(n * (n + 1) / 2) / 4.0)
        FAIL("the sum of i/4 for i <= %lu is %lx, want %lx\n", n, bits(s), bits((double)(n * (n + 1) / 2) / 4.0));
    return true;
}

/* ---- (4) a fresh program: its first FP use sees zeros ---- */

static __attribute__((noinline)) int fresh(void)
{
    uint64_t got[NFP]; /* fp_get's first store is this program's first FP instruction */
    fp_get(got);
    for (int i = 0; i < NFP; i++)
        if (got[i] != 0) {
            printf("t_fp: fresh program (pid %ld): %s%d is %lx at first use, want 0 (another task's value)\n",
                   (long)getpid(), i < 32 ? "f" : "fcsr", i < 32 ? i : 0, got[i]);
            return 1;
        }
    return 0;
}

/* Fork a child that (with own_fp) loads values of its own, then exec's `t_fp fresh`. */
static void exec_fresh(bool own_fp)
{
    long pid = fork();
    PCHECK(pid >= 0);
    if (pid == 0) {
        uint64_t v[NFP];
        fp_vals(77, v);
        if (own_fp)
            fp_put(v);
        char *av[] = { "t_fp", "fresh", NULL };
        execv("t_fp", av);
        exit(99);
    }
    long how, code;
    PCHECK_EQ(wait_how(pid, &how, &code), pid);
    PCHECK_EQ(how, WAIT_EXITED);
    PCHECK_EQ(code, 0);
}

/* ---- (5) registers kept across switches ---- */

#define ROUNDS 600
#define SPIN_EVERY 100

struct shared {
    volatile uint64_t spins[2];     /* each side's spin-loop iterations */
    volatile long spun[2];          /* the last spin phase each side finished */
    volatile long preempted[2];     /* spin phases in which the other side ran meanwhile */
    volatile long stop;             /* the computing child stops */
    volatile long computed, bad;    /* its rounds, and whether a result was wrong */
    int ab[2], ba[2];               /* the pipes: side 0 writes ab and reads ba */
};

/* Spin phase k of side me: spin, checking the registers, until the other side
   has run meanwhile (we were preempted with FP on) or has finished phase k.
   Whichever side finishes a phase first saw the other run. */
static bool spin_phase(struct shared *sh, int me, long k, const uint64_t *v)
{
    uint64_t other = sh->spins[!me], end = rdtime() + 60 * RDTIME_HZ;
    while (sh->spins[!me] == other && sh->spun[!me] < k) {
        sh->spins[me]++;
        if (!fp_holds("spinning", k, v))
            return false;
        if (rdtime() > end) {
            printf("t_fp: side %d saw no switch in 60 s of spinning\n", me);
            return false;
        }
    }
    if (sh->spins[!me] != other)
        sh->preempted[me]++;
    sh->spun[me] = k;
    return fp_holds("after spinning", k, v);
}

/* One side of the ping-pong: rounds of a byte through the pipes, a yield and
   now and then a spin; new values every third round (the registers dirty), the
   same ones otherwise (clean: nothing to save). Returns 0 when the registers
   always held this side's values. */
static int pingpong(struct shared *sh, int me, int rfd, int wfd)
{
    uint64_t v[NFP];
    for (long r = 0; r < ROUNDS; r++) {
        if (r % 3 == 0) {
            fp_vals((uint64_t)(1000 * (me + 1) + r), v);
            fp_put(v);
        }
        char c = 'x';
        bool ok = me == 0 ? write(wfd, &c, 1) == 1 && read(rfd, &c, 1) == 1
                          : read(rfd, &c, 1) == 1 && write(wfd, &c, 1) == 1;
        if (!ok) {
            printf("t_fp: side %d round %ld: the pipe failed\n", me, r);
            return 2;
        }
        if (!fp_holds("after a pipe round trip", r, v))
            return 1;
        sys_yield();
        if (!fp_holds("after a yield", r, v))
            return 1;
        if (r % SPIN_EVERY == SPIN_EVERY - 1 && !spin_phase(sh, me, r / SPIN_EVERY + 1, v))
            return 1;
    }
    return 0;
}

static int pingpong_child(long arg)
{
    struct shared *sh = (struct shared *)arg;
    close(sh->ab[1]);
    close(sh->ba[0]);
    return pingpong(sh, 1, sh->ab[0], sh->ba[1]);
}

/* The third task: exact arithmetic over and over until told to stop. */
static int compute_child(long arg)
{
    struct shared *sh = (struct shared *)arg;
    while (!sh->stop) {
        if (!compute((uint64_t)sh->computed + 5)) {
            sh->bad = 1;
            return 1;
        }
        sh->computed++;
    }
    return 0;
}

static void switches(void)
{
    struct shared *sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    PCHECK(sh != MAP_FAILED);
    long comp = kid_fork(compute_child, (long)sh); /* before the pipes: it holds none of their ends */
    PCHECK_EQ(pipe(sh->ab), 0);
    PCHECK_EQ(pipe(sh->ba), 0);
    long side1 = kid_fork(pingpong_child, (long)sh);
    close(sh->ab[0]);
    close(sh->ba[1]);
    int r = pingpong(sh, 0, sh->ba[0], sh->ab[1]);
    while (r == 0 && sh->computed == 0 && !sh->bad) { /* it has done one round at least */
        PCHECK(proc_running(comp));
        nap(RDTIME_HZ / 100);
    }
    sh->stop = 1;
    PCHECK_EQ(r, 0);
    long how, code;
    kid_wait(side1, &how, &code);
    PCHECK_EQ(how, WAIT_EXITED);
    PCHECK_EQ(code, 0);
    kid_wait(comp, &how, &code);
    PCHECK_EQ(how, WAIT_EXITED);
    PCHECK_EQ(code, 0);
    printf("t_fp: %d rounds; spin phases preempted %ld and %ld; %ld computations beside\n", ROUNDS,
           sh->preempted[0], sh->preempted[1], sh->computed);
    PCHECK(sh->preempted[0] + sh->preempted[1] >= ROUNDS / SPIN_EVERY);
    PCHECK(sh->computed > 0);
    close(sh->ab[1]);
    close(sh->ba[0]);
    PCHECK_EQ(munmap(sh, 4096), 0);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "fresh") == 0)
        return fresh();
    if (argc > 1 && strcmp(argv[1], "switches") == 0) { /* (5) alone, by hand */
        switches();
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "illegal") == 0) {
        uint64_t v[NFP];
        fp_vals(3, v);
        fp_put(v);              /* FP is on now */
        asm volatile(".word 0"); /* not FP: still illegal, the pager kills us */
        return 0;
    }
    /* (1) started by exec: this first use sees zeros */
    PCHECK_EQ(fresh(), 0);
    /* (2) */
    PCHECK(compute(1));
    /* (3) fork copies the registers and fcsr */
    uint64_t v[NFP];
    fp_vals(11, v);
    fp_put(v);
    long pid = fork();
    PCHECK(pid >= 0);
    if (pid == 0)
        exit(fp_holds("forked child", 0, v) ? 0 : 1);
    long how, code;
    PCHECK_EQ(wait_how(pid, &how, &code), pid);
    PCHECK_EQ(how, WAIT_EXITED);
    PCHECK_EQ(code, 0);
    PCHECK(fp_holds("parent after fork", 0, v));
    /* (4) exec over a task with FP values, and over a forked copy of ours */
    exec_fresh(true);
    exec_fresh(false);
    PCHECK(fp_holds("parent after the execs", 0, v));
    /* (5) */
    switches();
    /* (6) */
    char *av[] = { "t_fp", "illegal", NULL };
    pid = fork();
    PCHECK(pid >= 0);
    if (pid == 0) {
        execv("t_fp", av);
        exit(99);
    }
    PCHECK_EQ(wait_how(pid, &how, &code), pid);
    PCHECK_EQ(how, WAIT_KILLED);
    PCHECK_EQ(code, SIGILL); /* an illegal instruction */
    printf("t_fp: ok\n");
    return 0;
}
