// SPDX-License-Identifier: GPL-2.0
/*
 * mfg_krp_target: a module whose functions the gone-probe scenario probes
 * and then unloads (tests/qemu/scenarios/kretprobe-module-gone.sh). Its
 * functions keep their ftrace entries (see Kbuild). Writing N to the "call"
 * parameter calls each of them once with N.
 */
#include <linux/compiler.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "krp_mod_target.h"

#define KRP_MOD_TARGET __attribute__((__noipa__))

/* Inline instances (small data) are probed here... */
KRP_MOD_TARGET int krp_mod_target_inline(int x)
{
	return 2 * x + 1;
}

/* ... pooled ones (large data) here. */
KRP_MOD_TARGET int krp_mod_target_pooled(int x)
{
	return x + 7;
}

static int krp_mod_target_call(const char *val, const struct kernel_param *kp)
{
	int x, ret = kstrtoint(val, 0, &x);

	if (ret) {
		pr_err("mfg_krp_target: call: '%s' is not a number\n", val);
		return ret;
	}
	if (krp_mod_target_inline(x) != 2 * x + 1 || krp_mod_target_pooled(x) != x + 7)
		return -EIO;
	return 0;
}

static const struct kernel_param_ops krp_mod_target_call_ops = {
	.set = krp_mod_target_call,
};
module_param_cb(call, &krp_mod_target_call_ops, NULL, 0200);
MODULE_PARM_DESC(call, "write N: call each target function once with N");

MODULE_DESCRIPTION("mfgraph: functions of a module that unloads under a kretprobe");
MODULE_LICENSE("GPL");
