// SPDX-License-Identifier: GPL-2.0
/*
 * mfg_cost: the per-call cost of a traced function, measured in one boot.
 *
 * On load it times N calls of a traceable no-op function untraced, then
 * with one mfgraph user asking for every return (empty callbacks), then
 * with one entry-only user, and prints the figures. Under QEMU with
 * -icount shift=0 one nanosecond of guest time is one guest instruction,
 * so the figures are instruction counts, stable from run to run.
 */
#include <linux/irqflags.h>
#include <linux/module.h>
#include <linux/sort.h>
#include <linux/timekeeping.h>

#include <mfgraph.h>

static unsigned int calls = 20000;
module_param(calls, uint, 0444);
MODULE_PARM_DESC(calls, "calls per measurement");

static unsigned int rounds = 5;
module_param(rounds, uint, 0444);
MODULE_PARM_DESC(rounds, "measurements per row; the median is printed");

noinline int mfg_cost_target(int x);
noinline int mfg_cost_target(int x)
{
	barrier_data(&x);
	return x;
}

static int mfg_cost_entry(const struct mfg_entry *trace, struct mfg_ops *ops,
			  struct ftrace_regs *fregs)
{
	return 1;
}

static void mfg_cost_return(const struct mfg_return *trace, struct mfg_ops *ops,
			    struct ftrace_regs *fregs)
{
}

static u64 notrace mfg_cost_once(void)
{
	unsigned long flags;
	unsigned int i;
	u64 t0, t1;

	local_irq_save(flags);
	t0 = ktime_get_mono_fast_ns();
	for (i = 0; i < calls; i++)
		mfg_cost_target(i);
	t1 = ktime_get_mono_fast_ns();
	local_irq_restore(flags);
	return t1 - t0;
}

static int mfg_cost_cmp(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* Median over the rounds, in picoseconds per call (ns per call x 1000). */
static u64 notrace mfg_cost_row(void)
{
	u64 t[16];
	unsigned int i, n = clamp(rounds, 1U, 16U);

	for (i = 0; i < n; i++)
		t[i] = mfg_cost_once();
	sort(t, n, sizeof(t[0]), mfg_cost_cmp, NULL);
	return div_u64(t[n / 2] * 1000, calls);
}

static void mfg_cost_print(const char *row, u64 ps, u64 base)
{
	pr_info("mfg_cost: %-28s %6llu.%01llu ns/call  net %6lld.%01llu\n", row, ps / 1000,
		(ps % 1000) / 100, (s64)(ps - base) / 1000, (ps >= base ? ps - base : 0) % 1000 / 100);
}

static int __init mfg_cost_init(void)
{
	unsigned long ip = (unsigned long)mfg_cost_target;
	struct mfg_ops ops = { .entryfunc = mfg_cost_entry, .retfunc = mfg_cost_return };
	struct mfg_ops entry_only = { .entryfunc = mfg_cost_entry };
	u64 base, one, eo;
	int ret;

	if (!calls)
		return -EINVAL;
	base = mfg_cost_row();
	ret = mfg_set_filter_ips(&ops, &ip, 1, false, true);
	if (!ret)
		ret = mfg_register(&ops);
	if (ret)
		goto out;
	mfg_cost_target(0);	/* this task's first traced call takes its stack */
	one = mfg_cost_row();
	mfg_unregister(&ops);
	ret = mfg_set_filter_ips(&entry_only, &ip, 1, false, true);
	if (!ret)
		ret = mfg_register(&entry_only);
	if (ret)
		goto out;
	eo = mfg_cost_row();
	mfg_unregister(&entry_only);
	mfg_cost_print("untraced", base, base);
	mfg_cost_print("1 user, entry and return", one, base);
	mfg_cost_print("1 user, entry only", eo, base);
out:
	mfg_free_filter(&ops);
	mfg_free_filter(&entry_only);
	return ret;
}

static void __exit mfg_cost_exit(void)
{
}

module_init(mfg_cost_init);
module_exit(mfg_cost_exit);

MODULE_DESCRIPTION("mfgraph: per-call cost of a traced function");
MODULE_LICENSE("GPL");
