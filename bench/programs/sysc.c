/*
 * System-call cost.
 *
 *   sysc getpid    MIN_OPS MIN_MS          ns per getpid(2)
 *   sysc openclose MIN_OPS MIN_MS PATH     ns per open(2)+close(2) of PATH
 *   sysc stat      MIN_OPS MIN_MS PATH     ns per stat(2) of PATH
 *
 * check: "ok" for getpid (every call returned the same positive pid) and openclose
 * (every open succeeded); the file size for stat, which the harness compares with the
 * size of the file it put in the bundle.
 */
#define _GNU_SOURCE
#include "bench.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define BATCH 256

static void bench_getpid(const struct bounds *b)
{
    long first = syscall(SYS_getpid);
    if (first <= 0)
        die("getpid returned %ld", first);
    uint64_t ops = 0, start = now_ns();
    long bad = 0;
    do {
        for (int i = 0; i < BATCH; i++)
            bad |= syscall(SYS_getpid) ^ first;
        ops += BATCH;
    } while (keep_going(b, ops, start));
    uint64_t ns = now_ns() - start;
    if (bad)
        die("getpid returned different pids");
    report("getpid", (double)ns / (double)ops, "ns", ops, "ok");
}

static void bench_openclose(const struct bounds *b, const char *path)
{
    uint64_t ops = 0, start = now_ns();
    do {
        for (int i = 0; i < BATCH; i++) {
            int fd = open(path, O_RDONLY | O_CLOEXEC);
            if (fd < 0)
                die("open %s", path);
            if (close(fd) != 0)
                die("close");
        }
        ops += BATCH;
    } while (keep_going(b, ops, start));
    uint64_t ns = now_ns() - start;
    report("openclose", (double)ns / (double)ops, "ns", ops, "ok");
}

static void bench_stat(const struct bounds *b, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        die("stat %s", path);
    off_t size = st.st_size;
    uint64_t ops = 0, start = now_ns();
    do {
        for (int i = 0; i < BATCH; i++) {
            if (stat(path, &st) != 0 || st.st_size != size)
                die("stat %s changed", path);
        }
        ops += BATCH;
    } while (keep_going(b, ops, start));
    uint64_t ns = now_ns() - start;
    char check[32];
    snprintf(check, sizeof check, "%lld", (long long)size);
    report("stat", (double)ns / (double)ops, "ns", ops, check);
}

int main(int argc, char **argv)
{
    if (argc < 4)
        die("usage: sysc getpid|openclose|stat MIN_OPS MIN_MS [PATH]");
    struct bounds b = {arg_u64("MIN_OPS", argv[2]), arg_u64("MIN_MS", argv[3]) * 1000000ull};
    const char *mode = argv[1];
    if (strcmp(mode, "getpid") == 0)
        bench_getpid(&b);
    else if (strcmp(mode, "openclose") == 0 && argc == 5)
        bench_openclose(&b, argv[4]);
    else if (strcmp(mode, "stat") == 0 && argc == 5)
        bench_stat(&b, argv[4]);
    else
        die("unknown mode or missing PATH: %s", mode);
    return 0;
}
