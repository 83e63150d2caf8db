/* clock (the default): second chance on the accessed bit. Frames wait on one
   circular queue in the order their pages came in; the hand passes the
   frames used since it last looked (clearing their bits) and evicts the
   first one that was not. Between evictions the tick (about every 100 ms
   of the pager's time) sweeps ONEQ_SWEEP frames ahead, clearing their bits
   and moving the used ones to the back without evicting anything: when
   memory first runs short, a set bit means "used lately", not "used at
   some time since boot", and the frames at the front are the ones not
   used lately. Lazy: nothing is mapped before it is touched, and memory
   is overcommitted. No fault-around: the default keeps its fault path as
   cheap as it was. */
#include "frameq.h"

const struct policy clock_policy = {
    .name = "clock", .init = oneq_init, .insert = oneq_insert, .remove = oneq_remove,
    .victim = oneq_second_chance, .tick = oneq_tick,
};
POLICY(clock_policy)
