/*
 * Memory.
 *
 *   mem touch MIN_OPS MIN_MS MIB   GB/s of mmap(MIB anonymous) + writing one byte in
 *                                  every 4 KiB page; an op is one whole region
 *   mem idle                       print "ready", then sleep until killed (the
 *                                  workload of the idle-memory and density rows)
 *
 * touch: only mmap and the writes are timed; afterwards (untimed) every page is read
 * back and checked, and the region unmapped.  check is the region size in bytes.
 */
#define _GNU_SOURCE
#include "bench.h"

#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096

static void touch(const struct bounds *b, uint64_t mib)
{
    if (mib == 0 || mib > (1 << 16))
        die("bad MIB");
    size_t size = (size_t)mib << 20;
    uint64_t ops = 0, timed = 0;
    uint64_t begin = now_ns();
    do {
        uint64_t t0 = now_ns();
        unsigned char *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            die("mmap %zu", size);
        for (size_t off = 0; off < size; off += PAGE)
            p[off] = (unsigned char)(off / PAGE + 1);
        timed += now_ns() - t0;
        for (size_t off = 0; off < size; off += PAGE) {
            if (p[off] != (unsigned char)(off / PAGE + 1)) {
                errno = 0;
                die("page at offset %zu lost its byte", off);
            }
        }
        if (munmap(p, size) != 0)
            die("munmap");
        ops++;
    } while (keep_going(b, ops, begin));
    char check[32];
    snprintf(check, sizeof check, "%zu", size);
    report("touch", (double)(size * ops) / (double)timed, "GB/s", ops, check);
}

static void idle(void)
{
    printf("ready pid=%ld\n", (long)getpid());
    fflush(stdout);
    for (;;)
        sleep(3600);
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "idle") == 0)
        idle();
    if (argc == 5 && strcmp(argv[1], "touch") == 0) {
        struct bounds b = {arg_u64("MIN_OPS", argv[2]),
                           arg_u64("MIN_MS", argv[3]) * 1000000ull};
        touch(&b, arg_u64("MIB", argv[4]));
        return 0;
    }
    die("usage: mem touch MIN_OPS MIN_MS MIB | mem idle");
}
