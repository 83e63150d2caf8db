/* Regression (was a bug): the 64 parked-request slots are shared by everyone: tasks whose
   write(2) waits for write-back fill them, and then an unrelated task's
   fault on a file page that is not read yet cannot park: it is killed
   ("out of memory"). */
#include "common.h"
#define NW 64

int main(void)
{
    make_file("/zz8f", 'A', 1);
    int ffd = open("/zz8f", O_RDONLY);
    CHECK(ffd >= 0);
    volatile char *a = mmap(0, P, PROT_READ, MAP_PRIVATE, ffd, 0);  /* not touched: not read */
    CHECK(a != MAP_FAILED);
    volatile long *flag = mmap(0, P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(flag != MAP_FAILED);
    int victim = fork();
    CHECK(victim >= 0);
    if (victim == 0) {
        while (!*flag)
            sys_yield();
        exit(a[0] == 'A' ? 0 : 2);
    }
    int hfd = open("/zz8h", O_RDWR | O_CREAT | O_TRUNC);
    CHECK(hfd >= 0);
    saturate_n("/zz8g", 2048);
    uint64_t t0 = rdtime();
    static int w[NW];
    for (int k = 0; k < NW; k++) {
        w[k] = fork();
        CHECK(w[k] >= 0);
        if (w[k] == 0) {
            memset(zz_page, 'w', P);
            exit(write(hfd, zz_page, P) == P ? 0 : 2); /* parks until /zz8h is clean */
        }
    }
    spin_ms(50);
    long running = 0;
    for (int k = 0; k < NW; k++)
        running += pstate(w[k]) == 1;
    printf("review: %ld of %d writers still waiting %ld ms after the first fork\n", running, NW,
           (long)((rdtime() - t0) / TICKS_PER_MS));
    *flag = 1;
    long how = -1, code = -1;
    CHECK_EQ(wait_how(victim, &how, &code), victim);
    printf("review: the task reading an unread page of a mapped file %s (code %ld)\n",
           how == WAIT_KILLED ? "was KILLED" : "exited", code);
    for (int k = 0; k < NW; k++)
        CHECK_EQ(wait_how(w[k], &(long){0}, &(long){0}), w[k]);
    close(hfd);
    close(ffd);
    unlink("/zz8f");
    unlink("/zz8g");
    unlink("/zz8h");
    CHECK_EQ(how, WAIT_EXITED);
    CHECK_EQ(code, 0);
    return 0;
}
