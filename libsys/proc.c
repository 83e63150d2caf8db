/* Processes and memory through the pager protocol (abi.def: PG_*), on PAGER_SLOT. */
#include "sys.h"

static long pager_call(struct msg *m)
{
    long r = sys_call(PAGER_SLOT, m);
    return r < 0 ? r : m->w[0];
}

void exit(long status)
{
    struct msg m = { .label = MSG_PG_EXIT, .w = { status } };
    for (;;)
        sys_call(PAGER_SLOT, &m); /* the pager destroys us; never returns */
}

long spawn(const char *name, long arg)
{
    struct msg m = { .label = MSG_PG_SPAWN };
    if (strlen(name) >= 32)
        return -ENAMETOOLONG;
    strncpy((char *)m.w, name, 32);
    m.w[4] = arg;
    return pager_call(&m);
}

long waitpid(long pid, long *how, long *code)
{
    struct msg m = { .label = MSG_PG_WAIT, .w = { pid } };
    long r = pager_call(&m);
    if (r >= 0) {
        if (how)
            *how = m.w[1];
        if (code)
            *code = m.w[2];
    }
    return r;
}

long kill(long pid)
{
    struct msg m = { .label = MSG_PG_KILL, .w = { pid } };
    return pager_call(&m);
}

long getpid(void)
{
    struct msg m = { .label = MSG_PG_GETPID };
    return pager_call(&m);
}

void *anon_map(size_t len)
{
    struct msg m = { .label = MSG_PG_ANON, .w = { (long)len } };
    long r = pager_call(&m);
    return r < 0 ? NULL : (void *)r;
}

long pager_stat(struct pager_stat *st)
{
    struct msg m = { .label = MSG_PG_STAT };
    long r = sys_call(PAGER_SLOT, &m);
    if (r < 0)
        return r;
    st->free_frames = m.w[0];
    st->total_frames = m.w[1];
    st->zero_fill = m.w[2];
    st->zero_page = m.w[3];
    return 0;
}

long shutdown(void)
{
    struct msg m = { .label = MSG_PG_SHUTDOWN };
    return pager_call(&m);
}

long device_info(long which, long *size, long *irq)
{
    struct msg m = { .label = MSG_PG_DEVICE, .w = { which } };
    long r = pager_call(&m);
    if (r >= 0) {
        if (size)
            *size = m.w[1];
        if (irq)
            *irq = m.w[2];
    }
    return r;
}
