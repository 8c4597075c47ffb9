// SPDX-License-Identifier: GPL-2.0
/*
 * thread_exec: a non-leader thread calls execve while its siblings run, as
 * Go and Java programs do. The kernel's de_thread() then gives the execing
 * thread the leader's pid (exchange_tids()) while the thread is inside
 * execve: any traced call it has outstanding returns under another pid.
 *
 *   thread_exec ROUNDS     fork ROUNDS children that each do it once;
 *                          exit 0 when every child's exec succeeded
 *
 * Static, for the test guests' busybox initramfs.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXECED_STATUS 42

/* Siblings keep reading: traced reads on every CPU while one thread execs. */
static void *reader(void *arg)
{
	char buf[256];

	for (;;) {
		int fd = open("/proc/self/stat", O_RDONLY);

		if (fd >= 0) {
			if (read(fd, buf, sizeof(buf)) < 0)
				perror("read");
			close(fd);
		}
	}
	return arg;
}

static void *execer(void *arg)
{
	char *const argv[] = { "thread_exec", "--execed", NULL };

	usleep(1000);
	execv("/proc/self/exe", argv);
	perror("execv");
	exit(1);
	return arg;
}

static int child(void)
{
	pthread_t t;
	int i;

	for (i = 0; i < 3; i++)
		if (pthread_create(&t, NULL, reader, NULL))
			return 1;
	if (pthread_create(&t, NULL, execer, NULL))
		return 1;
	/* The leader waits; de_thread() kills it when the exec goes through. */
	pthread_join(t, NULL);
	return 1;
}

int main(int argc, char **argv)
{
	int rounds, i, status, failed = 0;

	if (argc > 1 && !strcmp(argv[1], "--execed"))
		return EXECED_STATUS;
	rounds = argc > 1 ? atoi(argv[1]) : 10;
	for (i = 0; i < rounds; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (!pid)
			exit(child());
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != EXECED_STATUS)
			failed++;
	}
	printf("thread_exec: %d rounds, %d failed\n", rounds, failed);
	return failed != 0;
}
