// SPDX-License-Identifier: GPL-2.0
/*
 * Probed targets for the kretprobe tests. This object keeps its ftrace
 * entries (see Kbuild); the compiler is kept from inlining or cloning them.
 */
#include <linux/completion.h>
#include <linux/delay.h>

#include "krp_targets.h"

#define KRP_TARGET __attribute__((__noipa__))

KRP_TARGET int krp_target_value(int x)
{
	return 2 * x + 1;
}

KRP_TARGET int krp_target_other(int x)
{
	return x - 7;
}

KRP_TARGET int krp_target_inner(int (*fn)(void *arg), void *arg)
{
	return fn(arg) + 1;
}

KRP_TARGET int krp_target_outer(int (*fn)(void *arg), void *arg)
{
	int r = krp_target_inner(fn, arg);

	/* Not a tail call: the outer frame must stay. */
	barrier_data(&r);
	return r + 1;
}

/* Sleeps, so that many calls are in flight at once. */
KRP_TARGET int krp_target_nap(int x)
{
	usleep_range(1000, 2000);
	return 3 * x;
}

KRP_TARGET int krp_target_wait(struct completion *wake)
{
	wait_for_completion(wake);
	return 99;
}

/* Recurses @n times: deeper than a shadow stack holds, for the miss count. */
KRP_TARGET int krp_target_recurse(int n)
{
	int r = n ? krp_target_recurse(n - 1) : 0;

	/* Not a tail call, nor a loop: every level keeps its frame. */
	barrier_data(&r);
	return r + 1;
}

/* Calls @fn, which may exit the task: then this call never returns. */
KRP_TARGET int krp_target_exit(int (*fn)(void *arg), void *arg)
{
	int r = fn(arg);

	/* Not a tail call: the frame must stay while @fn runs. */
	barrier_data(&r);
	return r + 5;
}
