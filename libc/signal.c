/* Signals and process groups over the pager (servers/pager/signal.c): the
   pager keeps each signal's action and the mask and delivers a caught signal
   by starting the thread at __sig_entry (sigentry.S), which calls
   __sig_handle and returns through PG_SIGRETURN. The handlers themselves are
   kept here. sa_flags are accepted and ignored (SA_NOCLDSTOP: nothing stops). */
#include "sys.h"
#include "posix.h"
#include <signal.h>
#include <unistd.h>

extern char __sig_entry[];
static struct sigaction actions[NSIG];

/* Called by __sig_entry: run the handler of sig. */
void __sig_handle(int sig)
{
    _sig_func_ptr h = sig > 0 && sig < NSIG ? actions[sig].sa_handler : SIG_DFL;
    if (h != SIG_DFL && h != SIG_IGN)
        h(sig);
}

/* Called by __sig_entry once the handler is done: the registers and mask of
   the frame come back. Never returns. */
void __sig_return(uint64_t *frame)
{
    pg_call3(MSG_PG_SIGRETURN, (long)frame, 0, 0);
    static const char msg[] = "sigreturn failed\n";
    pg_write(2, msg, sizeof msg - 1);
    _exit(128 + SIGSEGV);
}

int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    if (sig <= 0 || sig >= NSIG)
        return (int)posix(-EINVAL);
    struct sigaction prev = actions[sig];
    long how = !act ? -1L : act->sa_handler == SIG_DFL ? (long)SIGACT_DEFAULT
                          : act->sa_handler == SIG_IGN ? (long)SIGACT_IGNORE : (long)SIGACT_CATCH;
    struct msg m = { .label = MSG_PG_SIGACTION, .w = { sig, how, act ? (long)(uint32_t)act->sa_mask : 0,
                                                       (long)__sig_entry } };
    if (act)
        actions[sig] = *act; /* first: the signal may come as soon as the pager knows */
    long r = pg_call(&m);
    if (r < 0) {
        actions[sig] = prev;
        return (int)posix(r);
    }
    if (old) { /* the pager's word: after exec, ignored signals stay ignored */
        *old = prev;
        if (r != (long)SIGACT_CATCH)
            *old = (struct sigaction){ .sa_handler = r == (long)SIGACT_IGNORE ? SIG_IGN : SIG_DFL };
    }
    return 0;
}

_sig_func_ptr signal(int sig, _sig_func_ptr h)
{
    struct sigaction act = { .sa_handler = h }, old;
    return sigaction(sig, &act, &old) < 0 ? SIG_ERR : old.sa_handler;
}

int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
    /* (uint32_t): picolibc's sigaddset sets bit 31 as (int)1 << 31, sign-extended */
    long r = set ? pg_call3(MSG_PG_SIGMASK, how, (long)(uint32_t)*set, 0) : pg_call3(MSG_PG_SIGMASK, SIG_BLOCK, 0, 0);
    if (r < 0)
        return (int)posix(r);
    if (old)
        *old = (sigset_t)r;
    return 0;
}

int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
    return sigprocmask(how, set, old) < 0 ? errno : 0;
}

int sigpending(sigset_t *set)
{
    struct msg m = { .label = MSG_PG_SIGMASK, .w = { SIG_BLOCK, 0 } };
    long r = pg_call(&m);
    if (r < 0)
        return (int)posix(r);
    *set = (sigset_t)m.w[1];
    return 0;
}

/* kill(2): pid > 0 that process; 0 the caller's group; < -1 group -pid. -1
   (every process) is not supported: ENOSYS. */
int kill(pid_t pid, int sig)
{
    if (pid > 0)
        return (int)posix(pg_call3(MSG_PG_KILL, pid, sig, 0));
    if (pid == -1)
        return (int)posix(-ENOSYS);
    return killpg(pid ? -pid : getpgrp(), sig);
}

int killpg(pid_t pg, int sig)
{
    return (int)posix(pg_call3(MSG_PG_KILLPG, pg, sig, 0));
}

/* raise: a caught signal's handler has run when it returns. */
int raise(int sig)
{
    return kill(getpid(), sig);
}

static long libc_ntfn = -1;

/* The process's notification for sleeping (nanosleep's timer, pause), made
   at first use; its slot or -errno. A timer left armed by an interrupted
   sleep may set it later: each user checks why it woke. */
long __libc_ntfn(void)
{
    if (libc_ntfn < 0) {
        long r = sys_ntfn_create();
        if (r < 0)
            return r;
        libc_ntfn = r;
    }
    return libc_ntfn;
}

/* fork's child: the parent's notification is not ours. */
void __libc_ntfn_forget(void)
{
    libc_ntfn = -1;
}

/* pause: block until a signal's handler has run; always -1 with EINTR. */
int pause(void)
{
    long ntfn = __libc_ntfn();
    if (ntfn < 0)
        return (int)posix(ntfn);
    for (;;) {
        long r = sys_wait(ntfn);
        if (r == -EINTR)
            return (int)posix(r);
    }
}

int setpgid(pid_t pid, pid_t pg)
{
    if (pid < 0 || pg < 0)
        return (int)posix(-EINVAL);
    return (int)posix(pg_call3(MSG_PG_SETPGID, pid ? pid : getpid(), pg, 0));
}

pid_t getpgid(pid_t pid) { return (pid_t)posix(pg_call3(MSG_PG_GETPGID, pid, 0, 0)); }
pid_t getpgrp(void) { return getpgid(0); }

int tcsetpgrp(int fd, pid_t pg)
{
    if (!isatty(fd))
        return -1;
    if (pg <= 0)
        return (int)posix(-EINVAL);
    long r = pg_call3(MSG_PG_TCPGRP, pg, 0, 0);
    return r < 0 ? (int)posix(r) : 0;
}

pid_t tcgetpgrp(int fd)
{
    if (!isatty(fd))
        return -1;
    return (pid_t)posix(pg_call3(MSG_PG_TCPGRP, -1, 0, 0));
}

static const struct { const char *name; int sig; } sig_names[] = {
    { "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "ILL", SIGILL }, { "TRAP", SIGTRAP },
    { "ABRT", SIGABRT }, { "FPE", SIGFPE }, { "KILL", SIGKILL }, { "BUS", SIGBUS }, { "SEGV", SIGSEGV },
    { "SYS", SIGSYS }, { "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM }, { "URG", SIGURG },
    { "CONT", SIGCONT }, { "CHLD", SIGCHLD }, { "WINCH", SIGWINCH }, { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 },
};

/* The signal a name or number stands for (kill -TERM, kill -15, SIGTERM);
   -1 if none. */
int sig_number(const char *s)
{
    if (is_number(s)) {
        long n = atol(s);
        return n >= 0 && n < NSIG ? (int)n : -1;
    }
    if (strncmp(s, "SIG", 3) == 0)
        s += 3;
    for (size_t i = 0; i < sizeof sig_names / sizeof sig_names[0]; i++)
        if (strcmp(s, sig_names[i].name) == 0)
            return sig_names[i].sig;
    return -1;
}

/* kill [-SIGNAL] PID... (the kill program and the shell's builtin): send each
   PID the signal (default SIGTERM), with a line on stderr, prefixed by prog,
   for each failure. Returns 0, 1 if any failed, 2 for bad usage. */
int kill_main(const char *prog, int argc, char **argv)
{
    int sig = SIGTERM, first = 1, status = 0;
    if (argc > 1 && argv[1][0] == '-') {
        if ((sig = sig_number(argv[1] + 1)) < 0) {
            dprintf(2, "%s: %s: no such signal\n", prog, argv[1] + 1);
            return 2;
        }
        first = 2;
    }
    if (first >= argc) {
        dprintf(2, "usage: kill [-SIGNAL] PID...\n");
        return 2;
    }
    for (int i = first; i < argc; i++) {
        long r = !is_number(argv[i]) ? -ESRCH : kill(atol(argv[i]), sig) < 0 ? -errno : 0;
        if (r < 0) {
            dprintf(2, "%s: %s: %s\n", prog, argv[i], errstr(r));
            status = 1;
        }
    }
    return status;
}
