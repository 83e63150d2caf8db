/* A full disk: writing until the disk is full ends with a short write or
   ENOSPC, never a crash; everything written before is intact; the size the
   file shows is the size it has on the disk (a failed write does not make it
   longer); after the file goes, the space is back and files can be written
   again. */
#include "test.h"

int main(int argc, char **argv)
{
    (void)argc; (void)argv;
    static char buf[64 * 1024];
    int fd = open("/fill", O_RDWR | O_CREAT | O_TRUNC);
    CHECK(fd >= 0);
    long total = 0, n;
    for (int i = 0;; i++) {
        memset(buf, 'a' + i % 26, sizeof buf);
        n = write(fd, buf, sizeof buf);
        if (n != (long)sizeof buf)
            break;
        total += n;
        CHECK(total < (64L << 20)); /* the test disk is 32 MiB */
    }
    if (n < 0)
        CHECK_EQ(errno, ENOSPC);
    else
        total += n;
    CHECK(total > (8L << 20));
    CHECK_EQ(write(fd, "x", 1) == 1 ? 0 : errno, ENOSPC); /* still full */
    /* what was written reads back */
    CHECK_EQ(lseek(fd, 3 * (long)sizeof buf, SEEK_SET), 3 * (long)sizeof buf);
    CHECK_EQ(read(fd, buf, 16), 16);
    CHECK_EQ(buf[0], 'd');
    struct stat st;
    CHECK_EQ(fstat(fd, &st), 0);
    long shown = (long)st.st_size;
    CHECK(shown >= total && shown <= total + (long)sizeof buf);
    close(fd);
    CHECK_EQ(stat("/fill", &st), 0); /* nobody has it open: the size comes from the disk */
    CHECK_EQ((long)st.st_size, shown);
    CHECK_EQ(unlink("/fill"), 0);
    fd = open("/after", O_WRONLY | O_CREAT | O_TRUNC);
    CHECK(fd >= 0);
    memset(buf, 'z', sizeof buf);
    CHECK_EQ(write(fd, buf, sizeof buf), (long)sizeof buf);
    close(fd);
    CHECK_EQ(unlink("/after"), 0);
    return 0;
}
