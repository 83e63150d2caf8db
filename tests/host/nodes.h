// Shadow-table nodes for host tests: aligned_alloc + memset, counted, so a
// test can check that every node it was given went back (nodes_live == 0).
#pragma once
#include <stdlib.h>
#include <string.h>
#include "shadow.h"

static size_t nodes_live;

static void *
node_alloc(void *ctx)
{
    (void)ctx;
    void *n = aligned_alloc(SHADOW_NODE_BYTES, SHADOW_NODE_BYTES);
    if (n) {
        memset(n, 0, SHADOW_NODE_BYTES);
        nodes_live++;
    }
    return n;
}

static void
node_free(void *ctx, void *n)
{
    (void)ctx;
    nodes_live--;
    free(n);
}

static const struct shadow_ops node_ops = { node_alloc, node_free, NULL };
