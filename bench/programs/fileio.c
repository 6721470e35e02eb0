/*
 * File I/O.
 *
 *   fileio mkfile    PATH MIB                   write the pattern file (setup, on the host)
 *   fileio seqread   MIN_OPS MIN_MS PATH BUFKIB  GB/s reading PATH start to end
 *   fileio smallfile MIN_OPS MIN_MS DIR BYTES    us per create+write+close+stat+unlink
 *
 * seqread reads the file once untimed (to warm caches), then whole passes until the
 * bounds are met (an op is one pass).  Every 4 KiB of every pass is checked against
 * the pattern; check is the file size in bytes.  smallfile's check is "ok" (every
 * stat saw the size written).
 */
#define _GNU_SOURCE
#include "bench.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static void mkfile(const char *path, uint64_t mib)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        die("create %s", path);
    enum { CHUNK = 1 << 20 };
    uint64_t *buf = malloc(CHUNK);
    if (!buf)
        die("malloc");
    uint64_t index = 0;
    for (uint64_t m = 0; m < mib; m++) {
        for (size_t i = 0; i < CHUNK / 8; i++)
            buf[i] = pattern_word(index++);
        if (write(fd, buf, CHUNK) != CHUNK)
            die("write %s", path);
    }
    if (fsync(fd) != 0 || close(fd) != 0)
        die("close %s", path);
    free(buf);
}

/* Reads the whole file once; returns bytes read, dies on a pattern mismatch. */
static uint64_t read_pass(int fd, char *buf, size_t bufsize)
{
    if (lseek(fd, 0, SEEK_SET) != 0)
        die("lseek");
    uint64_t off = 0;
    for (;;) {
        ssize_t n = read(fd, buf, bufsize);
        if (n < 0)
            die("read");
        if (n == 0)
            break;
        /* Buffers are 4 KiB multiples and reads of a regular file are full until EOF,
         * so off stays page-aligned here; check the first word of each page. */
        for (ssize_t p = 0; p + 8 <= n; p += 4096) {
            uint64_t w;
            memcpy(&w, buf + p, 8);
            if (w != pattern_word((off + (uint64_t)p) / 8)) {
                errno = 0;
                die("data mismatch at offset %llu", (unsigned long long)(off + (uint64_t)p));
            }
        }
        off += (uint64_t)n;
    }
    return off;
}

static void seqread(const struct bounds *b, const char *path, uint64_t bufkib)
{
    if (bufkib == 0 || bufkib > (1 << 20))
        die("bad BUFKIB");
    size_t bufsize = (size_t)bufkib * 1024;
    char *buf = aligned_alloc(4096, bufsize);
    if (!buf)
        die("malloc");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        die("open %s", path);
    struct stat st;
    if (fstat(fd, &st) != 0)
        die("fstat");
    uint64_t size = read_pass(fd, buf, bufsize);
    if (size != (uint64_t)st.st_size || size == 0) {
        errno = 0;
        die("read %llu bytes of %lld", (unsigned long long)size, (long long)st.st_size);
    }
    uint64_t ops = 0, start = now_ns();
    do {
        if (read_pass(fd, buf, bufsize) != size) {
            errno = 0;
            die("short pass");
        }
        ops++;
    } while (keep_going(b, ops, start));
    uint64_t ns = now_ns() - start;
    close(fd);
    char check[32];
    snprintf(check, sizeof check, "%llu", (unsigned long long)size);
    /* bytes per ns is GB/s (10^9 bytes per second) */
    report("seqread", (double)(size * ops) / (double)ns, "GB/s", ops, check);
}

static void smallfile(const struct bounds *b, const char *dir, uint64_t bytes)
{
    if (bytes == 0 || bytes > 65536)
        die("bad BYTES");
    char *data = malloc(bytes);
    if (!data)
        die("malloc");
    memset(data, 'm', bytes);
    char path[4096];
    uint64_t ops = 0, start = now_ns();
    do {
        for (int i = 0; i < 16; i++) {
            snprintf(path, sizeof path, "%s/moat-bench-%d", dir, i);
            int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
            if (fd < 0)
                die("create %s", path);
            if (write(fd, data, bytes) != (ssize_t)bytes)
                die("write %s", path);
            if (close(fd) != 0)
                die("close %s", path);
            struct stat st;
            if (stat(path, &st) != 0)
                die("stat %s", path);
            if ((uint64_t)st.st_size != bytes) {
                errno = 0;
                die("%s has %lld bytes, wrote %llu", path, (long long)st.st_size,
                    (unsigned long long)bytes);
            }
            if (unlink(path) != 0)
                die("unlink %s", path);
        }
        ops += 16;
    } while (keep_going(b, ops, start));
    uint64_t ns = now_ns() - start;
    report("smallfile", (double)ns / (double)ops / 1000.0, "us", ops, "ok");
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "mkfile") == 0) {
        mkfile(argv[2], arg_u64("MIB", argv[3]));
        return 0;
    }
    if (argc != 6)
        die("usage: fileio seqread|smallfile MIN_OPS MIN_MS PATH N");
    struct bounds b = {arg_u64("MIN_OPS", argv[2]), arg_u64("MIN_MS", argv[3]) * 1000000ull};
    if (strcmp(argv[1], "seqread") == 0)
        seqread(&b, argv[4], arg_u64("BUFKIB", argv[5]));
    else if (strcmp(argv[1], "smallfile") == 0)
        smallfile(&b, argv[4], arg_u64("BYTES", argv[5]));
    else
        die("unknown mode %s", argv[1]);
    return 0;
}
