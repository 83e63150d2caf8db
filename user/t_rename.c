/* rename (issue 10): one log transaction in the file server. A new name, a
   file replaced (someone holding the old one open still reads it), a move
   to another directory, a directory moved (its ".." and the link counts
   follow), an empty directory replaced, both names of one file; and the
   errors: ENOENT, EISDIR, ENOTDIR, ENOTEMPTY, EINVAL (a directory into
   itself, "." as a name), EBUSY (the root). Nothing changes on an error. */
#include "test.h"

static void put(const char *path, const char *text)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, text, strlen(text)), (long)strlen(text));
    CHECK_EQ(close(fd), 0);
}

/* Whether path holds exactly text. */
static bool holds(const char *path, const char *text)
{
    char b[64];
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return false;
    long n = read(fd, b, sizeof b);
    close(fd);
    return n == (long)strlen(text) && memcmp(b, text, (size_t)n) == 0;
}

static bool gone(const char *path)
{
    struct stat st;
    return stat(path, &st) == -1 && errno == ENOENT;
}

static long nlink(const char *path)
{
    struct stat st;
    CHECK_EQ(stat(path, &st), 0);
    return st.st_nlink;
}

static long ino(const char *path)
{
    struct stat st;
    CHECK_EQ(stat(path, &st), 0);
    return st.st_ino;
}

static void fails(const char *from, const char *to, int err)
{
    errno = 0;
    if (rename(from, to) != -1 || errno != err) {
        printf("t_rename: rename(%s, %s): errno %d, want %d\n", from, to, errno, err);
        CHECK(0);
    }
}

static void files(void)
{
    put("/rn/a", "alpha");
    CHECK_EQ(rename("/rn/a", "/rn/b"), 0);
    CHECK(gone("/rn/a") && holds("/rn/b", "alpha"));
    /* replace c; a descriptor of the old c still reads it */
    put("/rn/c", "charlie");
    int old = open("/rn/c", O_RDONLY);
    CHECK(old >= 0);
    CHECK_EQ(rename("/rn/b", "/rn/c"), 0);
    CHECK(gone("/rn/b") && holds("/rn/c", "alpha"));
    char b[16];
    CHECK_EQ(read(old, b, sizeof b), 7);
    CHECK(memcmp(b, "charlie", 7) == 0);
    CHECK_EQ(close(old), 0);
    CHECK_EQ(nlink("/rn/c"), 1);
    /* to another directory, by a path relative to the working directory */
    CHECK_EQ(chdir("/rn"), 0);
    CHECK_EQ(rename("c", "d/c2"), 0);
    CHECK_EQ(chdir("/"), 0);
    CHECK(gone("/rn/c") && holds("/rn/d/c2", "alpha"));
    /* two names of one file: nothing happens */
    CHECK_EQ(link("/rn/d/c2", "/rn/d/c3"), 0);
    CHECK_EQ(rename("/rn/d/c2", "/rn/d/c3"), 0);
    CHECK(holds("/rn/d/c2", "alpha") && holds("/rn/d/c3", "alpha"));
    CHECK_EQ(nlink("/rn/d/c2"), 2);
    /* a name that is the same: nothing happens */
    CHECK_EQ(rename("/rn/d/c3", "/rn/d/../d/c3"), 0);
    CHECK_EQ(unlink("/rn/d/c3"), 0);
    CHECK_EQ(nlink("/rn/d/c2"), 1);
}

static void directories(void)
{
    CHECK_EQ(mkdir("/rn/d/sub", 0755), 0);
    put("/rn/d/sub/f", "foxtrot");
    long rn = nlink("/rn"), d = nlink("/rn/d");
    CHECK_EQ(rename("/rn/d/sub", "/rn/sub2"), 0);
    CHECK(gone("/rn/d/sub") && holds("/rn/sub2/f", "foxtrot"));
    CHECK_EQ(ino("/rn/sub2/.."), ino("/rn"));  /* its ".." names the new parent */
    CHECK_EQ(nlink("/rn"), rn + 1);
    CHECK_EQ(nlink("/rn/d"), d - 1);
    CHECK_EQ(nlink("/rn/sub2"), 2);
    /* onto an empty directory: replaced */
    CHECK_EQ(mkdir("/rn/empty", 0755), 0);
    rn = nlink("/rn");
    CHECK_EQ(rename("/rn/sub2", "/rn/empty"), 0);
    CHECK(gone("/rn/sub2") && holds("/rn/empty/f", "foxtrot"));
    CHECK_EQ(nlink("/rn"), rn - 1);
    /* a directory in the same parent under a new name */
    CHECK_EQ(rename("/rn/empty", "/rn/full"), 0);
    CHECK(holds("/rn/full/f", "foxtrot"));
    CHECK_EQ(ino("/rn/full/.."), ino("/rn"));
}

static void errors(void)
{
    put("/rn/file", "x");
    fails("/rn/nosuch", "/rn/new", ENOENT);
    fails("/rn/file", "/rn/nodir/new", ENOENT);
    fails("/rn/file", "", ENOENT);
    fails("", "/rn/new", ENOENT);
    fails("/rn/file", "/rn/d", EISDIR);          /* a file onto a directory */
    fails("/rn/d", "/rn/file", ENOTDIR);         /* a directory onto a file */
    fails("/rn/file/", "/rn/new", ENOTDIR);
    fails("/rn/file", "/rn/new/", ENOTDIR);
    fails("/rn/file/x", "/rn/new", ENOTDIR);
    fails("/rn/d", "/rn/full", ENOTEMPTY);       /* onto a directory that is not empty */
    fails("/rn", "/rn/d/inside", EINVAL);        /* into itself */
    fails("/rn/d", "/rn/d/inside", EINVAL);
    fails("/rn/d/.", "/rn/new", EINVAL);
    fails("/rn/file", "/rn/d/..", EINVAL);
    fails("/", "/rn/new", EBUSY);
    CHECK_EQ(rename("/rn/d", "/rn/d"), 0);        /* itself */
    /* nothing changed */
    CHECK(holds("/rn/file", "x") && holds("/rn/d/c2", "alpha") && holds("/rn/full/f", "foxtrot"));
    CHECK(gone("/rn/new") && gone("/rn/d/inside"));
}

static void clean_up(void)
{
    CHECK_EQ(unlink("/rn/file"), 0);
    CHECK_EQ(unlink("/rn/d/c2"), 0);
    CHECK_EQ(unlink("/rn/full/f"), 0);
    CHECK_EQ(rmdir("/rn/full"), 0);
    CHECK_EQ(rmdir("/rn/d"), 0);
    CHECK_EQ(rmdir("/rn"), 0);
}

int main(void)
{
    CHECK_EQ(mkdir("/rn", 0755), 0);
    CHECK_EQ(mkdir("/rn/d", 0755), 0);
    files();
    directories();
    errors();
    clean_up();
    printf("t_rename: ok\n");
    return 0;
}
