/* From _start to main: thread-local storage, the environment, the auxiliary
   vector, and stdio flushed at exit. */
#include "sys.h"
#include <picotls.h>
#include <sys/auxv.h>
#include <time.h>

extern char __tls_size[], __tls_align[];   /* user.ld: the size of a TLS block (tdata, then tbss) */
extern char **environ;
int main(int argc, char **argv, char **envp);

#define AT_NULL 0                /* the auxiliary vector's end (picolibc's <sys/auxv.h> has no AT_NULL) */
static unsigned long *auxv;
uint64_t __start_ticks;         /* rdtime at start, in clock() ticks (posix.c: times) */     /* pairs of AT_* and value, ending with AT_NULL */

/* getauxval(3): the value of entry `type`, or 0 (errno ENOENT) when absent. */
unsigned long getauxval(unsigned long type)
{
    for (unsigned long *a = auxv; a && a[0] != AT_NULL; a += 2)
        if (a[0] == type)
            return a[1];
    errno = ENOENT;
    return 0;
}

static void flush_std(void)
{
    fflush(stdout);
    fflush(stderr);
}

/* The one thread's TLS block: here when it fits (it holds errno and the
   program's own __thread variables), else from sbrk. */
static char tls_block[512] __attribute__((aligned(64)));

static void *tls_alloc(void)
{
    size_t size = (size_t)__tls_size, align = (size_t)__tls_align;
    if (size <= sizeof tls_block && align <= 64)
        return tls_block;
    char *p = sbrk((ptrdiff_t)(size + align));
    if (p == (char *)-1) {
        static const char msg[] = "start: no memory for thread-local storage\n";
        write(2, msg, sizeof msg - 1);
        _exit(127);
    }
    return (void *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
}

/* sp: argc, argv[argc], NULL, envp..., NULL, auxv pairs..., AT_NULL. */
void __start(long *sp)
{
    __start_ticks = rdtime() / (RDTIME_HZ / CLOCKS_PER_SEC);
    void *tls = tls_alloc();
    _init_tls(tls);
    _set_tls(tls);
    int argc = (int)sp[0];
    char **argv = (char **)(sp + 1);
    char **envp = argv + argc + 1;
    char **e = envp;
    while (*e)
        e++;
    auxv = (unsigned long *)(e + 1);
    environ = envp;
    atexit(flush_std);
    exit(main(argc, argv, envp));
}
