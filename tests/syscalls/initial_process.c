/*
 * What the first process sees: argv, envp, the auxiliary vector that the loader builds,
 * stack alignment, open fds, signal state and cwd.
 */
#include "lib/check.h"
#include <elf.h>
#include <fcntl.h>
#include <sys/auxv.h>

extern char **environ;
extern char _start[];

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	printf("argc=%d argv[0]=%s argv[argc] NULL=%d\n", argc, argv[0], argv[argc] == NULL);
	int n = 0;
	while (environ[n])
		n++;
	char **env = malloc(sizeof(char *) * (n + 1));
	memcpy(env, environ, sizeof(char *) * n);
	qsort(env, n, sizeof(char *), cmp);
	for (int i = 0; i < n; i++)
		if (strncmp(env[i], "RUST_LOG=", 9) != 0)   /* passed through only when set */
			printf("env: %s\n", env[i]);

	printf("AT_PAGESZ=%lu\n", getauxval(AT_PAGESZ));
	printf("AT_PHENT=%lu (sizeof Elf64_Phdr %zu)\n", getauxval(AT_PHENT), sizeof(Elf64_Phdr));
	Elf64_Phdr *phdr = (Elf64_Phdr *)getauxval(AT_PHDR);
	unsigned long phnum = getauxval(AT_PHNUM);
	int has_load = 0;
	for (unsigned long i = 0; phdr && i < phnum; i++)
		has_load |= phdr[i].p_type == PT_LOAD;
	printf("AT_PHDR points at program headers with a PT_LOAD: %s\n", has_load ? "yes" : "no");
	FACT("AT_PHNUM > 0", phnum > 0);
	FACT("AT_ENTRY == _start", getauxval(AT_ENTRY) == (unsigned long)_start);
	printf("AT_BASE=%lu (static: no interpreter)\n", getauxval(AT_BASE));
	printf("AT_UID=%lu AT_EUID=%lu AT_GID=%lu AT_EGID=%lu AT_SECURE=%lu\n", getauxval(AT_UID),
	       getauxval(AT_EUID), getauxval(AT_GID), getauxval(AT_EGID), getauxval(AT_SECURE));
	printf("AT_CLKTCK=%lu\n", getauxval(AT_CLKTCK));
	const char *execfn = (const char *)getauxval(AT_EXECFN);
	printf("AT_EXECFN=%s\n", execfn ? execfn : "(none)");
	const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
	int nonzero = 0;
	for (int i = 0; rnd && i < 16; i++)
		nonzero |= rnd[i];
	FACT("AT_RANDOM points at 16 bytes, not all zero", rnd && nonzero);
	FACT("AT_HWCAP non-zero", getauxval(AT_HWCAP) != 0);
	const char *platform = (const char *)getauxval(AT_PLATFORM);
	printf("AT_PLATFORM=%s\n", platform ? platform : "(none)");

	/* The stack: argv sits just above argc; the ABI aligns rsp to 16 at _start. */
	FACT("argv is on a readable stack near environ", (char *)environ > (char *)argv);

	/* Nothing but stdio is open; no signal is blocked or pending; cwd is "/". */
	int open_fds = 0;
	for (int fd = 0; fd < 64; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			open_fds++;
	printf("open fds below 64: %d\n", open_fds);
	sigset_t mask, pend;
	sigprocmask(SIG_SETMASK, NULL, &mask);
	sigpending(&pend);
	FACT("mask empty", sigisemptyset(&mask));
	FACT("nothing pending", sigisemptyset(&pend));
	char cwd[64];
	printf("cwd=%s\n", getcwd(cwd, sizeof(cwd)) ? cwd : errname(errno));
	return 0;
}
