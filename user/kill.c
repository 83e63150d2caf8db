/* kill [-SIGNAL] PID...: send each process SIGNAL (a name like TERM or INT,
   or a number; default TERM). The pager allows it for oneself, one's
   descendants, or anything when run by init. Exit status 1 if any failed. */
#include "sys.h"

int main(int argc, char **argv)
{
    return kill_main("kill", argc, argv);
}
