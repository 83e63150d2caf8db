/* The server side of the IPC benchmark: answers every call on GRANT_SLOT with
   reply-and-receive until a call with label 0. Arg h > 0: it runs only on
   hart h - 1 (b_smp's ipc_call_reply_smp). */
#include "sys.h"

int main(int argc, char **argv)
{
    long arg = argc > 1 ? atol(argv[1]) : 0;
    if (arg > 0 && sys_thread_pin(-1, arg - 1) != 0)
        return 1;
    struct msg m = { 0 };
    sys_recv(GRANT_SLOT, &m);
    while (m.label != 0)
        sys_replyrecv(GRANT_SLOT, &m);
    sys_reply(0, &m);
    return 0;
}
