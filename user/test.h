/* Helpers for in-guest test programs: a failed check prints where and exits 1. */
#pragma once
#include "sys.h"

#define CHECK(cond) do { \
    if (!(cond)) { printf("check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); exit(1); } \
} while (0)

#define CHECK_EQ(a, b) do { \
    long a_ = (long)(a), b_ = (long)(b); \
    if (a_ != b_) { printf("check failed: %s == %s (%ld != %ld) (%s:%d)\n", #a, #b, a_, b_, __FILE__, __LINE__); exit(1); } \
} while (0)

/* Spawn `name` with arg and return how it ended: WAIT_EXITED/WAIT_KILLED in *how, code in *code. */
static inline void run_child(const char *name, long arg, long *how, long *code)
{
    long pid = spawn(name, arg);
    CHECK(pid > 0);
    CHECK_EQ(waitpid(pid, how, code), pid);
}
