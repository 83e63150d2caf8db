// A virtio-blk driver for the file server: one disk on a virtio-mmio slot of
// QEMU's virt machine, modern interface only (virtio-mmio version 2; run QEMU
// with -global virtio-mmio.force-legacy=false).
//
// One split virtqueue of VBLK_QSIZE descriptors. Request r (0 <= r <
// VBLK_NREQ) always uses descriptors 3r (header), 3r+1 (data) and 3r+2
// (status), so the head index the device returns in the used ring names the
// request. The queue, the request headers and the status bytes live in one
// page of DMA memory owned by the driver; the data buffers belong to the
// caller and are given by physical address (they must be DMA memory, e.g.
// from dma_alloc, physically contiguous for their whole length).
//
// Completions arrive as interrupts: waiting for a request blocks in sys_wait
// on the notification bound to the device's interrupt, never spins.
//
// Simple use:      vblk_init(&d); vblk_rw(&d, sector, pa, len, write);
// Several at once: t = vblk_start(...); ...; vblk_finish(&d, t);
// Call vblk_init once per process (the interrupt stays bound to it).

#pragma once

#include <stdbool.h>
#include <stdint.h>

#define VBLK_SECTOR     512             // bytes per sector (the device's unit)
#define VBLK_QSIZE      16              // descriptors in the virtqueue
#define VBLK_NREQ       (VBLK_QSIZE / 3) // requests that can be in flight: 5

// Split-virtqueue structures (virtio 1.x, 2.7): little-endian, which the
// target is.
struct vq_desc {
    uint64_t addr;          // physical address of the buffer
    uint32_t len;
    uint16_t flags;         // VQ_DESC_F_*
    uint16_t next;          // next descriptor if VQ_DESC_F_NEXT
};

struct vq_avail {
    uint16_t flags;
    uint16_t idx;           // where the driver puts the next entry (mod 2^16)
    uint16_t ring[VBLK_QSIZE];
    uint16_t used_event;    // unused: VIRTIO_F_EVENT_IDX is not negotiated
};

struct vq_used_elem {
    uint32_t id;            // head descriptor of the finished chain
    uint32_t len;           // bytes the device wrote into the chain
};

struct vq_used {
    uint16_t flags;         // VQ_USED_F_NO_NOTIFY: the device asks not to be notified
    uint16_t idx;           // where the device puts the next entry (mod 2^16)
    struct vq_used_elem ring[VBLK_QSIZE];
    uint16_t avail_event;
};

// The request header the device reads (5.2.6).
struct vblk_hdr {
    uint32_t type;          // VIRTIO_BLK_T_IN (read) or VIRTIO_BLK_T_OUT (write)
    uint32_t reserved;
    uint64_t sector;
};

enum vblk_state { VBLK_FREE, VBLK_BUSY, VBLK_DONE };

struct vblk {
    volatile uint32_t *regs;        // the slot's registers, mapped
    int slot;                       // virtio-mmio slot (0..7)
    long irq;                       // its interrupt number
    long ntfn;                      // notification slot the interrupt is bound to
    uint64_t capacity;              // disk size in 512-byte sectors
    bool readonly;                  // the device offered VIRTIO_BLK_F_RO

    // The queue and the per-request header and status, all in one DMA page.
    volatile struct vq_desc *desc;
    volatile struct vq_avail *avail;
    volatile struct vq_used *used;
    volatile struct vblk_hdr *hdr;  // [VBLK_NREQ]
    volatile uint8_t *status;       // [VBLK_NREQ]
    uint64_t page_pa;               // physical address of that page

    uint16_t avail_idx;             // our copy of avail->idx
    uint16_t used_seen;             // used ring entries consumed so far
    uint8_t state[VBLK_NREQ];       // enum vblk_state of each request slot

    uint64_t nsubmitted;            // requests handed to the device
    uint64_t ninterrupts;           // interrupt wake-ups, spurious ones included
};

// Find the first virtio-mmio slot holding a block device, bind its interrupt
// (before touching the device, so that a disk some other task drives is left
// alone), reset it, negotiate VIRTIO_F_VERSION_1 (and VIRTIO_BLK_F_RO if
// offered), set up the virtqueue in DMA memory and read the capacity. Returns
// 0, or -ENODEV (no block device), -ENOSYS (only a legacy, version 1 block
// device: a message says how to run QEMU), -EIO (the device refused the
// features or has no usable queue 0), -ENOMEM (no DMA memory), or the -errno
// of a failed system call (-EBADCAP: this program is not in the pager's
// drivers[] list; -EBUSY: the interrupt is already bound, by an earlier
// vblk_init of this or any other task: the kernel never unbinds one). After
// -EIO or -ENOMEM the device is marked FAILED.
int vblk_init(struct vblk *d, int nth); /* nth: which block device, from 0, in slot order */

// Start one request: transfer len bytes (a non-zero multiple of 512) between
// the disk from `sector` on and the physically contiguous DMA buffer at
// physical address buf_pa; write = true writes the disk. Does not wait.
// Returns a tag (0 .. VBLK_NREQ-1) for vblk_finish, or -EINVAL (len not a
// non-zero multiple of 512, buf_pa 0, or the range not inside the disk;
// nothing reaches the device then), -EPERM (a write to a read-only disk) or
// -EBUSY (VBLK_NREQ requests are already in flight).
int vblk_start(struct vblk *d, uint64_t sector, uint64_t buf_pa, uint32_t len, bool write);

// Wait for request tag (from vblk_start) to complete and free its slot; other
// completions that arrive meanwhile are recorded for their own vblk_finish.
// Returns 0, -EIO (the device reported an error or needs a reset) or -EINVAL
// (tag is not a request in flight).
int vblk_finish(struct vblk *d, int tag);

// One request, synchronously: vblk_start then vblk_finish. Returns 0 or the
// error of either (-EINVAL, -EPERM, -EBUSY, -EIO).
int vblk_rw(struct vblk *d, uint64_t sector, uint64_t buf_pa, uint32_t len, bool write);
