/* IPC tells an error from a message: a label may be any value, negative ones
   included, and the receiver gets exactly that label and those words; a real
   error (bad cap, a reply that will never come) is the stub's result and leaves
   the message alone. Only the kernel's own messages (faults, notifications)
   carry BADGE_FAULT: a task sending NOTIFY arrives with its cap's badge. */
#include "test.h"

#define BADGE 0x40
#define LONG_MIN_ (-0x7fffffffffffffffL - 1)

static void fill(struct msg *m, long label, long first)
{
    m->label = label;
    for (int i = 0; i < 6; i++)
        m->w[i] = first + i;
}

static void check_words(const struct msg *m, long first)
{
    for (int i = 0; i < 6; i++)
        CHECK_EQ(m->w[i], first + i);
}

/* The child: a client on a badged, send-only copy of the parent's endpoint. */
static int client(void)
{
    struct msg m;
    fill(&m, -5, 1);
    CHECK_EQ(sys_send(GRANT_SLOT, &m), 0);
    fill(&m, LONG_MIN_, 10);
    CHECK_EQ(sys_call(GRANT_SLOT, &m), 0);   /* the reply is labelled -EBADCAP */
    CHECK_EQ(m.label, -EBADCAP);
    check_words(&m, 20);
    fill(&m, -3, 30);
    CHECK_EQ(sys_call(GRANT_SLOT, &m), 0);   /* a reply labelled -EDEAD is a message */
    CHECK_EQ(m.label, -EDEAD);
    check_words(&m, 40);
    fill(&m, 7, 50);
    CHECK_EQ(sys_call(GRANT_SLOT, &m), -EDEAD); /* the server dropped the reply: an error */
    CHECK_EQ(m.label, 7);
    check_words(&m, 50);
    fill(&m, MSG_NOTIFY, 1);
    CHECK_EQ(sys_send(GRANT_SLOT, &m), 0);   /* a forged notification */
    fill(&m, 9, 60);
    CHECK_EQ(sys_call(63, &m), -EBADCAP);
    CHECK_EQ(sys_recv(GRANT_SLOT, &m), -EBADCAP); /* a badged copy cannot receive */
    CHECK_EQ(sys_send(0, &m), -EBADCAP);
    CHECK_EQ(m.label, 9);
    check_words(&m, 60);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && atol(argv[1]) == 1)
        return client();
    long ep = sys_ep_create();
    CHECK(ep > 0);
    CHECK_EQ(sys_cap_copy(-1, ep, -1, 0, BADGE_FAULT | BADGE), -EINVAL); /* the kernel's bit */
    CHECK_EQ(sys_cap_copy(-1, ep, -1, GRANT_SLOT, BADGE), GRANT_SLOT);
    long pid = spawn("t_ipclabel", 1);
    CHECK(pid > 0);

    struct msg m;
    fill(&m, 0, 0);
    CHECK_EQ(sys_recv(ep, &m), 0);
    CHECK_EQ(m.label, -5);
    check_words(&m, 1);
    CHECK_EQ(m.badge, BADGE);
    CHECK_EQ(sys_recv(ep, &m), 0);
    CHECK_EQ(m.label, LONG_MIN_);
    check_words(&m, 10);
    fill(&m, -EBADCAP, 20);
    CHECK_EQ(sys_replyrecv(ep, &m), 0);      /* reply, and take the next call */
    CHECK_EQ(m.label, -3);
    check_words(&m, 30);
    CHECK_EQ(m.badge, BADGE);
    fill(&m, -EDEAD, 40);
    CHECK_EQ(sys_replyrecv(ep, &m), 0);
    CHECK_EQ(m.label, 7);
    long slot = sys_reply_save();
    CHECK(slot > 0);
    CHECK_EQ(sys_cap_delete(slot), 0);       /* the caller gets -EDEAD */
    CHECK_EQ(sys_recv(ep, &m), 0);
    CHECK_EQ(m.label, MSG_NOTIFY);
    CHECK_EQ(m.badge, BADGE);                /* no BADGE_FAULT: not the kernel's */
    long how, code;
    CHECK_EQ(wait_how(pid, &how, &code), pid);
    CHECK_EQ(how, WAIT_EXITED);
    CHECK_EQ(code, 0);

    /* a bound notification arrives as NOTIFY with the kernel's bit */
    long n = sys_ntfn_create();
    CHECK(n > 0);
    CHECK_EQ(sys_ntfn_bind(n), 0);
    CHECK_EQ(sys_notify(n), 0);
    fill(&m, 0, 0);
    CHECK_EQ(sys_recv(ep, &m), 0);
    CHECK_EQ(m.label, MSG_NOTIFY);
    CHECK_EQ((uint64_t)m.badge, BADGE_FAULT);
    CHECK_EQ(m.w[0], 1);
    CHECK_EQ(sys_ntfn_bind(0), 0);
    CHECK_EQ(sys_recv(63, &m), -EBADCAP);
    return 0;
}
