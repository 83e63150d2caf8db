/* pwd: print the working directory. */
#include "sys.h"

int main(void)
{
    char buf[256];
    if (!getcwd(buf, sizeof buf)) {
        dprintf(2, "pwd: %s\n", errstr(errno));
        return 1;
    }
    printf("%s\n", buf);
    return 0;
}
