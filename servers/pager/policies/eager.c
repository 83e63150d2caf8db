/* eager: every page of a region is mapped when the region is created or
   exec'd, and memory is strictly accounted, as the baseline that shows what
   laziness buys. Evicts like clock. */
#include "frameq.h"

const struct policy eager_policy = {
    .name = "eager", .init = oneq_init, .insert = oneq_insert, .remove = oneq_remove,
    .victim = oneq_second_chance, .eager = true, .strict = true,
};
POLICY(eager_policy)
