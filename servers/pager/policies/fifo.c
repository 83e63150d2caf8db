/* fifo: the page that came in first goes first, used or not. The baseline
   that shows what the accessed bit buys. */
#include "frameq.h"

const struct policy fifo_policy = {
    .name = "fifo", .init = oneq_init, .insert = oneq_insert, .remove = oneq_remove,
    .victim = oneq_oldest,
};
POLICY(fifo_policy)
