/* Kernel console: polled output on the 16550 UART found in the device tree. */
#include <stdarg.h>
#include "kernel.h"
#include "arch/riscv/riscv.h"
#include "arch/riscv/sbi.h"

#define UART_THR 0
#define UART_LSR 5
#define LSR_THRE (1 << 5)

static volatile uint8_t *uart;

void console_init(uint64_t uart_pa)
{
    uart = uart_pa ? (volatile uint8_t *)P2V(uart_pa) : NULL;
}

void console_putc(char c)
{
    if (!uart)
        return;
    if (c == '\n')
        console_putc('\r');
    while ((uart[UART_LSR] & LSR_THRE) == 0)
        ;
    uart[UART_THR] = (uint8_t)c;
}

void console_write(const char *s, size_t n)
{
    while (n--)
        console_putc(*s++);
}

static void print_num(uint64_t v, int base, int neg)
{
    char buf[24];
    int i = 0;
    do {
        buf[i++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    if (neg)
        buf[i++] = '-';
    while (i)
        console_putc(buf[--i]);
}

/* printf subset: %d %u %x %p %s %c with an optional 'l'. */
void kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            console_putc(*fmt);
            continue;
        }
        fmt++;
        int lng = 0;
        while (*fmt == 'l') {
            lng = 1;
            fmt++;
        }
        switch (*fmt) {
        case 'd': {
            int64_t v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
            print_num(v < 0 ? -(uint64_t)v : (uint64_t)v, 10, v < 0);
            break;
        }
        case 'u':
            print_num(lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 10, 0);
            break;
        case 'x':
            print_num(lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16, 0);
            break;
        case 'p':
            console_write("0x", 2);
            print_num((uint64_t)va_arg(ap, void *), 16, 0);
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            console_write(s ? s : "(null)", strlen(s ? s : "(null)"));
            break;
        }
        case 'c':
            console_putc((char)va_arg(ap, int));
            break;
        case '%':
            console_putc('%');
            break;
        default:
            console_putc('%');
            console_putc(*fmt);
        }
    }
    va_end(ap);
}

/* Stop the machine after a broken invariant. Never called because of user input. */
void panic(const char *msg)
{
    kprintf("panic: %s\n", msg);
    sbi_shutdown();
}
