/* Inside the C library only: the POSIX convention for results. */
#pragma once

/* -errno to -1 and errno; anything else through. */
static inline long posix(long r)
{
    if (r < 0 && r > -4096) {
        errno = (int)-r;
        return -1;
    }
    return r;
}
