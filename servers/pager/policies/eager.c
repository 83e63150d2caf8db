/* eager: every page of a region is mapped when the region is created or
   exec'd, and memory is strictly accounted, as the baseline that shows what
   laziness buys. Evicts like clock. */
#include "frameq.h"

static const struct policy_env *env;
static struct frameq_links links;
static struct frameq ring;

static int eager_init(const struct policy_env *e)
{
    env = e;
    frameq_init(&ring, &links, 1);
    return frameq_links_init(&links, e->nframes, e->alloc);
}

static void eager_insert(uint32_t f, uint64_t key)
{
    (void)key;
    frameq_push(&ring, f);
}

static void eager_remove(uint32_t f, bool evicted)
{
    (void)evicted;
    frameq_del(&ring, f);
}

static uint32_t eager_victim(void)
{
    return frameq_second_chance(&ring, env->accessed);
}

const struct policy eager_policy = {
    .name = "eager", .init = eager_init, .insert = eager_insert, .remove = eager_remove,
    .victim = eager_victim, .eager = true, .strict = true,
};
POLICY(eager_policy)
