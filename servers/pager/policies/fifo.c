/* fifo: the page that came in first goes first, used or not. The baseline
   that shows what the accessed bit buys. */
#include "frameq.h"

static struct frameq_links links;
static struct frameq queue;

static int fifo_init(const struct policy_env *e)
{
    frameq_init(&queue, &links, 1);
    return frameq_links_init(&links, e->nframes, e->alloc);
}

static void fifo_insert(uint32_t f, uint64_t key)
{
    (void)key;
    frameq_push(&queue, f);
}

static void fifo_remove(uint32_t f, bool evicted)
{
    (void)evicted;
    frameq_del(&queue, f);
}

/* The oldest, which goes to the back in case it cannot be evicted now. */
static uint32_t fifo_victim(void)
{
    uint32_t f = queue.head;
    frameq_rotate(&queue);
    return f;
}

const struct policy fifo_policy = {
    .name = "fifo", .init = fifo_init, .insert = fifo_insert, .remove = fifo_remove,
    .victim = fifo_victim,
};
POLICY(fifo_policy)
