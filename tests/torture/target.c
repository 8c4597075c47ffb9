// SPDX-License-Identifier: GPL-2.0
/*
 * mfg_torture_target: the module the torture suite loads and unloads in a
 * loop while mfgraph users filter on its functions by name. Built with
 * ftrace instrumentation; a kthread calls its functions while it is loaded.
 */
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/module.h>

static struct task_struct *mfg_torture_target_thread;

static __attribute__((__noipa__)) int mfg_torture_target_leaf(int x)
{
	return x * 3 + 1;
}

static __attribute__((__noipa__)) int mfg_torture_target_outer(int x)
{
	return mfg_torture_target_leaf(x) + mfg_torture_target_leaf(x + 1);
}

static int mfg_torture_target_fn(void *arg)
{
	int x = 0;

	while (!kthread_should_stop()) {
		x = mfg_torture_target_outer(x) & 0xffff;
		usleep_range(200, 400);
	}
	return x < 0;
}

static int __init mfg_torture_target_init(void)
{
	/* Traced calls in the init function too, before the kthread starts. */
	mfg_torture_target_outer(1);
	mfg_torture_target_thread = kthread_run(mfg_torture_target_fn, NULL, "mfg_tt_target");
	return PTR_ERR_OR_ZERO(mfg_torture_target_thread);
}

static void __exit mfg_torture_target_exit(void)
{
	kthread_stop(mfg_torture_target_thread);
}

module_init(mfg_torture_target_init);
module_exit(mfg_torture_target_exit);

MODULE_DESCRIPTION("mfgraph: traced module for the torture suite");
MODULE_LICENSE("GPL");
