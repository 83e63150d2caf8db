/* clock (the default): second chance on the accessed bit. Frames wait on one
   circular queue in the order their pages came in; the hand passes the
   frames used since it last looked (clearing their bits) and evicts the
   first one that was not. Lazy: nothing is mapped before it is touched. */
#include "frameq.h"

static const struct policy_env *env;
static struct frameq_links links;
static struct frameq ring;

static int clock_init(const struct policy_env *e)
{
    env = e;
    frameq_init(&ring, &links, 1);
    return frameq_links_init(&links, e->nframes, e->alloc);
}

static void clock_insert(uint32_t f, uint64_t key)
{
    (void)key;
    frameq_push(&ring, f);
}

static void clock_remove(uint32_t f, bool evicted)
{
    (void)evicted;
    frameq_del(&ring, f);
}

static uint32_t clock_victim(void)
{
    return frameq_second_chance(&ring, env->accessed);
}

const struct policy clock_policy = {
    .name = "clock", .init = clock_init, .insert = clock_insert, .remove = clock_remove,
    .victim = clock_victim,
};
POLICY(clock_policy)
