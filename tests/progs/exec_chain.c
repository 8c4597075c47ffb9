// SPDX-License-Identifier: GPL-2.0
/*
 * exec_chain: exec from a thread that is not the thread-group leader, with
 * other threads running, as Go and Java programs do.
 *
 *   exec_chain N [THREADS]
 *
 * Starts THREADS (default 3) threads that make system calls in a loop; the
 * last one, never the leader, execs this program again with N-1 while the
 * others run (the kernel's de_thread() kills them and gives the exec'ing
 * thread the leader's pid). At N = 0 it exits with its threads running.
 * Static: the guest has no C library.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int generation;
static char *self;

static void work(void)
{
	struct timespec ts = { 0, 100000 };
	char buf[256];
	int fd;

	getppid();
	fd = open("/proc/self/stat", O_RDONLY);
	if (fd >= 0) {
		if (read(fd, buf, sizeof(buf)) < 0)
			perror("exec_chain: read");
		close(fd);
	}
	nanosleep(&ts, NULL);
}

static void *spinner(void *arg)
{
	for (;;)
		work();
	return arg;
}

static void *execer(void *arg)
{
	char n[16];
	char *const argv[] = { "exec_chain", n, "3", NULL };
	static char *const envp[] = { NULL };
	int i;

	(void)arg;
	for (i = 0; i < 5; i++)
		work();
	if (generation == 0)
		exit(0);
	snprintf(n, sizeof(n), "%d", generation - 1);
	execve(self, argv, envp);
	perror("exec_chain: execve");
	exit(1);
}

int main(int argc, char **argv)
{
	int threads = argc > 2 ? atoi(argv[2]) : 3;
	pthread_t t;
	int i;

	generation = argc > 1 ? atoi(argv[1]) : 10;
	/* /proc/self/exe would name this binary even as argv[0] changes. */
	self = "/proc/self/exe";
	if (threads < 1)
		threads = 1;
	for (i = 0; i < threads - 1; i++)
		if (pthread_create(&t, NULL, spinner, NULL)) {
			fprintf(stderr, "exec_chain: pthread_create failed\n");
			return 1;
		}
	if (pthread_create(&t, NULL, execer, NULL)) {
		fprintf(stderr, "exec_chain: pthread_create failed\n");
		return 1;
	}
	/* The leader works too until the exec takes it down. */
	spinner(NULL);
	return 0;
}
