/* ls [path...]: list a directory (name, type, size), or name a file; with
   no path, the working directory. */
#include "sys.h"

static int list(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        dprintf(2, "ls: %s: %s\n", path, strerror(errno));
        return 1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        dprintf(2, "ls: %s: %s\n", path, strerror(errno));
        close(fd);
        return 1;
    }
    if (!S_ISDIR(st.st_mode)) {
        printf("%-20s %8ld\n", path, (long)st.st_size);
        close(fd);
        return 0;
    }
    long cookie = 0, inum;
    char name[64];
    int r;
    while ((r = readdir(fd, &cookie, name, &inum)) == 1) {
        char full[320];
        snprintf(full, sizeof full, "%s/%s", path, name);
        int f = open(full, O_RDONLY);
        struct stat est = { 0 };
        if (f >= 0) {
            fstat(f, &est);
            close(f);
        }
        printf("%-20s %s %8ld\n", name, S_ISDIR(est.st_mode) ? "dir " : "file", (long)est.st_size);
    }
    close(fd);
    if (r < 0) {
        dprintf(2, "ls: %s: %s\n", path, strerror(errno));
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return list(".");
    int status = 0;
    for (int i = 1; i < argc; i++)
        status |= list(argv[i]);
    return status;
}
