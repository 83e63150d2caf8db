/* init: the first process. Starts the shell on the console, starts it again
   when it ends, and reaps every orphan in between. The shell's environment
   starts with HOME=/ and PATH=/bin. */
#include "sys.h"

int main(int argc, char **argv)
{
    (void)argc; (void)argv;
    if (setenv("HOME", "/", 0) < 0 || setenv("PATH", "/bin", 0) < 0)
        printf("init: no environment for the shell: %s\n", strerror(errno));
    printf("init: starting sh (try 'echo hi | wc', 'ps', 'vmstat', 'pmap')\n");
    for (;;) {
        int pid = fork();
        if (pid < 0) {
            printf("init: fork: %s\n", errstr(errno));
            return 1;
        }
        if (pid == 0) {
            char *av[] = { "sh", NULL };
            execv("sh", av);
            printf("init: cannot run sh: %s\n", errstr(errno));
            exit(127);
        }
        int status, r;
        while ((r = wait(&status)) != pid && r >= 0)
            ; /* an orphan */
        printf("init: sh ended; starting a new one\n");
    }
}
