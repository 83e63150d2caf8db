/* clock (the default): second chance on the accessed bit. Frames wait on one
   circular queue in the order their pages came in; the hand passes the
   frames used since it last looked (clearing their bits) and evicts the
   first one that was not. Lazy: nothing is mapped before it is touched, and
   memory is overcommitted. */
#include "frameq.h"

const struct policy clock_policy = {
    .name = "clock", .init = oneq_init, .insert = oneq_insert, .remove = oneq_remove,
    .victim = oneq_second_chance,
};
POLICY(clock_policy)
