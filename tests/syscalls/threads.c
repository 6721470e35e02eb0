/* pthreads (clone with CLONE_VM|CLONE_THREAD): ids, shared memory, join, mutexes, exit. */
#include "lib/check.h"
#include <pthread.h>

static int shared_counter;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static __thread int tls_value = 7;
static pid_t main_pid;

struct result {
	int tid_differs;
	int pid_same;
	int tls_initial;
};

static void *worker(void *arg)
{
	struct result *r = arg;
	r->tid_differs = syscall(SYS_gettid) != main_pid;
	r->pid_same = getpid() == main_pid;
	r->tls_initial = tls_value;
	tls_value = 99;
	for (int i = 0; i < 10000; i++) {
		pthread_mutex_lock(&lock);
		shared_counter++;
		pthread_mutex_unlock(&lock);
	}
	return arg;
}

static void *exiter(void *arg)
{
	(void)arg;
	exit(5);   /* exit_group from a thread ends the whole process */
}

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static void exit_from_thread(void)
{
	pthread_t t;
	pthread_create(&t, NULL, exiter, NULL);
	for (;;)
		pause();
}

static void main_exits_thread_lives(void)
{
	pthread_t t;
	pthread_create(&t, NULL, sleeper, NULL);
	/* pthread_exit in main: the process lives on while a thread does. */
	syscall(SYS_exit, 0);
}

int main(void)
{
	main_pid = getpid();
	pthread_t t[4];
	struct result r[4];
	for (int i = 0; i < 4; i++)
		SHOW_RC(pthread_create(&t[i], NULL, worker, &r[i]));
	for (int i = 0; i < 4; i++) {
		void *ret;
		SHOW_RC(pthread_join(t[i], &ret));
		printf("thread %d: returned its arg=%d tid differs=%d same pid=%d tls initial=%d\n", i,
		       ret == &r[i], r[i].tid_differs, r[i].pid_same, r[i].tls_initial);
	}
	printf("counter=%d (4 x 10000)\n", shared_counter);
	printf("main tls unchanged=%d\n", tls_value == 7);

	in_child("exit(5) from a thread", exit_from_thread);

	/* The process with only a sleeping thread left is killed from outside. */
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		main_exits_thread_lives();
	usleep(100000);
	int status;
	FACT("process alive after its main thread exited", waitpid(pid, &status, WNOHANG) == 0);
	kill(pid, SIGTERM);
	wait_and_report("killed", pid);
	return 0;
}
