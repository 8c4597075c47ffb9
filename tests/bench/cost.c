// SPDX-License-Identifier: GPL-2.0
/*
 * mfg_cost: the per-call cost of a traced function, measured in one boot.
 *
 * On load it times N calls of a traceable no-op function untraced, with one
 * mfgraph user asking for every return (empty callbacks), with one
 * entry-only user, with an mfg_kretprobe and with the kernel's kretprobe
 * (empty handlers both), and prints the figures. Under QEMU with
 * -icount shift=0 one nanosecond of guest time is one guest instruction,
 * so the figures are instruction counts, stable from run to run.
 */
#include <linux/irqflags.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/sort.h>
#include <linux/timekeeping.h>

#include <mfgraph.h>
#include <mfg_kretprobe.h>

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

/* One line: the row's cost and its cost net of the untraced call, in ns. */
static void mfg_cost_print(const char *row, u64 ps, u64 base)
{
	s64 net = div_s64((s64)ps - (s64)base, 100);
	u64 tenths = div_u64(ps, 100);

	pr_info("mfg_cost: %-32s %6llu.%llu ns/call  net %6lld.%lld\n", row, tenths / 10,
		tenths % 10, net / 10, abs(net) % 10);
}

static int mfg_cost_krp_handler(struct mfg_kretprobe_instance *ri, struct pt_regs *regs)
{
	return 0;
}

static int mfg_cost_kernel_handler(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	return 0;
}

static int __init mfg_cost_init(void)
{
	unsigned long ip = (unsigned long)mfg_cost_target;
	struct mfg_ops ops = { .entryfunc = mfg_cost_entry, .retfunc = mfg_cost_return };
	struct mfg_ops entry_only = { .entryfunc = mfg_cost_entry };
	struct mfg_kretprobe mrp = {
		.addr = mfg_cost_target, .handler = mfg_cost_krp_handler,
		.entry_handler = mfg_cost_krp_handler,
	};
	struct kretprobe krp = {
		.kp.addr = (kprobe_opcode_t *)mfg_cost_target, .handler = mfg_cost_kernel_handler,
		.entry_handler = mfg_cost_kernel_handler,
	};
	u64 base, one, eo, mk, kk;
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

	ret = mfg_register_kretprobe(&mrp);
	if (ret)
		goto out;
	mk = mfg_cost_row();
	mfg_unregister_kretprobe(&mrp);

	ret = register_kretprobe(&krp);
	if (ret)
		goto out;
	kk = mfg_cost_row();
	unregister_kretprobe(&krp);

	mfg_cost_print("untraced", base, base);
	mfg_cost_print("mfgraph 1 user, entry+return", one, base);
	mfg_cost_print("mfgraph 1 user, entry only", eo, base);
	mfg_cost_print("mfg_kretprobe, empty handlers", mk, base);
	mfg_cost_print("kernel kretprobe, empty handlers", kk, base);
	if (mrp.nmissed || krp.nmissed)
		pr_info("mfg_cost: missed: mfg_kretprobe %d, kretprobe %d\n", mrp.nmissed,
			krp.nmissed);
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
