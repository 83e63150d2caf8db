/* The file server (issue 4). Not a server yet: for now this program only
   exists so that the build and the test image have a place for it. */
#include "sys.h"

int main(int argc, char **argv)
{
    (void)argc; (void)argv;
    printf("fs: the file server is not written yet\n");
    return 1;
}
