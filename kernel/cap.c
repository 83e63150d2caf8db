/* Cap tables: each address space names kernel objects through its slots (NSLOTS, the pager more). */
#include "obj.h"

/* Put a cap in the lowest free slot above 0. Returns the slot, or -ENOMEM when full. */
long cap_insert(struct aspace *as, enum cap_type type, void *obj, uint64_t badge)
{
    return cap_insert_at(as, 0, type, obj, badge);
}

/* Put a cap in `slot` (which must be free), or the lowest free one when slot is 0. */
long cap_insert_at(struct aspace *as, long slot, enum cap_type type, void *obj, uint64_t badge)
{
    if (slot < 0 || slot >= (long)as->ncaps)
        return -EINVAL;
    for (long i = slot ? slot : 1; i < (long)as->ncaps; i++) {
        struct cap *c = &as->caps[i];
        if (slot && c->type != CAP_NULL)
            return -EBUSY;
        if (c->type == CAP_NULL) {
            c->type = type;
            c->obj = obj;
            c->badge = badge;
            c->recv = badge == 0;
            if (type == CAP_ENDPOINT)
                ((struct endpoint *)obj)->holders++;
            else if (type == CAP_NTFN)
                ((struct ntfn *)obj)->holders++;
            else if (type == CAP_THREAD)
                ((struct thread *)obj)->owner_cap = c;
            else if (type == CAP_ASPACE)
                ((struct aspace *)obj)->owner_cap = c;
            else if (type == CAP_REPLY)
                ((struct thread *)obj)->reply_holder = (struct thread **)&c->obj;
            return i;
        }
    }
    return -ENOMEM;
}

void ep_put(struct endpoint *ep)
{
    if (--ep->holders == 0 && !ep->senders.head && !ep->receivers.head)
        kfree(ep);
}

void ntfn_put(struct ntfn *n)
{
    if (--n->holders == 0) {
        timer_set(n, 0, 0);
        if (!n->waiter && !n->bound)
            kfree(n);
    }
}

/* Empty a slot, dropping what it held. Deleting a thread or address-space cap
   leaves the object running; deleting a pending reply cap fails the caller. */
void cap_clear(struct cap *c)
{
    switch (c->type) {
    case CAP_ENDPOINT:
        ep_put(c->obj);
        break;
    case CAP_NTFN:
        ntfn_put(c->obj);
        break;
    case CAP_THREAD:
        ((struct thread *)c->obj)->owner_cap = NULL;
        break;
    case CAP_ASPACE:
        ((struct aspace *)c->obj)->owner_cap = NULL;
        break;
    case CAP_REPLY:
        if (c->obj)
            ipc_abort_reply(c->obj);
        break;
    default:
        break;
    }
    c->type = CAP_NULL;
    c->obj = NULL;
    c->badge = 0;
    c->recv = 0;
}
