/* Regression tests from a review of file mmap and write-back (each was a
   bug; user/review/ has one file per case, with its story in its header):
   mprotect(PROT_NONE) keeps the dirty bits; a truncate wakes writers waiting
   for dropped pages; copies into unread file pages wait; open(O_TRUNC) racing
   unlink and racing a page read; a write-back error is reported once; every
   process can park; a failed page read fails its waiters; a write with a bad
   buffer leaves no frames behind. Each runs in a child of its own. */
#include "test.h"
#define main review_mprotect_dirty
#define round_ round_mprotect_dirty
#define page page_mprotect_dirty
#include "review/mprotect_dirty.c"
#undef main
#undef round_
#undef page
#define main review_trunc_wakes_writer
#define round_ round_trunc_wakes_writer
#define page page_trunc_wakes_writer
#include "review/trunc_wakes_writer.c"
#undef main
#undef round_
#undef page
#define main review_copy_waits
#define round_ round_copy_waits
#define page page_copy_waits
#include "review/copy_waits.c"
#undef main
#undef round_
#undef page
#define main review_trunc_unlink
#define round_ round_trunc_unlink
#define page page_trunc_unlink
#include "review/trunc_unlink.c"
#undef main
#undef round_
#undef page
#define main review_trunc_readpage
#define round_ round_trunc_readpage
#define page page_trunc_readpage
#include "review/trunc_readpage.c"
#undef main
#undef round_
#undef page
#define main review_wb_error_kept
#define round_ round_wb_error_kept
#define page page_wb_error_kept
#include "review/wb_error_kept.c"
#undef main
#undef round_
#undef page
#define main review_park_room
#define round_ round_park_room
#define page page_park_room
#include "review/park_room.c"
#undef main
#undef round_
#undef page
#define main review_read_error
#define round_ round_read_error
#define page page_read_error
#include "review/read_error.c"
#undef main
#undef round_
#undef page
#define main review_bad_write_buffer
#define round_ round_bad_write_buffer
#define page page_bad_write_buffer
#include "review/bad_write_buffer.c"
#undef main
#undef round_
#undef page

static const struct { const char *name; int (*fn)(void); } cases[] = {
    { "mprotect_dirty", review_mprotect_dirty },
    { "trunc_wakes_writer", review_trunc_wakes_writer },
    { "copy_waits", review_copy_waits },
    { "trunc_unlink", review_trunc_unlink },
    { "trunc_readpage", review_trunc_readpage },
    { "wb_error_kept", review_wb_error_kept },
    { "park_room", review_park_room },
    { "read_error", review_read_error },
    { "bad_write_buffer", review_bad_write_buffer },
};

int main(void)
{
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int pid = fork();
        if (pid == 0)
            exit(cases[i].fn());
        long how, code;
        CHECK_EQ(wait_how(pid, &how, &code), pid);
        if (how != WAIT_EXITED || code != 0)
            printf("t_fsreview: %s failed (%s %ld)\n", cases[i].name, how == WAIT_EXITED ? "exit" : "killed", code);
        CHECK(how == WAIT_EXITED && code == 0);
    }
    return 0;
}
