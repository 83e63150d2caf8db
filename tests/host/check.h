// Tiny host-side test helper shared by the unit tests.
//
// A test case is a `static void test_<name>(void)` function. Inside it:
//   CHECK(cond)              record a failure and keep going
//   CHECKF(cond, fmt, ...)   same, with a printf-style explanation
//   REQUIRE(cond)            record a failure and return from the case
//   REQUIREF(cond, fmt, ...) same, with an explanation
// main() runs cases with CHECK_RUN(suite, name), which prints exactly one
// line per case:
//   PASS <suite>.<name>
//   FAIL <suite>.<name>: <file>:<line>: <first failure> [(+N more)]
// and returns check_exit_code(): 0 if every case passed, else 1.

#pragma once
#include <stdint.h>

#include <stdarg.h>
#include <stdio.h>

struct check_state {
    int failures;          // failed checks in the current case
    char reason[512];      // first failure of the current case
    int cases_run;
    int cases_failed;
};

static struct check_state check_st;

// Record a failed check at file:line; only the first one keeps its text.
__attribute__((format(printf, 3, 4)))
static inline void
check_fail(const char *file, int line, const char *fmt, ...)
{
    if (check_st.failures++ > 0)
        return;
    int n = snprintf(check_st.reason, sizeof check_st.reason, "%s:%d: ",
                     file, line);
    if (n < 0 || (size_t)n >= sizeof check_st.reason)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(check_st.reason + n, sizeof check_st.reason - (size_t)n, fmt, ap);
    va_end(ap);
    for (char *c = check_st.reason; *c; c++)    // keep it on one line
        if (*c == '\n' || *c == '\r')
            *c = ' ';
}

#define CHECK(cond) \
    ((cond) ? (void)0 : check_fail(__FILE__, __LINE__, "%s", "CHECK(" #cond ")"))

#define CHECKF(cond, ...) \
    ((cond) ? (void)0 : check_fail(__FILE__, __LINE__, __VA_ARGS__))

#define REQUIRE(cond) do { \
        if (!(cond)) { \
            check_fail(__FILE__, __LINE__, "%s", "REQUIRE(" #cond ")"); \
            return; \
        } \
    } while (0)

#define REQUIREF(cond, ...) do { \
        if (!(cond)) { \
            check_fail(__FILE__, __LINE__, __VA_ARGS__); \
            return; \
        } \
    } while (0)

// Number of failed checks so far in the running case.
static inline int
check_case_failures(void)
{
    return check_st.failures;
}

// Run one case and print its PASS/FAIL line.
static inline void
check_run(const char *suite, const char *name, void (*fn)(void))
{
    check_st.failures = 0;
    check_st.reason[0] = '\0';
    fn();
    check_st.cases_run++;
    if (check_st.failures == 0) {
        printf("PASS %s.%s\n", suite, name);
    } else {
        check_st.cases_failed++;
        if (check_st.failures > 1)
            printf("FAIL %s.%s: %s (+%d more)\n", suite, name,
                   check_st.reason, check_st.failures - 1);
        else
            printf("FAIL %s.%s: %s\n", suite, name, check_st.reason);
    }
    fflush(stdout);
}

#define CHECK_RUN(suite, name) check_run(#suite, #name, test_##name)

// Exit status for main: 0 if all cases passed (and at least one ran).
static inline int
check_exit_code(void)
{
    return (check_st.cases_failed == 0 && check_st.cases_run > 0) ? 0 : 1;
}

/* xorshift64* for reproducible randomized tests; a case that wants its own
   sequence sets rng_state first. */
static uint64_t rng_state __attribute__((unused)) = 0x9E3779B97F4A7C15ull;

static inline uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

/* Uniform-ish value in [0, n). */
static inline uint64_t rng_below(uint64_t n)
{
    return (rng() >> 11) % n;
}
