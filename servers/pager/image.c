/* Program files of the boot archive, mapped private: each page is read in on
   first touch into a frame the object keeps, so every process running the
   program shares it (text read-only, data copy-on-write). Pages past the file
   bytes of a segment (bss) are anonymous. */
#include "vm.h"
#include "bootimg.h"

static struct memobj *images; /* live image objects, for sharing */

/* The bytes of archive file `name`, or NULL. */
const uint8_t *archive_file(const char *name, uint64_t *size)
{
    const struct bootimg_header *h = (const void *)PAGER_ARCHIVE;
    for (uint64_t i = 0; i < h->count; i++) {
        if (strncmp(h->entry[i].name, name, BOOTIMG_NAMELEN) == 0) {
            *size = h->entry[i].size;
            return (const uint8_t *)PAGER_ARCHIVE + h->entry[i].offset;
        }
    }
    return NULL;
}

/* The object for one program segment (key names it), shared while regions use
   it. NULL when out of memory. */
struct memobj *image_obj(uint64_t key, const uint8_t *data, uint64_t datalen, uint64_t npages)
{
    for (struct memobj *o = images; o; o = o->next)
        if (o->key == key && o->data == data && o->datalen == datalen && o->npages == npages)
            return o;
    struct memobj *o = shared_obj(npages);
    if (!o)
        return NULL;
    o->key = key;
    o->data = data;
    o->datalen = datalen;
    o->next = images;
    images = o;
    return o;
}

/* The cached frame of page idx, read in now if needed; 0 when out of memory. */
static uint64_t image_page(struct memobj *o, uint64_t idx)
{
    if (o->pages[idx])
        return o->pages[idx];
    uint64_t f = frame_alloc();
    if (!f)
        return 0;
    uint64_t off = idx * PAGE, n = o->datalen - off < PAGE ? o->datalen - off : PAGE;
    memcpy(frame_ptr(f), o->data + off, n);
    o->pages[idx] = f;
    cnt.file++;
    return f;
}

static int image_fault(struct vma *v, uint64_t va, int access, spte_t *e, uint64_t *pa, uint32_t *perms,
                       struct vm_wait *w)
{
    (void)w; /* never waits for a file page */
    if (*e && !(*e & SPTE_ZERO))
        return cow_resolve(v, va, e, access, pa, perms);
    uint64_t idx = v->pgoff + (va - v->node.start) / PAGE;
    struct memobj *o = v->obj;
    if (idx >= o->npages)
        return -EFAULT;
    if (idx * PAGE >= o->datalen) /* all bss */
        return zero_resolve(v, va, e, access, pa, perms);
    uint64_t f = image_page(o, idx);
    if (!f)
        return -ENOMEM;
    frame_ref(f);
    *e = f | SPTE_PRESENT | SPTE_COW;
    return cow_resolve(v, va, e, access, pa, perms);
}

/* Fault-around: a page of the segment's bytes the object holds already,
   shared copy-on-write and read-only as a read fault maps it. Returns 0, or
   -1 (bss, or the page is not read in yet). */
static int image_around(struct vma *v, uint64_t va, spte_t *e, uint64_t *pa, uint32_t *perms)
{
    uint64_t idx = v->pgoff + (va - v->node.start) / PAGE;
    struct memobj *o = v->obj;
    if (idx >= o->npages || idx * PAGE >= o->datalen || !o->pages[idx])
        return -1;
    uint64_t f = o->pages[idx];
    frame_ref(f);
    *e = f | SPTE_PRESENT | SPTE_COW;
    *pa = f;
    *perms = (v->prot | PERM_R) & ~PERM_W;
    return 0;
}

static void image_retain(struct vma *v)
{
    v->obj->refs++;
}

static void image_release(struct vma *v)
{
    struct memobj *o = v->obj;
    if (--o->refs)
        return;
    for (struct memobj **p = &images; *p; p = &(*p)->next) {
        if (*p == o) {
            *p = o->next;
            break;
        }
    }
    memobj_free(o);
}

const struct region_ops image_ops = {
    .name = "image",
    .private = true,
    .fault = image_fault,
    .retain = image_retain,
    .release = image_release,
    .around = image_around,
};
