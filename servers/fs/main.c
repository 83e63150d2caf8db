/* The file server (issue 4): finds the disk and says so; the job loop that
   serves the pager comes with the file-system operations (docs/fs.md).
   `fs selftest` exercises the virtio-blk driver instead (selftest.c). */
#include "sys.h"
#include "virtio_blk.h"

int selftest(void);

static struct vblk disk;

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "selftest") == 0)
        return selftest();
    int err = vblk_init(&disk);
    if (err == -ENODEV)
        printf("fs: no disk\n");
    else if (err < 0)
        printf("fs: cannot use the disk: %s\n", strerror(err));
    else
        printf("fs: virtio-blk disk of %lu MiB found\n", disk.capacity / 2048);
    return 0;
}
