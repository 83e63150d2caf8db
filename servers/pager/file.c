/* Files mapped private (programs exec'd from the file system, and
   mmap(MAP_PRIVATE) of a file): a page comes from the file's page cache, read
   in by the file server on first touch (straight into the cache frame), and is
   shared copy-on-write by everyone mapping it; a write copies it, and the copy
   never reaches the file. For a program segment, bytes of the file past
   file_end (what follows the segment's data) read as zeros, and so does the
   bss after it. For mmap (VMA_EOF), a page wholly past the file's end now is
   a bus error; the cache keeps the part of the last page past the end zero. */
#include "vm.h"

static int file_fault(struct vma *v, uint64_t va, int access, spte_t *e, uint64_t *pa, uint32_t *perms,
                       struct vm_wait *w)
{
    if (*e && !(*e & SPTE_ZERO))
        return cow_resolve(v, va, e, access, pa, perms);
    uint64_t idx = v->pgoff + (va - v->node.start) / PAGE, pos = idx * PAGE;
    if ((v->flags & VMA_EOF) && pos >= vnode_size(v->vn))
        return -ENXIO;
    if (pos >= v->file_end)
        return zero_resolve(v, va, e, access, pa, perms);
    long f = vnode_page(v->vn, idx, w);
    if (f < 0)
        return (int)f; /* -EAGAIN: being read (*w says which) */
    if (pos + PAGE > v->file_end) { /* the segment's data ends in this page: a private copy */
        uint64_t n = vma_frame_copy(v, (uint64_t)f);
        if (!n)
            return -ENOMEM;
        memset((char *)frame_ptr(n) + (v->file_end - pos), 0, PAGE - (v->file_end - pos));
        frame_track(n, va, !(v->flags & VMA_PINNED), v->space);
        *e = n | SPTE_PRESENT;
        *pa = n;
        *perms = v->prot | PERM_R;
        cnt.cow_copy++;
        return 0;
    }
    frame_ref((uint64_t)f);
    *e = (uint64_t)f | SPTE_PRESENT | SPTE_COW;
    return cow_resolve(v, va, e, access, pa, perms);
}

/* Fault-around: a page wholly inside the file's data whose cache page is
   read in already, shared copy-on-write and read-only as a read fault maps
   it. Returns 0, or -1 (past the data, or the page needs a read). */
static int file_around(struct vma *v, uint64_t va, spte_t *e, uint64_t *pa, uint32_t *perms)
{
    uint64_t idx = v->pgoff + (va - v->node.start) / PAGE, pos = idx * PAGE;
    if (((v->flags & VMA_EOF) && pos >= vnode_size(v->vn)) || pos + PAGE > v->file_end)
        return -1;
    uint64_t f = vnode_page_cached(v->vn, idx);
    if (!f)
        return -1;
    frame_ref(f);
    *e = f | SPTE_PRESENT | SPTE_COW;
    *pa = f;
    *perms = (v->prot | PERM_R) & ~PERM_W;
    return 0;
}

static void file_retain(struct vma *v)
{
    vnode_ref(v->vn);
}

static void file_release(struct vma *v)
{
    vnode_put(v->vn);
}

const struct region_ops file_ops = {
    .name = "file",
    .private = true,
    .fault = file_fault,
    .retain = file_retain,
    .release = file_release,
    .around = file_around,
};
