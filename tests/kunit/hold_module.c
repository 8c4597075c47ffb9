// SPDX-License-Identifier: GPL-2.0
/*
 * mfg_hold_test: a minimal client module for the scenarios. It registers one
 * user on kernel functions (module parameter "func": globs separated by
 * commas) that wants every return, and unregisters when it is unloaded. Its
 * counts of entries, returns and misses read back as the parameters
 * "entries", "returns" and "missed" (calls mfgraph ran without a frame for
 * it, through the miss callback). The unload scenario keeps a task asleep inside the function
 * meanwhile, so that mfgraph has a frame outstanding after its last user
 * left. Writing the parameter "filter" changes the filter of the registered
 * user: "=GLOB" replaces it, "+GLOB" adds to it, "-NAME" removes one
 * function, "0" empties it (the filter scenario); "registered" takes it
 * off and puts it back (the fault injection scenario).
 */
#include <linux/atomic.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include <mfgraph.h>

static char *func = "hrtimer_nanosleep";
module_param(func, charp, 0444);
MODULE_PARM_DESC(func, "the functions to trace: globs separated by commas");

static bool entry_only;
module_param(entry_only, bool, 0444);
MODULE_PARM_DESC(entry_only, "register without a return callback (no frames)");

static atomic_t mfg_hold_entries;
static atomic_t mfg_hold_returns;
static atomic_t mfg_hold_missed;

static int mfg_hold_get_count(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read(kp->arg));
}

static const struct kernel_param_ops mfg_hold_count_ops = {
	.get = mfg_hold_get_count,
};

module_param_cb(entries, &mfg_hold_count_ops, &mfg_hold_entries, 0444);
MODULE_PARM_DESC(entries, "entries seen");
module_param_cb(returns, &mfg_hold_count_ops, &mfg_hold_returns, 0444);
MODULE_PARM_DESC(returns, "returns seen");
module_param_cb(missed, &mfg_hold_count_ops, &mfg_hold_missed, 0444);
MODULE_PARM_DESC(missed, "calls run without a frame for this user");

static int mfg_hold_entry(const struct mfg_entry *trace, struct mfg_ops *ops,
			  struct ftrace_regs *fregs)
{
	atomic_inc(&mfg_hold_entries);
	return 1;
}

static void mfg_hold_return(const struct mfg_return *trace, struct mfg_ops *ops,
			    struct ftrace_regs *fregs)
{
	atomic_inc(&mfg_hold_returns);
}

static void mfg_hold_miss(unsigned long func, struct mfg_ops *ops)
{
	atomic_inc(&mfg_hold_missed);
}

static struct mfg_ops mfg_hold_ops = {
	.entryfunc = mfg_hold_entry,
	.retfunc = mfg_hold_return,
	.missfunc = mfg_hold_miss,
};

static int mfg_hold_set_filter(const char *val, const struct kernel_param *kp)
{
	char *arg = kstrdup(val, GFP_KERNEL);
	unsigned long ip;
	int ret;

	if (!arg)
		return -ENOMEM;
	strim(arg);
	switch (arg[0]) {
	case '=':
	case '+':
		ret = mfg_set_filter(&mfg_hold_ops, arg + 1, arg[0] == '=');
		break;
	case '-':
		ret = mfg_func_ip(arg + 1, 0, &ip);
		if (!ret)
			ret = mfg_set_filter_ips(&mfg_hold_ops, &ip, 1, true, false);
		break;
	case '0':
		ret = mfg_set_filter_ips(&mfg_hold_ops, NULL, 0, false, true);
		break;
	default:
		ret = -EINVAL;
	}
	kfree(arg);
	return ret;
}

static const struct kernel_param_ops mfg_hold_filter_ops = {
	.set = mfg_hold_set_filter,
};

module_param_cb(filter, &mfg_hold_filter_ops, NULL, 0200);
MODULE_PARM_DESC(filter, "change the filter: =GLOB, +GLOB, -NAME or 0");

/* "0" unregisters the user, "1" registers it again (the fault scenario). */
static int mfg_hold_set_registered(const char *val, const struct kernel_param *kp)
{
	bool on;
	int ret = kstrtobool(val, &on);

	if (ret)
		return ret;
	if (!on) {
		mfg_unregister(&mfg_hold_ops);
		return 0;
	}
	return mfg_register(&mfg_hold_ops);
}

static const struct kernel_param_ops mfg_hold_registered_ops = {
	.set = mfg_hold_set_registered,
};

module_param_cb(registered, &mfg_hold_registered_ops, NULL, 0200);
MODULE_PARM_DESC(registered, "0: unregister the user, 1: register it again");

static int __init mfg_hold_init(void)
{
	char *globs = kstrdup(func, GFP_KERNEL), *rest = globs, *glob;
	bool reset = true;
	int ret = globs ? 0 : -ENOMEM;

	while (!ret && (glob = strsep(&rest, ",")) != NULL) {
		ret = mfg_set_filter(&mfg_hold_ops, glob, reset);
		reset = false;
	}
	kfree(globs);
	if (entry_only)
		mfg_hold_ops.retfunc = NULL;
	if (!ret)
		ret = mfg_register(&mfg_hold_ops);
	if (ret) {
		mfg_free_filter(&mfg_hold_ops);
		return ret;
	}
	pr_info("mfg_hold: tracing %s\n", func);
	return 0;
}

static void __exit mfg_hold_exit(void)
{
	mfg_unregister(&mfg_hold_ops);
	mfg_free_filter(&mfg_hold_ops);
	pr_info("mfg_hold: %d entries, %d returns, %d missed\n",
		atomic_read(&mfg_hold_entries), atomic_read(&mfg_hold_returns),
		atomic_read(&mfg_hold_missed));
}

module_init(mfg_hold_init);
module_exit(mfg_hold_exit);

MODULE_DESCRIPTION("mfgraph: client module for the unload scenario");
MODULE_LICENSE("GPL");
