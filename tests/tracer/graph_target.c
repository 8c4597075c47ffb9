// SPDX-License-Identifier: GPL-2.0
/*
 * mfg_graph_target: functions with a known call tree, for mfg_graph's
 * scenarios (tests/qemu/scenarios/graph-*.sh) and its per-call cost.
 * This object keeps its fentry / patchable function entries: see Kbuild.
 *
 * Writing N to "run" calls mfgt_top() N times from the writing task; each
 * call makes this tree (depth from mfgt_top):
 *
 *   mfgt_top
 *     mfgt_mid
 *       mfgt_leaf
 *       mfgt_leaf
 *     mfgt_deep(3)
 *       mfgt_deep(2)
 *         mfgt_deep(1)
 *           mfgt_deep(0)
 *             mfgt_leaf
 *     mfgt_leaf
 *
 * Writing N to "bench" calls mfgt_leaf() N times and sets "bench_ps" to the
 * mean time of one call in ps (ktime), for the cost of a traced call.
 */
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#define MFGT_TARGET __attribute__((__noipa__))

static long result;
module_param(result, long, 0444);
MODULE_PARM_DESC(result, "the results of the calls, so that they happen");
static unsigned long bench_ps;
module_param(bench_ps, ulong, 0444);
MODULE_PARM_DESC(bench_ps, "mean time of one mfgt_leaf() call of the last bench, ps");

static MFGT_TARGET long mfgt_leaf(long x)
{
	return x * 3 + 1;
}

static MFGT_TARGET long mfgt_mid(long x)
{
	return mfgt_leaf(x) + mfgt_leaf(x + 1);
}

static unsigned long deep_calls;

static MFGT_TARGET long mfgt_deep(long n)
{
	long r;

	if (!n)
		return mfgt_leaf(0);
	r = mfgt_deep(n - 1);
	/* A store after the call: GCC may not turn the recursion into a loop. */
	WRITE_ONCE(deep_calls, deep_calls + 1);
	return r + 1;
}

static MFGT_TARGET long mfgt_top(long x)
{
	return mfgt_mid(x) + mfgt_deep(3) + mfgt_leaf(x);
}

static int graph_target_run_set(const char *val, const struct kernel_param *kp)
{
	unsigned int n, i;
	int ret = kstrtouint(val, 0, &n);

	if (ret)
		return ret;
	for (i = 0; i < n; i++)
		WRITE_ONCE(result, READ_ONCE(result) + mfgt_top(i));
	return 0;
}

static const struct kernel_param_ops graph_target_run_ops = {
	.set = graph_target_run_set,
};
module_param_cb(run, &graph_target_run_ops, NULL, 0200);
MODULE_PARM_DESC(run, "call mfgt_top() this many times");

static int graph_target_bench_set(const char *val, const struct kernel_param *kp)
{
	unsigned int n, i;
	long sum = 0;
	u64 t0, t1;
	int ret = kstrtouint(val, 0, &n);

	if (ret || !n)
		return ret ?: -EINVAL;
	t0 = ktime_get_ns();
	for (i = 0; i < n; i++)
		sum += mfgt_leaf(i);
	t1 = ktime_get_ns();
	WRITE_ONCE(result, READ_ONCE(result) + sum);
	WRITE_ONCE(bench_ps, div_u64((t1 - t0) * 1000, n));
	return 0;
}

static const struct kernel_param_ops graph_target_bench_ops = {
	.set = graph_target_bench_set,
};
module_param_cb(bench, &graph_target_bench_ops, NULL, 0200);
MODULE_PARM_DESC(bench, "call mfgt_leaf() this many times, timed");

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("mfg_graph test targets with a known call tree");
