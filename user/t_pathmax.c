/* Paths up to PATH_MAX (issue 10): chdir into a directory whose absolute path
   is longer than 128 bytes and getcwd returns it; a working directory grows
   until its path would not fit in PATH_MAX, then chdir says ENAMETOOLONG and
   keeps the old one; exec by a relative path longer than 64 bytes, from the
   working directory; chdir, open and exec of one path of over 900 bytes; a
   path longer than PATH_MAX is ENAMETOOLONG for chdir,
   exec and open; getcwd with a buffer too small is ERANGE. */
#include "test.h"
#include <limits.h>

#define COMP "directory-with-a-long-name-for-t-pathmax" /* 40 bytes */
#define DEPTH 5                                         /* "/tpm" and 5 of them: 209 bytes */

static void cwd_is(const char *want)
{
    static char got[PATH_MAX];
    CHECK(getcwd(got, sizeof got) == got);
    if (strcmp(got, want) != 0) {
        printf("t_pathmax: getcwd says %s, not %s\n", got, want);
        CHECK(strcmp(got, want) == 0);
    }
}

int main(void)
{
    static char want[PATH_MAX + 64], rel[PATH_MAX], buf[PATH_MAX], prog[300];
    CHECK_EQ(mkdir("/tpm", 0755), 0);
    CHECK_EQ(chdir("/tpm"), 0);
    strcpy(want, "/tpm");
    for (int i = 0; i < DEPTH; i++) {
        CHECK_EQ(mkdir(COMP, 0755), 0);
        CHECK_EQ(chdir(COMP), 0);
        strcat(want, "/" COMP);
        strcat(rel, i ? "/" COMP : COMP);
        cwd_is(want);
    }
    size_t len = strlen(want);
    CHECK(len > 128);

    /* getcwd: exactly the room it needs, one byte less is ERANGE */
    CHECK(getcwd(buf, len + 1) == buf);
    errno = 0;
    CHECK(getcwd(buf, len) == NULL);
    CHECK_EQ(errno, ERANGE);

    /* exec by a relative path of over 64 bytes, from the working directory */
    snprintf(prog, sizeof prog, "%s/prog", want);
    copy_file("/bin/true", prog);
    CHECK_EQ(exec_status("./prog"), 0);
    CHECK_EQ(chdir("/tpm"), 0);
    strcat(rel, "/prog");
    CHECK(strlen(rel) > 64);
    CHECK_EQ(exec_status(rel), 0);
    CHECK_EQ(exec_status(rel), 0); /* again: the name and the program are cached now */
    CHECK_EQ(chdir(want), 0);

    /* deeper until the path would pass PATH_MAX: then ENAMETOOLONG, and the old directory stays */
    int extra = 0;
    for (;;) {
        CHECK_EQ(mkdir(COMP, 0755), 0);
        extra++;
        if (chdir(COMP) < 0) {
            CHECK_EQ(errno, ENAMETOOLONG);
            CHECK(strlen(want) + 1 + strlen(COMP) + 1 > PATH_MAX);
            break;
        }
        strcat(want, "/" COMP);
        CHECK(strlen(want) < PATH_MAX);
        cwd_is(want);
    }
    cwd_is(want);
    CHECK(strlen(want) > PATH_MAX - 64);

    /* the whole long path in one call: chdir back into it from /, and open,
       exec and unlink a program by its absolute path (over 900 bytes) */
    CHECK_EQ(chdir("/"), 0);
    CHECK_EQ(chdir(want), 0);
    cwd_is(want);
    static char mid[PATH_MAX];
    strcpy(mid, want);
    *strrchr(mid, '/') = 0;
    strcat(mid, "/p2");
    CHECK(strlen(mid) > 900);
    copy_file("/bin/true", mid);
    CHECK_EQ(exec_status(mid), 0);
    CHECK_EQ(unlink(mid), 0);
    CHECK_EQ(exec_status("../" COMP "/" COMP "/nosuch"), 99); /* a relative exec from there still works (ENOENT) */
    CHECK(getcwd(buf, sizeof buf) == buf);

    /* a path longer than PATH_MAX */
    static char huge[PATH_MAX + 100];
    memset(huge, 'a', sizeof huge - 1);
    for (size_t i = 10; i < sizeof huge - 1; i += 20)
        huge[i] = '/';
    errno = 0;
    CHECK_EQ(chdir(huge), -1);
    CHECK_EQ(errno, ENAMETOOLONG);
    char *av[] = { "x", NULL };
    errno = 0;
    CHECK_EQ(execv(huge, av), -1);
    CHECK_EQ(errno, ENAMETOOLONG);
    errno = 0;
    CHECK_EQ(open(huge, O_RDONLY), -1);
    CHECK_EQ(errno, ENAMETOOLONG);
    cwd_is(want);

    /* clean up, climbing out */
    CHECK_EQ(rmdir(COMP), 0); /* the one chdir refused */
    for (int i = 1; i < extra; i++) {
        CHECK_EQ(chdir(".."), 0);
        CHECK_EQ(rmdir(COMP), 0);
    }
    CHECK_EQ(unlink(prog), 0);
    for (int i = 0; i < DEPTH; i++) {
        CHECK_EQ(chdir(".."), 0);
        CHECK_EQ(rmdir(COMP), 0);
    }
    cwd_is("/tpm");
    CHECK_EQ(chdir("/"), 0);
    CHECK_EQ(rmdir("/tpm"), 0);
    printf("t_pathmax: ok (working directory up to %zu bytes)\n", strlen(want));
    return 0;
}
