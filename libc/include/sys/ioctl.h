/* ioctl(2) (picolibc has no <sys/ioctl.h>): no device here takes a request;
   every call fails with ENOTTY. */
#pragma once
int ioctl(int fd, unsigned long request, ...);
