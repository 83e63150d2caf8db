/* Authority comes from what the pager set up, never from a name: a task
   without rights cannot power off, pull file-system jobs, drive devices (not
   even as a program called fs), give rights it lacks, or act on a process that
   is not itself or its descendant; a forged kernel label gets an error reply.
   ps still lists everyone. */
#include "test.h"

#define DEV_VA 0x3000000000L

static long call_label(long label, long w0)
{
    struct msg m = { .label = label, .w = { w0 } };
    long r = sys_call(PAGER_SLOT, &m);
    return r < 0 ? r : m.w[0];
}

/* A write's part-done count is the pager's own state: a raw PG_WRITE that
   sets w3 (unused by the protocol) gets the answer for its own bytes. */
static void forged_continuation(void)
{
    int fd = open("/t_authority.w3", O_CREAT | O_RDWR | O_TRUNC);
    CHECK(fd >= 0);
    struct msg m = { .label = MSG_PG_WRITE, .w = { fd, 16, 10, 0x3de8 } }; /* a bad buffer */
    CHECK_EQ(sys_call(PAGER_SLOT, &m), 0);
    CHECK_EQ(m.w[0], -EFAULT);
    m = (struct msg){ .label = MSG_PG_WRITE, .w = { fd, (long)"hello", 5, 1000 } };
    CHECK_EQ(sys_call(PAGER_SLOT, &m), 0);
    CHECK_EQ(m.w[0], 5);
    struct stat st;
    CHECK_EQ(fstat(fd, &st), 0);
    CHECK_EQ(st.st_size, 5);
    close(fd);
    CHECK_EQ(unlink("/t_authority.w3"), 0);
}

/* What a task without driver rights gets, whatever its name. */
static void no_driver_rights(void)
{
    uint64_t pa;
    CHECK(dma_alloc(4096, &pa) == NULL);
    CHECK(device_info(DEV_VIRTIO0, 0, 0) > 0); /* where a device is: anyone may ask */
    CHECK_EQ(device_claim(DEV_VIRTIO0), -EPERM);
    CHECK_EQ(sys_map_device(DRV_DEV_SLOT, -1, DEV_VA, device_info(DEV_VIRTIO0, 0, 0), PERM_R), -EBADCAP);
    CHECK_EQ(sys_irq_bind(DRV_IRQ_SLOT, 1, 0), -EBADCAP);
    CHECK_EQ(call_label(MSG_PG_FS_NEXT, 0), -EPERM);
    CHECK_EQ(call_label(MSG_PG_SWAP_NEXT, 5), -EPERM);  /* only the swap driver the pager started */
    CHECK_EQ(shutdown(), -EPERM);
}

/* A child blocked until the pipe's write end closes. */
static long sleeper(int fds[2])
{
    long pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        char c;
        close(fds[1]);
        read(fds[0], &c, 1);
        exit(0);
    }
    return pid;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "asfs") == 0) { /* run again under the name fs */
        no_driver_rights();
        return 0;
    }
    no_driver_rights();
    forged_continuation();

    /* rights are given only by a holder */
    CHECK_EQ(spawn_rights("true", 0, RIGHT_SHUTDOWN), -EPERM);
    CHECK_EQ(spawn_rights("true", 0, RIGHT_DRIVER), -EPERM);
    CHECK_EQ(spawn_rights("true", 0, RIGHT_PROCS), -EPERM);
    CHECK_EQ(spawn_rights("true", 0, 1L << 20), -EINVAL);

    /* a program called fs gets nothing for its name */
    mkdir("/authx", 0);
    copy_file("/bin/t_authority", "/authx/fs");
    long pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        char *av[] = { "fs", "asfs", NULL };
        execv("/authx/fs", av);
        exit(99);
    }
    int status = -1;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 0);
    CHECK_EQ(unlink("/authx/fs"), 0);
    CHECK_EQ(rmdir("/authx"), 0);

    /* acting on other processes: itself and its descendants only */
    int fds[2];
    CHECK_EQ(pipe(fds), 0);
    long a = sleeper(fds), b = fork();
    CHECK(a > 0 && b >= 0);
    if (b == 0) {
        static struct region_info ri[4];
        CHECK(kill(a, SIGKILL) == -1 && errno == EPERM);                                /* a sibling */
        CHECK_EQ(pmap(a, ri, 4), -EPERM);
        CHECK_EQ(dropmaps(a), -EPERM);
        CHECK(kill(getppid(), SIGKILL) == -1 && errno == EPERM);                        /* the parent */
        CHECK_EQ(pmap(getppid(), ri, 4), -EPERM);
        CHECK(kill(1, SIGKILL) == -1 && errno == EPERM);                                /* the file server */
        CHECK_EQ(dropmaps(1), -EPERM);
        CHECK(pmap(getpid(), ri, 4) > 0);                         /* itself */
        CHECK_EQ(dropmaps(getpid()), 0);
        CHECK(kill(999999, SIGKILL) == -1 && errno == ESRCH);
        static struct proc_info pi[64];
        long np = ps(pi, 64), saw_fs = 0;                         /* ps lists everyone */
        for (long i = 0; i < np && i < 64; i++)
            saw_fs += pi[i].pid == 1;
        CHECK(np >= 4);
        CHECK_EQ(saw_fs, 1);
        long g = sleeper(fds);                                    /* a child of its own */
        CHECK(pmap(g, ri, 4) > 0);
        CHECK_EQ(kill(g, SIGKILL), 0);
        exit(0);
    }
    CHECK_EQ(waitpid(b, &status, 0), b);
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 0);
    static struct region_info ri[4];
    CHECK(pmap(a, ri, 4) > 0);                                    /* a child */
    close(fds[0]);
    close(fds[1]);
    CHECK_EQ(waitpid(a, &status, 0), a);
    CHECK(WIFEXITED(status));

    /* labels only the kernel sends: an error reply, and we go on */
    CHECK_EQ(call_label(MSG_NOTIFY, 0xff), -EPERM);
    CHECK_EQ(call_label(MSG_FAULT, 0x10000), -EPERM);
    CHECK_EQ(call_label(0x7777, 0), -ENOSYS);
    CHECK_EQ(getpid() > 0, 1);
    return 0;
}
