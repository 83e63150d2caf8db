/* picolibc's <time.h>, and the POSIX clocks and sleep it declares only for
   systems that define _POSIX_TIMERS (libc/posix.c implements them). */
#pragma once
#include_next <time.h>

#ifndef _POSIX_TIMERS
#ifndef CLOCK_MONOTONIC
#define CLOCK_MONOTONIC ((clockid_t)4)
#endif
int clock_gettime(clockid_t clock_id, struct timespec *tp);
int clock_getres(clockid_t clock_id, struct timespec *res);
int nanosleep(const struct timespec *req, struct timespec *rem);
#endif
