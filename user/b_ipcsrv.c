/* The server side of the IPC benchmark: answers every call on GRANT_SLOT with
   reply-and-receive until a call with label 0. */
#include "sys.h"

int main(int argc, char **argv)
{
    long arg = argc > 1 ? atol(argv[1]) : 0;
    (void)arg;
    struct msg m = { 0 };
    sys_recv(GRANT_SLOT, &m);
    while (m.label != 0)
        sys_replyrecv(GRANT_SLOT, &m);
    sys_reply(0, &m);
    return 0;
}
