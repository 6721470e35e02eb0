/*
 * Shared helpers for Moat's benchmark programs.
 *
 * Every program measures one thing inside whatever runtime starts it and prints
 * exactly one result line on stdout:
 *
 *   RESULT metric=<name> value=<number> unit=<unit> ops=<count> check=<token>
 *
 * The harness (bench/harness) accepts a figure only from such a line, and only when
 * `check` holds the token it expects, so a runtime that does not really run the
 * workload shows up as an error, never as a number.  Problems go to stderr with a
 * non-zero exit status.
 *
 * Loops are time-bounded: a benchmark repeats batches of operations until both a
 * minimum number of operations and a minimum duration are reached, so slow and fast
 * runtimes both get a measurement of useful length.
 */
#ifndef MOAT_BENCH_H
#define MOAT_BENCH_H

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

__attribute__((noreturn, format(printf, 1, 2)))
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bench: ", stderr);
    vfprintf(stderr, fmt, ap);
    if (errno)
        fprintf(stderr, " (%s)", strerror(errno));
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

/* Parses a non-negative integer argument or dies naming it. */
static inline uint64_t arg_u64(const char *what, const char *s)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end != '\0')
        die("bad %s: '%s'", what, s);
    return (uint64_t)v;
}

/* Repeat-until bounds for a measured loop. */
struct bounds {
    uint64_t min_ops; /* run at least this many operations */
    uint64_t min_ns;  /* and for at least this long */
};

static inline int keep_going(const struct bounds *b, uint64_t ops, uint64_t start)
{
    return ops < b->min_ops || now_ns() - start < b->min_ns;
}

static inline void report(const char *metric, double value, const char *unit,
                          uint64_t ops, const char *check)
{
    printf("RESULT metric=%s value=%.6g unit=%s ops=%llu check=%s\n", metric, value, unit,
           (unsigned long long)ops, check);
    fflush(stdout);
}

/* Pattern of the sequential-read data file: word i (8 bytes, little endian) holds
 * i * PATTERN_MUL + PATTERN_ADD, so any page can be checked without a reference copy. */
#define PATTERN_MUL 0x9e3779b97f4a7c15ull
#define PATTERN_ADD 0x6d6f6174ull /* "moat" */

static inline uint64_t pattern_word(uint64_t index)
{
    return index * PATTERN_MUL + PATTERN_ADD;
}

#endif
