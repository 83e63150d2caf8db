/* stdin, stdout and stderr: picolibc's buffered streams over fds 0, 1 and 2.
   stdout and stderr are line-buffered (a line appears when it ends, and at exit;
   fork and exec flush first). */
#include "sys.h"
#include <stdio-bufio.h>

static char inbuf[512], outbuf[512], errbuf[256];
static struct __file_bufio in = FDEV_SETUP_BUFIO(0, inbuf, sizeof inbuf, read, write, lseek, close, __SRD, 0);
static struct __file_bufio out = FDEV_SETUP_BUFIO(1, outbuf, sizeof outbuf, read, write, lseek, close, __SWR, __BLBF);
static struct __file_bufio err = FDEV_SETUP_BUFIO(2, errbuf, sizeof errbuf, read, write, lseek, close, __SWR, __BLBF);

FILE *const stdin = &in.xfile.cfile.file;
FILE *const stdout = &out.xfile.cfile.file;
FILE *const stderr = &err.xfile.cfile.file;
