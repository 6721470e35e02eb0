/*
 * Processes and threads.
 *
 *   proc forkexec MIN_OPS MIN_MS PATH   us per fork + execve(PATH) + wait
 *   proc pthread  MIN_OPS MIN_MS        us per pthread_create + pthread_join
 *   proc pipe     MIN_OPS MIN_MS        us per round trip of one byte between two
 *                                       processes over a pair of pipes
 *
 * check: "ok" when every child exited 0 (forkexec), the sum of values returned by
 * the threads matches (pthread), and every byte came back incremented (pipe).
 */
#define _GNU_SOURCE
#include "bench.h"

#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static void forkexec(const struct bounds *b, const char *path)
{
    char *const args[] = {(char *)path, NULL};
    char *const env[] = {NULL};
    uint64_t ops = 0, start = now_ns();
    do {
        pid_t pid = fork();
        if (pid < 0)
            die("fork");
        if (pid == 0) {
            execve(path, args, env);
            _exit(127);
        }
        int status = 0;
        if (waitpid(pid, &status, 0) != pid)
            die("waitpid");
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            errno = 0;
            die("child %s ended with status 0x%x", path, status);
        }
        ops++;
    } while (keep_going(b, ops, start));
    uint64_t ns = now_ns() - start;
    report("forkexec", (double)ns / (double)ops / 1000.0, "us", ops, "ok");
}

static void *thread_fn(void *arg)
{
    return (void *)((uintptr_t)arg + 1);
}

static void threads(const struct bounds *b)
{
    uint64_t ops = 0, sum = 0, want = 0, start = now_ns();
    do {
        pthread_t t;
        int err = pthread_create(&t, NULL, thread_fn, (void *)(uintptr_t)ops);
        if (err) {
            errno = err;
            die("pthread_create");
        }
        void *ret = NULL;
        err = pthread_join(t, &ret);
        if (err) {
            errno = err;
            die("pthread_join");
        }
        sum += (uintptr_t)ret;
        want += ops + 1;
        ops++;
    } while (keep_going(b, ops, start));
    uint64_t ns = now_ns() - start;
    if (sum != want) {
        errno = 0;
        die("threads returned %llu, expected %llu", (unsigned long long)sum,
            (unsigned long long)want);
    }
    report("pthread", (double)ns / (double)ops / 1000.0, "us", ops, "ok");
}

static void pingpong(const struct bounds *b)
{
    int to_child[2], to_parent[2];
    if (pipe(to_child) != 0 || pipe(to_parent) != 0)
        die("pipe");
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        close(to_child[1]);
        close(to_parent[0]);
        unsigned char c;
        for (;;) {
            ssize_t n = read(to_child[0], &c, 1);
            if (n == 0)
                _exit(0);
            if (n != 1)
                _exit(3);
            c++;
            if (write(to_parent[1], &c, 1) != 1)
                _exit(4);
        }
    }
    close(to_child[0]);
    close(to_parent[1]);
    /* one untimed round trip so the child is running before the clock starts */
    unsigned char out = 0, in = 0;
    if (write(to_child[1], &out, 1) != 1 || read(to_parent[0], &in, 1) != 1 || in != 1)
        die("first round trip");
    uint64_t ops = 0, start = now_ns();
    do {
        out = (unsigned char)ops;
        if (write(to_child[1], &out, 1) != 1)
            die("write");
        if (read(to_parent[0], &in, 1) != 1)
            die("read");
        if (in != (unsigned char)(out + 1)) {
            errno = 0;
            die("got %u back for %u", in, out);
        }
        ops++;
    } while (keep_going(b, ops, start));
    uint64_t ns = now_ns() - start;
    close(to_child[1]);
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        die("pipe child ended badly (status 0x%x)", status);
    report("pipe", (double)ns / (double)ops / 1000.0, "us", ops, "ok");
}

int main(int argc, char **argv)
{
    if (argc < 4)
        die("usage: proc forkexec|pthread|pipe MIN_OPS MIN_MS [PATH]");
    struct bounds b = {arg_u64("MIN_OPS", argv[2]), arg_u64("MIN_MS", argv[3]) * 1000000ull};
    const char *mode = argv[1];
    if (strcmp(mode, "forkexec") == 0 && argc == 5)
        forkexec(&b, argv[4]);
    else if (strcmp(mode, "pthread") == 0 && argc == 4)
        threads(&b);
    else if (strcmp(mode, "pipe") == 0 && argc == 4)
        pingpong(&b);
    else
        die("unknown mode or wrong arguments: %s", mode);
    return 0;
}
