/* Not a test of the suite: the write-heavy workload of the crash test
   (tests/fs/crash_test.py boots it as the first program with init=t_fsload
   and kills QEMU while it runs). It creates, appends to, truncates and
   removes files and directories for ever, saying how far it got. */
#include "sys.h"

int main(int argc, char **argv)
{
    (void)argc; (void)argv;
    static char buf[20000];
    printf("fsload: started\n");
    mkdir("/load", 0755);
    for (long round = 0;; round++) {
        char path[64];
        snprintf(path, sizeof path, "/load/f%ld", round % 40);
        int fd = open(path, O_WRONLY | O_CREAT | (round % 3 ? O_APPEND : O_TRUNC));
        if (fd < 0) {
            printf("fsload: open %s: %s\n", path, strerror(errno));
            return 1;
        }
        memset(buf, 'a' + (int)(round % 26), sizeof buf);
        write(fd, buf, (size_t)(round * 997 % sizeof buf) + 1);
        close(fd);
        if (round % 7 == 0) {
            snprintf(path, sizeof path, "/load/f%ld", (round / 7) % 40);
            unlink(path);
        }
        if (round % 11 == 0) {
            snprintf(path, sizeof path, "/load/d%ld", round % 5);
            if (mkdir(path, 0755) < 0)
                rmdir(path);
        }
        if (round % 50 == 0)
            printf("fsload: round %ld\n", round);
    }
}
