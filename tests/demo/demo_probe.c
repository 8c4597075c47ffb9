// SPDX-License-Identifier: GPL-2.0
/*
 * mfg_demo_probe: the demo's mfg_kretprobe user (make demo). It probes one
 * function (the "func" parameter, vfs_read by default) and counts its calls,
 * its returns, the returns that were errors and the bytes the others
 * returned, readable as parameters and printed at unload.
 */
#include <linux/atomic.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/ptrace.h>

#include <mfg_kretprobe.h>

static char *func = "vfs_read";
module_param(func, charp, 0444);
MODULE_PARM_DESC(func, "the function to probe");

static atomic_long_t mfgd_calls, mfgd_returns, mfgd_errors, mfgd_bytes;

static int mfgd_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(kp->arg));
}

static const struct kernel_param_ops mfgd_count_ops = {
	.get = mfgd_get,
};
module_param_cb(calls, &mfgd_count_ops, &mfgd_calls, 0444);
module_param_cb(returns, &mfgd_count_ops, &mfgd_returns, 0444);
module_param_cb(errors, &mfgd_count_ops, &mfgd_errors, 0444);
module_param_cb(bytes, &mfgd_count_ops, &mfgd_bytes, 0444);

static int mfgd_entry(struct mfg_kretprobe_instance *ri, struct pt_regs *regs)
{
	atomic_long_inc(&mfgd_calls);
	return 0;
}

static int mfgd_return(struct mfg_kretprobe_instance *ri, struct pt_regs *regs)
{
	long ret = (long)regs_return_value(regs);

	atomic_long_inc(&mfgd_returns);
	if (ret < 0)
		atomic_long_inc(&mfgd_errors);
	else
		atomic_long_add(ret, &mfgd_bytes);
	return 0;
}

static struct mfg_kretprobe mfgd_probe = {
	.handler = mfgd_return,
	.entry_handler = mfgd_entry,
};

static int __init mfgd_init(void)
{
	int ret;

	mfgd_probe.symbol_name = func;
	ret = mfg_register_kretprobe(&mfgd_probe);
	if (ret)
		pr_err("mfg_demo_probe: cannot probe %s (%d)\n", func, ret);
	return ret;
}

static void __exit mfgd_exit(void)
{
	mfg_unregister_kretprobe(&mfgd_probe);
	pr_info("mfg_demo_probe: %s: %ld calls, %ld returns (%ld errors, %ld bytes), %d missed\n",
		func, atomic_long_read(&mfgd_calls), atomic_long_read(&mfgd_returns),
		atomic_long_read(&mfgd_errors), atomic_long_read(&mfgd_bytes), mfgd_probe.nmissed);
}

module_init(mfgd_init);
module_exit(mfgd_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("mfgraph demo: an mfg_kretprobe that counts one function's calls");
