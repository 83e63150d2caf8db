/* ls [path...]: list a directory (name, type, size), or name a file; with
   no path, the working directory. */
#include "sys.h"
#include <dirent.h>

static int list(const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        dprintf(2, "ls: %s: %s\n", path, strerror(errno));
        return 1;
    }
    if (!S_ISDIR(st.st_mode)) {
        printf("%-20s %8ld\n", path, (long)st.st_size);
        return 0;
    }
    DIR *d = opendir(path);
    if (!d) {
        dprintf(2, "ls: %s: %s\n", path, strerror(errno));
        return 1;
    }
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d)) != NULL) {
        char full[320];
        snprintf(full, sizeof full, "%s/%s", path, e->d_name);
        struct stat est = { 0 };
        stat(full, &est);
        printf("%-20s %s %8ld\n", e->d_name, S_ISDIR(est.st_mode) ? "dir " : "file", (long)est.st_size);
    }
    int err = errno;
    closedir(d);
    if (err) {
        dprintf(2, "ls: %s: %s\n", path, strerror(err));
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
