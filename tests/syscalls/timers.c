/* alarm, setitimer/getitimer and POSIX timers: expiry signals and remaining times. */
#include "lib/check.h"
#include <sys/time.h>
#include <time.h>

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* Waits until at least n SIGALRMs were handled, without a lost-wakeup window. */
static void wait_alarms(int n)
{
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGALRM);
	sigprocmask(SIG_BLOCK, &block, &old);
	while (alarms < n)
		sigsuspend(&old);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static void killed_by_alarm(void)
{
	alarm(1);
	for (;;)
		pause();
}

int main(void)
{
	/* alarm: returns the seconds left on the previous alarm. */
	SHOW(alarm(10));
	unsigned left = alarm(0);
	FACT("alarm(0) returns the remaining ~10 s", left >= 9 && left <= 10);
	SHOW(alarm(0));

	/* Default action of SIGALRM: terminate. */
	in_child("alarm(1) with the default action", killed_by_alarm);

	/* setitimer ITIMER_REAL: one-shot and periodic. */
	signal(SIGALRM, on_alarm);
	struct itimerval it = { .it_interval = { 0, 0 }, .it_value = { 0, 50000 } };
	SHOW(setitimer(ITIMER_REAL, &it, NULL));
	wait_alarms(1);
	printf("one-shot fired: %d\n", alarms);
	struct itimerval cur;
	SHOW(getitimer(ITIMER_REAL, &cur));
	printf("disarmed after firing: %s\n",
	       cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0 ? "yes" : "no");

	alarms = 0;
	it.it_interval.tv_usec = 20000;
	it.it_value.tv_usec = 20000;
	SHOW(setitimer(ITIMER_REAL, &it, NULL));
	wait_alarms(3);
	struct itimerval old;
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	SHOW(setitimer(ITIMER_REAL, &off, &old));
	printf("periodic fired at least 3 times: %s, old interval kept: %s\n",
	       alarms >= 3 ? "yes" : "no", old.it_interval.tv_usec == 20000 ? "yes" : "no");

	/* Remaining time counts down. */
	it.it_interval.tv_usec = 0;
	it.it_value.tv_sec = 5;
	it.it_value.tv_usec = 0;
	SHOW(setitimer(ITIMER_REAL, &it, NULL));
	SHOW(getitimer(ITIMER_REAL, &cur));
	FACT("remaining in (4 s, 5 s]", cur.it_value.tv_sec == 4 ||
					  (cur.it_value.tv_sec == 5 && cur.it_value.tv_usec == 0));
	SHOW(setitimer(ITIMER_REAL, &off, NULL));

	/* Errors. */
	it.it_value.tv_usec = 1000000;
	SHOW(setitimer(ITIMER_REAL, &it, NULL));           /* EINVAL */
	SHOW(setitimer(99, &off, NULL));                   /* EINVAL */
	SHOW(getitimer(99, &cur));
	SHOW(syscall(SYS_getitimer, ITIMER_REAL, KERNEL_PTR));

	/* POSIX timer with SIGEV_SIGNAL. */
	alarms = 0;
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGALRM };
	timer_t t;
	SHOW(timer_create(CLOCK_MONOTONIC, &sev, &t));
	struct itimerspec ts = { .it_interval = { 0, 0 }, .it_value = { 0, 30 * 1000000L } };
	SHOW(timer_settime(t, 0, &ts, NULL));
	wait_alarms(1);
	printf("POSIX timer fired: %d\n", alarms);
	struct itimerspec got;
	SHOW(timer_gettime(t, &got));
	printf("disarmed: %s\n", got.it_value.tv_sec == 0 && got.it_value.tv_nsec == 0 ? "yes" : "no");
	SHOW(timer_getoverrun(t));
	SHOW(timer_delete(t));
	SHOW(syscall(SYS_timer_delete, t));                /* EINVAL: already deleted */
	SHOW(timer_create(99, &sev, &t));                  /* EINVAL */
	return 0;
}
