/* IPC call/reply between two tasks delivers the label and every word intact,
   many times over. The parent makes an endpoint and hands it to the child
   through GRANT_SLOT. */
#include "test.h"

#define ROUNDS 20000
#define QUIT 0x77

static long mix(long w, long i) { return (w ^ 0x5a5a5a5a5a5a5a5aL) + i * 3; }

static int server(void)
{
    struct msg m = { 0 };
    CHECK_EQ(sys_recv(GRANT_SLOT, &m), 0);
    for (;;) {
        if (m.label == QUIT) {
            m.label = QUIT;
            sys_reply(0, &m);
            return 0;
        }
        m.label = m.label + 1;
        for (int i = 0; i < 6; i++)
            m.w[i] = mix(m.w[i], i);
        CHECK_EQ(sys_replyrecv(GRANT_SLOT, &m), 0);
    }
}

int main(int argc, char **argv)
{
    long arg = argc > 1 ? atol(argv[1]) : 0;
    if (arg == 1)
        return server();
    long ep = sys_ep_create();
    CHECK(ep > 0);
    CHECK_EQ(sys_cap_copy(-1, ep, -1, GRANT_SLOT, 0), GRANT_SLOT);
    long pid = spawn("t_ipc", 1);
    CHECK(pid > 0);
    uint64_t x = 88172645463325252ULL;
    for (long r = 0; r < ROUNDS; r++) {
        struct msg m = { 0 }, sent;
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        m.label = (long)(x & 0xffff) + 0x1000;
        for (int i = 0; i < 6; i++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            m.w[i] = (long)x;
        }
        sent = m;
        CHECK_EQ(sys_call(GRANT_SLOT, &m), 0);
        CHECK_EQ(m.label, sent.label + 1);
        for (int i = 0; i < 6; i++)
            CHECK_EQ(m.w[i], mix(sent.w[i], i));
        CHECK_EQ(m.badge, 0);
    }
    struct msg q = { .label = QUIT };
    CHECK_EQ(sys_call(GRANT_SLOT, &q), 0);
    CHECK_EQ(q.label, QUIT);
    long how, code;
    CHECK_EQ(wait_how(pid, &how, &code), pid);
    CHECK_EQ(how, WAIT_EXITED);
    CHECK_EQ(code, 0);
    return 0;
}
