// SPDX-License-Identifier: GPL-2.0
/*
 * exit_threads: processes that exit while threads of theirs are asleep in
 * the kernel. The leader calls exit_group(); each other thread is woken by
 * the fatal signal and exits inside get_signal() -> do_group_exit(): calls
 * that never return, which the exit-in-call scenario traces and probes.
 *
 *   exit_threads ROUNDS THREADS   fork ROUNDS children, one after another,
 *                                 each with THREADS sleeping threads; exit 0
 *                                 when every child exited with status 7
 *
 * Static, for the test guests' busybox initramfs.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXIT_STATUS 7

static void *sleeper(void *arg)
{
	for (;;)
		sleep(10);
	return arg;
}

static void child(int threads)
{
	pthread_t t;
	int i;

	for (i = 0; i < threads; i++)
		if (pthread_create(&t, NULL, sleeper, NULL))
			_exit(1);
	/* Let them reach their sleep, then take them all down. */
	usleep(20000);
	_exit(EXIT_STATUS);	/* exit_group() */
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 5;
	int threads = argc > 2 ? atoi(argv[2]) : 3;
	int i, status, failed = 0;

	for (i = 0; i < rounds; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (!pid)
			child(threads);
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != EXIT_STATUS) {
			fprintf(stderr, "exit_threads: child %d: status %#x\n", i, status);
			failed = 1;
		}
	}
	return failed;
}
