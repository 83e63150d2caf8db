/* Flattened device tree parser.

   Blob layout (all integers big-endian):

     header (40 bytes, version 17)
     memory reservation block          (ignored here)
     structure block: a token stream, each token a 32-bit word,
       BEGIN_NODE name\0 [pad to 4]
       PROP len nameoff data[len] [pad to 4]
       NOP
       END_NODE
       END
     strings block: NUL-terminated property names, indexed by nameoff.

   Per the devicetree spec, a node's properties precede its subnodes,
   so a node is "complete" when its first child begins or when it
   ends, whichever comes first.  At that moment we look at the node's
   interesting properties and record what it describes.  This means we
   only ever keep the properties of one node at a time, plus a small
   per-depth stack of #address-cells/#size-cells, so the parser's
   stack footprint stays small enough for a kernel stack.

   Every read goes through in_bounds()-checked offsets; the blob is
   read a byte at a time so it need not be aligned. */

#include "fdt.h"

#define FDT_BEGIN_NODE 0x1U
#define FDT_END_NODE   0x2U
#define FDT_PROP       0x3U
#define FDT_NOP        0x4U
#define FDT_END        0x9U

#define FDT_HDR_SIZE   40U     /* version 17 header */
#define FDT_MAX_DEPTH  32      /* nesting limit (QEMU virt needs ~5) */
#define FDT_MAX_CELLS  4U      /* sanity limit for #address/#size-cells */

/* Header word offsets. */
#define H_MAGIC        0
#define H_TOTALSIZE    4
#define H_OFF_STRUCT   8
#define H_OFF_STRINGS  12
#define H_OFF_RSVMAP   16
#define H_VERSION      20
#define H_LAST_COMP    24
#define H_SIZE_STRINGS 32
#define H_SIZE_STRUCT  36

/* What we know about a node from its path alone. */
enum node_kind {
    K_OTHER,
    K_ROOT,
    K_MEMORY,   /* /memory or /memory@... */
    K_CPUS,     /* /cpus */
    K_CPU,      /* /cpus/cpu or /cpus/cpu@... */
    K_CHOSEN,   /* /chosen */
};

/* One property value inside the blob; p == NULL means absent. */
struct prop {
    const uint8_t *p;
    uint32_t len;
};

/* Per-depth record.  ac/sc are the cells this node declares for its
   children (defaults 2/1). */
struct level {
    uint32_t ac, sc;
    enum node_kind kind;
};

struct parser {
    const uint8_t *blob;
    uint64_t struct_off, struct_end;    /* [struct_off, struct_end) */
    uint64_t strings_off, strings_size;
    struct fdt_info *out;

    int depth;                          /* open nodes; stack[depth-1] is current */
    struct level stack[FDT_MAX_DEPTH];

    /* Properties of the current node; valid while !cur_done. */
    bool cur_done;
    struct prop reg, compat, irqs, irqs_ext, devtype, timebase, bootargs, status;

    bool have_mem, have_uart, have_plic, have_tb, have_cpu_tb;
    uint64_t cpu_tb;
};

static uint32_t be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

/* Fold n big-endian cells into a value; with n > 2 only the low
   64 bits survive.  Returns 0 for n == 0. */
static uint64_t read_cells(const uint8_t *p, uint32_t n)
{
    uint64_t v = 0;
    for (uint32_t i = 0; i < n; i++)
        v = (v << 32) | be32(p + 4 * i);
    return v;
}

/* Does the n-byte, possibly unterminated string s equal the C string
   lit?  s need not be NUL-terminated; a NUL inside n ends it.
   Returns false on any mismatch. */
static bool str_eq(const uint8_t *s, uint64_t n, const char *lit)
{
    uint64_t i = 0;
    for (; lit[i] != '\0'; i++)
        if (i >= n || s[i] != (uint8_t)lit[i])
            return false;
    return i == n || s[i] == '\0';
}

/* Is the node name (n bytes, unit address after '@') equal to base
   either exactly or as "base@..."?  Returns false otherwise. */
static bool name_is(const uint8_t *name, uint64_t n, const char *base)
{
    uint64_t i = 0;
    for (; base[i] != '\0'; i++)
        if (i >= n || name[i] != (uint8_t)base[i])
            return false;
    return i == n || name[i] == '@';
}

/* Is the property's (string) value equal to lit?
   Returns false when the property is absent. */
static bool prop_is(const struct prop *pr, const char *lit)
{
    return pr->p != NULL && str_eq(pr->p, pr->len, lit);
}

/* Does the stringlist property contain the string lit?
   Returns false when the property is absent. */
static bool has_compat(const struct prop *pr, const char *lit)
{
    uint32_t i = 0;
    if (pr->p == NULL)
        return false;
    while (i < pr->len) {
        uint32_t j = i;
        while (j < pr->len && pr->p[j] != '\0')
            j++;
        if (str_eq(pr->p + i, j - i, lit))
            return true;
        i = j + 1;
    }
    return false;
}

/* Decode the first (address, size) entry of the current node's "reg"
   using the parent's cell counts.  Returns false if there is no
   parent, no reg, or reg is too short for one entry. */
static bool first_reg(struct parser *ps, uint64_t *base, uint64_t *size)
{
    if (ps->depth < 2 || ps->reg.p == NULL)
        return false;
    const struct level *parent = &ps->stack[ps->depth - 2];
    uint64_t need = 4ULL * (parent->ac + parent->sc);
    if (need == 0 || ps->reg.len < need)
        return false;
    *base = read_cells(ps->reg.p, parent->ac);
    *size = read_cells(ps->reg.p + 4 * parent->ac, parent->sc);
    return true;
}

/* Interrupt number of the current node: first cell of "interrupts",
   else the cell after the phandle in "interrupts-extended".
   Returns 0 when neither is usable. */
static uint32_t first_irq(const struct parser *ps)
{
    if (ps->irqs.p != NULL && ps->irqs.len >= 4)
        return be32(ps->irqs.p);
    if (ps->irqs_ext.p != NULL && ps->irqs_ext.len >= 8)
        return be32(ps->irqs_ext.p + 4);
    return 0;
}

/* Decode a u32 or u64 property into *v.  Returns false if absent or
   of any other length. */
static bool prop_u32_or_u64(const struct prop *pr, uint64_t *v)
{
    if (pr->p == NULL)
        return false;
    if (pr->len == 4) {
        *v = be32(pr->p);
        return true;
    }
    if (pr->len == 8) {
        *v = read_cells(pr->p, 2);
        return true;
    }
    return false;
}

/* The current node is complete: record whatever it describes.
   Cannot fail; unusable nodes are simply skipped. */
static void finish_node(struct parser *ps)
{
    struct fdt_info *out = ps->out;
    enum node_kind kind = ps->stack[ps->depth - 1].kind;
    uint64_t base, size, tb;

    if (ps->cur_done)
        return;
    ps->cur_done = true;

    if (!ps->have_mem &&
        (kind == K_MEMORY || prop_is(&ps->devtype, "memory")) &&
        first_reg(ps, &base, &size)) {
        out->mem_base = base;
        out->mem_size = size;
        ps->have_mem = true;
    }

    if (kind == K_CPUS && !ps->have_tb && prop_u32_or_u64(&ps->timebase, &tb)) {
        out->timebase_hz = tb;
        ps->have_tb = true;
    }
    if (kind == K_CPU && !ps->have_cpu_tb && prop_u32_or_u64(&ps->timebase, &tb)) {
        ps->cpu_tb = tb;
        ps->have_cpu_tb = true;
    }

    if (kind == K_CPU && ps->reg.p != NULL && ps->reg.len == 4 &&
        (ps->status.p == NULL || prop_is(&ps->status, "okay")) &&
        out->nharts < FDT_MAX_HARTS)
        out->hartid[out->nharts++] = be32(ps->reg.p);

    if (kind == K_CHOSEN && ps->bootargs.p != NULL) {
        uint32_t i = 0;
        for (; i < ps->bootargs.len && i < sizeof(out->bootargs) - 1; i++) {
            if (ps->bootargs.p[i] == '\0')
                break;
            out->bootargs[i] = (char)ps->bootargs.p[i];
        }
        out->bootargs[i] = '\0';
    }

    if (ps->compat.p == NULL || !first_reg(ps, &base, &size))
        return;

    if (!ps->have_uart && has_compat(&ps->compat, "ns16550a")) {
        out->uart_base = base;
        out->uart_irq = first_irq(ps);
        ps->have_uart = true;
    }
    if (!ps->have_plic && (has_compat(&ps->compat, "sifive,plic-1.0.0") ||
                           has_compat(&ps->compat, "riscv,plic0"))) {
        out->plic_base = base;
        out->plic_size = size;
        ps->have_plic = true;
    }
    if (out->rtc_base == 0 && has_compat(&ps->compat, "google,goldfish-rtc")) {
        out->rtc_base = base;
        out->rtc_size = size;
        out->rtc_irq = first_irq(ps);
    }
    if (out->nvirtio < FDT_MAX_VIRTIO && has_compat(&ps->compat, "virtio,mmio")) {
        struct fdt_virtio *v = &out->virtio[out->nvirtio++];
        v->base = base;
        v->size = size;
        v->irq = first_irq(ps);
    }
}

/* Forget the current node's properties before a new node starts. */
static void reset_props(struct parser *ps)
{
    struct prop none = { NULL, 0 };
    ps->reg = ps->compat = ps->irqs = ps->irqs_ext = none;
    ps->devtype = ps->timebase = ps->bootargs = ps->status = none;
    ps->cur_done = false;
}

/* BEGIN_NODE with the given name.  Returns 0, or FDT_ERR_STRUCT if
   nesting is too deep or a second root node appears. */
static int begin_node(struct parser *ps, const uint8_t *name, uint64_t namelen, bool *seen_root)
{
    enum node_kind kind = K_OTHER;

    if (ps->depth == 0) {
        if (*seen_root)
            return FDT_ERR_STRUCT;
        *seen_root = true;
        kind = K_ROOT;
    } else {
        finish_node(ps);                 /* parent's properties are complete */
        if (ps->depth >= FDT_MAX_DEPTH)
            return FDT_ERR_STRUCT;
        enum node_kind pk = ps->stack[ps->depth - 1].kind;
        if (pk == K_ROOT) {
            if (name_is(name, namelen, "memory"))
                kind = K_MEMORY;
            else if (str_eq(name, namelen, "cpus"))
                kind = K_CPUS;
            else if (str_eq(name, namelen, "chosen"))
                kind = K_CHOSEN;
        } else if (pk == K_CPUS && name_is(name, namelen, "cpu")) {
            kind = K_CPU;
        }
    }

    struct level *lv = &ps->stack[ps->depth++];
    lv->ac = 2;                          /* spec defaults */
    lv->sc = 1;
    lv->kind = kind;
    reset_props(ps);
    return 0;
}

/* PROP whose name is the NUL-terminated string at nm (n bytes
   excluding NUL) with value [val, val+len).  Returns 0, or
   FDT_ERR_STRUCT for a property outside a node, after a subnode, or a
   bad #address-cells/#size-cells value. */
static int property(struct parser *ps, const uint8_t *nm, uint64_t n,
                    const uint8_t *val, uint32_t len)
{
    struct prop pr = { val, len };

    if (ps->depth == 0 || ps->cur_done)
        return FDT_ERR_STRUCT;

    struct level *lv = &ps->stack[ps->depth - 1];
    if (str_eq(nm, n, "#address-cells")) {
        if (len != 4 || be32(val) > FDT_MAX_CELLS)
            return FDT_ERR_STRUCT;
        lv->ac = be32(val);
    } else if (str_eq(nm, n, "#size-cells")) {
        if (len != 4 || be32(val) > FDT_MAX_CELLS)
            return FDT_ERR_STRUCT;
        lv->sc = be32(val);
    } else if (str_eq(nm, n, "reg")) {
        ps->reg = pr;
    } else if (str_eq(nm, n, "compatible")) {
        ps->compat = pr;
    } else if (str_eq(nm, n, "interrupts")) {
        ps->irqs = pr;
    } else if (str_eq(nm, n, "interrupts-extended")) {
        ps->irqs_ext = pr;
    } else if (str_eq(nm, n, "device_type")) {
        ps->devtype = pr;
    } else if (str_eq(nm, n, "timebase-frequency")) {
        ps->timebase = pr;
    } else if (str_eq(nm, n, "bootargs")) {
        ps->bootargs = pr;
    } else if (str_eq(nm, n, "status")) {
        ps->status = pr;
    }
    return 0;
}

/* Walk the structure block.  Returns 0 on reaching a well-placed END
   token, FDT_ERR_STRUCT on anything malformed. */
static int walk(struct parser *ps)
{
    const uint8_t *b = ps->blob;
    uint64_t pos = ps->struct_off;
    uint64_t end = ps->struct_end;
    bool seen_root = false;
    int r;

    for (;;) {
        if (pos > end || end - pos < 4)
            return FDT_ERR_STRUCT;       /* ran off the block without END */
        uint32_t tok = be32(b + pos);
        pos += 4;

        switch (tok) {
        case FDT_BEGIN_NODE: {
            uint64_t start = pos;
            while (pos < end && b[pos] != '\0')
                pos++;
            if (pos >= end)
                return FDT_ERR_STRUCT;   /* unterminated name */
            r = begin_node(ps, b + start, pos - start, &seen_root);
            if (r < 0)
                return r;
            pos = (pos + 1 + 3) & ~3ULL;
            break;
        }
        case FDT_END_NODE:
            if (ps->depth == 0)
                return FDT_ERR_STRUCT;
            finish_node(ps);
            ps->depth--;
            ps->cur_done = true;         /* parent already had a child */
            break;
        case FDT_PROP: {
            if (pos > end || end - pos < 8)
                return FDT_ERR_STRUCT;
            uint32_t len = be32(b + pos);
            uint32_t nameoff = be32(b + pos + 4);
            pos += 8;
            if (len > end - pos)
                return FDT_ERR_STRUCT;   /* value runs off the block */
            if (nameoff >= ps->strings_size)
                return FDT_ERR_STRUCT;
            const uint8_t *nm = b + ps->strings_off + nameoff;
            uint64_t room = ps->strings_size - nameoff, n = 0;
            while (n < room && nm[n] != '\0')
                n++;
            if (n >= room)
                return FDT_ERR_STRUCT;   /* unterminated property name */
            r = property(ps, nm, n, b + pos, len);
            if (r < 0)
                return r;
            pos = (pos + len + 3) & ~3ULL;
            break;
        }
        case FDT_NOP:
            break;
        case FDT_END:
            if (!seen_root || ps->depth != 0)
                return FDT_ERR_STRUCT;
            return 0;
        default:
            return FDT_ERR_STRUCT;
        }
    }
}

/* Validate the header against min(totalsize, maxlen) and fill in the
   block bounds.  Returns 0 or FDT_ERR_HEADER. */
static int check_header(struct parser *ps, size_t maxlen)
{
    const uint8_t *b = ps->blob;

    if (maxlen < FDT_HDR_SIZE)
        return FDT_ERR_HEADER;
    if (be32(b + H_MAGIC) != FDT_MAGIC)
        return FDT_ERR_HEADER;

    uint64_t total = be32(b + H_TOTALSIZE);
    uint64_t off_struct = be32(b + H_OFF_STRUCT);
    uint64_t off_strings = be32(b + H_OFF_STRINGS);
    uint64_t off_rsv = be32(b + H_OFF_RSVMAP);
    uint32_t version = be32(b + H_VERSION);
    uint32_t last_comp = be32(b + H_LAST_COMP);
    uint64_t size_strings = be32(b + H_SIZE_STRINGS);
    uint64_t size_struct;

    if (total < FDT_HDR_SIZE || total > maxlen)
        return FDT_ERR_HEADER;
    if (version < 16 || last_comp > 17)
        return FDT_ERR_HEADER;
    if (off_struct < FDT_HDR_SIZE || off_struct > total || (off_struct & 3) != 0)
        return FDT_ERR_HEADER;
    if (off_rsv < FDT_HDR_SIZE || off_rsv > total || (off_rsv & 7) != 0)
        return FDT_ERR_HEADER;
    if (version >= 17)
        size_struct = be32(b + H_SIZE_STRUCT);
    else
        size_struct = total - off_struct;
    if (off_struct + size_struct > total)        /* 64-bit sums: no overflow */
        return FDT_ERR_HEADER;
    if (off_strings < FDT_HDR_SIZE || off_strings + size_strings > total)
        return FDT_ERR_HEADER;

    ps->struct_off = off_struct;
    ps->struct_end = off_struct + size_struct;
    ps->strings_off = off_strings;
    ps->strings_size = size_strings;
    return 0;
}

int fdt_parse(const void *blob, size_t maxlen, struct fdt_info *out)
{
    struct parser ps;
    int r;

    if (out == NULL)
        return FDT_ERR_HEADER;
    /* Clear *out field by field (no memset in a pure module). */
    out->mem_base = out->mem_size = 0;
    out->timebase_hz = 0;
    out->uart_base = 0;
    out->uart_irq = 0;
    out->plic_base = out->plic_size = 0;
    out->rtc_base = out->rtc_size = 0;
    out->rtc_irq = 0;
    out->nvirtio = 0;
    out->nharts = 0;
    for (int i = 0; i < FDT_MAX_HARTS; i++)
        out->hartid[i] = 0;
    for (int i = 0; i < FDT_MAX_VIRTIO; i++) {
        out->virtio[i].base = out->virtio[i].size = 0;
        out->virtio[i].irq = 0;
    }
    out->bootargs[0] = '\0';
    if (blob == NULL)
        return FDT_ERR_HEADER;

    ps.blob = blob;
    ps.out = out;
    ps.depth = 0;
    ps.have_mem = ps.have_uart = ps.have_plic = false;
    ps.have_tb = ps.have_cpu_tb = false;
    ps.cpu_tb = 0;
    reset_props(&ps);

    if ((r = check_header(&ps, maxlen)) < 0)
        return r;
    if ((r = walk(&ps)) < 0)
        return r;

    if (!ps.have_tb && ps.have_cpu_tb)
        out->timebase_hz = ps.cpu_tb;

    /* Insertion sort of the (at most FDT_MAX_VIRTIO) virtio slots. */
    for (uint32_t i = 1; i < out->nvirtio; i++) {
        struct fdt_virtio v = out->virtio[i];
        uint32_t j = i;
        for (; j > 0 && out->virtio[j - 1].base > v.base; j--)
            out->virtio[j] = out->virtio[j - 1];
        out->virtio[j] = v;
    }

    return ps.have_mem ? FDT_OK : FDT_ERR_NOMEM;
}

const char *fdt_strerror(int code)
{
    switch (code) {
    case FDT_OK:         return "ok";
    case FDT_ERR_HEADER: return "bad magic or header";
    case FDT_ERR_STRUCT: return "malformed structure block";
    case FDT_ERR_NOMEM:  return "no memory node";
    default:             return "unknown fdt error";
    }
}
