// SPDX-License-Identifier: GPL-2.0
/*
 * mfg_krp_hold_test: a kretprobe owner for the unload scenario. It probes a
 * kernel function (module parameter "func") with an mfg_kretprobe and
 * unregisters when unloaded, while the scenario keeps a task asleep in that
 * function: the probe's handler must never run for that call, and the
 * module must unload cleanly. "data_size" and "maxactive" make it a pooled
 * probe (the exit-in-call scenario).
 */
#include <linux/atomic.h>
#include <linux/module.h>
#include <linux/sysfs.h>

#include <mfg_kretprobe.h>

static char *func = "hrtimer_nanosleep";
module_param(func, charp, 0444);
MODULE_PARM_DESC(func, "the function to probe");

static ulong data_size = 16;
module_param(data_size, ulong, 0444);
MODULE_PARM_DESC(data_size, "the probe's data_size (over 64: a pooled probe)");

static int maxactive;
module_param(maxactive, int, 0444);
MODULE_PARM_DESC(maxactive, "the probe's maxactive (0: the default)");

static atomic_t mfg_krp_hold_entries;
static atomic_t mfg_krp_hold_returns;

static int mfg_krp_hold_get_count(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read(kp->arg));
}

static const struct kernel_param_ops mfg_krp_hold_count_ops = {
	.get = mfg_krp_hold_get_count,
};

module_param_cb(entries, &mfg_krp_hold_count_ops, &mfg_krp_hold_entries, 0444);
MODULE_PARM_DESC(entries, "entries seen");
module_param_cb(returns, &mfg_krp_hold_count_ops, &mfg_krp_hold_returns, 0444);
MODULE_PARM_DESC(returns, "returns seen");

static struct mfg_kretprobe mfg_krp_hold;

static int mfg_krp_hold_get_missed(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(mfg_krp_hold.nmissed));
}

static const struct kernel_param_ops mfg_krp_hold_missed_ops = {
	.get = mfg_krp_hold_get_missed,
};

module_param_cb(missed, &mfg_krp_hold_missed_ops, NULL, 0444);
MODULE_PARM_DESC(missed, "calls the probe missed");

static int mfg_krp_hold_entry(struct mfg_kretprobe_instance *ri, struct pt_regs *regs)
{
	atomic_inc(&mfg_krp_hold_entries);
	return 0;
}

static int mfg_krp_hold_return(struct mfg_kretprobe_instance *ri, struct pt_regs *regs)
{
	atomic_inc(&mfg_krp_hold_returns);
	return 0;
}

static struct mfg_kretprobe mfg_krp_hold = {
	.entry_handler = mfg_krp_hold_entry,
	.handler = mfg_krp_hold_return,
};

static int __init mfg_krp_hold_init(void)
{
	mfg_krp_hold.symbol_name = func;
	mfg_krp_hold.data_size = data_size;
	mfg_krp_hold.maxactive = maxactive;
	return mfg_register_kretprobe(&mfg_krp_hold);
}

static void __exit mfg_krp_hold_exit(void)
{
	mfg_unregister_kretprobe(&mfg_krp_hold);
	pr_info("mfg_krp_hold: %d entries, %d returns, %d missed\n",
		atomic_read(&mfg_krp_hold_entries), atomic_read(&mfg_krp_hold_returns),
		mfg_krp_hold.nmissed);
}

module_init(mfg_krp_hold_init);
module_exit(mfg_krp_hold_exit);

MODULE_DESCRIPTION("mfgraph: kretprobe owner for the unload scenario");
MODULE_LICENSE("GPL");
