// SPDX-License-Identifier: GPL-2.0
/*
 * mfg_gone_target: a module whose functions users filter on, for the
 * module-unload scenario (tests/qemu/scenarios/module-gone.sh). It does not
 * use mfgraph, so it loads and unloads freely under its users. This object
 * keeps its fentry / patchable function entries: see Kbuild.
 *
 * Writing N to the "call" parameter calls mfg_gone_target_fn() N times.
 * With hold_init=1 its init waits until 1 is written to "release", calling
 * the init-text function mfg_gone_target_init_fn() first, so that a filter
 * can be set on its functions while it is COMING; with fail_init=1 as well,
 * the load then fails.
 */
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#define MFG_TARGET __attribute__((__noipa__))

static bool hold_init;
module_param(hold_init, bool, 0444);
MODULE_PARM_DESC(hold_init, "wait in init until release is written");
static bool fail_init;
module_param(fail_init, bool, 0444);
MODULE_PARM_DESC(fail_init, "fail the load after holding");
static bool release;
module_param(release, bool, 0644);
MODULE_PARM_DESC(release, "let a held init finish");
static int sum;
module_param(sum, int, 0444);
MODULE_PARM_DESC(sum, "the results of the calls, so that they happen");

static MFG_TARGET int mfg_gone_target_fn(int x)
{
	return x * 2 + 1;
}

static MFG_TARGET int __init mfg_gone_target_init_fn(int x)
{
	return x + 7;
}

static int mfg_gone_call_set(const char *val, const struct kernel_param *kp)
{
	unsigned int n, i;
	int ret = kstrtouint(val, 0, &n);

	if (ret)
		return ret;
	for (i = 0; i < n; i++)
		WRITE_ONCE(sum, READ_ONCE(sum) + mfg_gone_target_fn(i));
	return 0;
}

static const struct kernel_param_ops mfg_gone_call_ops = {
	.set = mfg_gone_call_set,
};
module_param_cb(call, &mfg_gone_call_ops, NULL, 0200);
MODULE_PARM_DESC(call, "call mfg_gone_target_fn() this many times");

static int __init mfg_gone_target_init(void)
{
	unsigned int waited;

	if (!hold_init)
		return 0;
	pr_info("mfg_gone_target: holding init\n");
	for (waited = 0; !READ_ONCE(release); waited++) {
		if (waited == 300) {
			pr_err("mfg_gone_target: never released\n");
			return -ETIMEDOUT;
		}
		msleep(100);
	}
	sum += mfg_gone_target_init_fn(1);
	return fail_init ? -EAGAIN : 0;
}

static void __exit mfg_gone_target_exit(void)
{
}

module_init(mfg_gone_target_init);
module_exit(mfg_gone_target_exit);

MODULE_DESCRIPTION("mfgraph: traced module for the module-unload scenario");
MODULE_LICENSE("GPL");
