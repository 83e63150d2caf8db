/* Queues of frames for policies (frameq.h). */
#include "frameq.h"

int frameq_links_init(struct frameq_links *l, uint32_t n, void *(*alloc)(size_t))
{
    l->next = alloc(n * sizeof *l->next);
    l->prev = alloc(n * sizeof *l->prev);
    l->owner = alloc(n);
    return l->next && l->prev && l->owner ? 0 : -1;
}

void frameq_init(struct frameq *q, struct frameq_links *l, uint8_t id)
{
    q->l = l;
    q->id = id;
    q->head = NO_FRAME;
    q->count = 0;
    q->hand = NO_FRAME;
}

bool frameq_has(const struct frameq *q, uint32_t f)
{
    return q->l->owner[f] == q->id;
}

void frameq_push(struct frameq *q, uint32_t f)
{
    struct frameq_links *l = q->l;
    if (q->head == NO_FRAME) {
        l->next[f] = l->prev[f] = f;
        q->head = f;
    } else {
        uint32_t tail = l->prev[q->head];
        l->next[tail] = f;
        l->prev[f] = tail;
        l->next[f] = q->head;
        l->prev[q->head] = f;
    }
    l->owner[f] = q->id;
    q->count++;
}

void frameq_del(struct frameq *q, uint32_t f)
{
    struct frameq_links *l = q->l;
    if (q->hand == f) /* the sweep goes on at the next one */
        q->hand = l->next[f] == f ? NO_FRAME : l->next[f];
    if (l->next[f] == f) {
        q->head = NO_FRAME;
    } else {
        l->next[l->prev[f]] = l->next[f];
        l->prev[l->next[f]] = l->prev[f];
        if (q->head == f)
            q->head = l->next[f];
    }
    l->owner[f] = 0;
    q->count--;
}

uint32_t frameq_pop(struct frameq *q)
{
    uint32_t f = q->head;
    if (f != NO_FRAME)
        frameq_del(q, f);
    return f;
}

void frameq_rotate(struct frameq *q)
{
    if (q->head != NO_FRAME)
        q->head = q->l->next[q->head];
}

uint32_t frameq_second_chance(struct frameq *q, bool (*accessed)(uint32_t))
{
    for (uint32_t looked = 0; q->head != NO_FRAME; looked++) {
        uint32_t f = q->head;
        frameq_rotate(q);
        if (looked == q->count || !accessed(f))
            return f;
    }
    return NO_FRAME;
}

void frameq_sweep(struct frameq *q, uint32_t max, bool (*accessed)(uint32_t))
{
    if (max > q->count)
        max = q->count;
    for (uint32_t i = 0; i < max; i++) {
        uint32_t f = q->hand != NO_FRAME ? q->hand : q->head;
        uint32_t next = q->l->next[f];
        if (accessed(f)) {
            if (f == q->head) {
                frameq_rotate(q);
            } else {
                frameq_del(q, f);
                frameq_push(q, f);
            }
        }
        q->hand = next;
    }
}

/* ---- one queue of every inserted frame ---- */

static const struct policy_env *one_env;
static struct frameq_links one_links;
static struct frameq one;

int oneq_init(const struct policy_env *e)
{
    one_env = e;
    frameq_init(&one, &one_links, 1);
    return frameq_links_init(&one_links, e->nframes, e->alloc);
}

void oneq_insert(uint32_t f, uint64_t key)
{
    (void)key;
    frameq_push(&one, f);
}

void oneq_remove(uint32_t f, bool evicted)
{
    (void)evicted;
    frameq_del(&one, f);
}

uint32_t oneq_second_chance(void)
{
    return frameq_second_chance(&one, one_env->accessed);
}

void oneq_tick(void)
{
    frameq_sweep(&one, ONEQ_SWEEP, one_env->accessed);
}

uint32_t oneq_oldest(void)
{
    uint32_t f = one.head;
    frameq_rotate(&one);
    return f;
}
