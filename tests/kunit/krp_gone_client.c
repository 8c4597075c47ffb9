// SPDX-License-Identifier: GPL-2.0
/*
 * mfg_krp_gone_test: the probes of the gone-probe scenario
 * (tests/qemu/scenarios/kretprobe-module-gone.sh). It probes both functions
 * of mfg_krp_target (one with inline instances, one with a pool) and a
 * kernel function that stays (module parameter "other"), then reports in
 * read-only parameters how many returns each probe saw and, in "gone", which
 * of them are gone (Y or N for inline, pooled, other). When mfg_krp_target
 * goes, after mfg_kretprobe heard of it, it tries to probe the going module
 * once more; "late" holds what that registration returned.
 */
#include <linux/atomic.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/notifier.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include <mfg_kretprobe.h>

static char *other = "hrtimer_nanosleep";
module_param(other, charp, 0444);
MODULE_PARM_DESC(other, "a kernel function to probe, which stays");

struct krp_gone_probe {
	struct mfg_kretprobe rp;
	atomic_t returns;
};

static int krp_gone_return(struct mfg_kretprobe_instance *ri, struct pt_regs *regs)
{
	atomic_inc(&container_of(ri->rp, struct krp_gone_probe, rp)->returns);
	return 0;
}

enum { KRP_GONE_INLINE, KRP_GONE_POOLED, KRP_GONE_OTHER, KRP_GONE_N };

static struct krp_gone_probe krp_gone_probes[KRP_GONE_N] = {
	[KRP_GONE_INLINE] = { .rp = {
		.symbol_name = "krp_mod_target_inline", .handler = krp_gone_return,
		.data_size = 8,
	} },
	[KRP_GONE_POOLED] = { .rp = {
		.symbol_name = "krp_mod_target_pooled", .handler = krp_gone_return,
		.data_size = 2 * MFG_KRETPROBE_INLINE_DATA, .maxactive = 4,
	} },
	[KRP_GONE_OTHER] = { .rp = { .handler = krp_gone_return } },
};

static int krp_gone_get_returns(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read(kp->arg));
}

static const struct kernel_param_ops krp_gone_returns_ops = {
	.get = krp_gone_get_returns,
};
module_param_cb(inline_returns, &krp_gone_returns_ops,
		&krp_gone_probes[KRP_GONE_INLINE].returns, 0444);
module_param_cb(pooled_returns, &krp_gone_returns_ops,
		&krp_gone_probes[KRP_GONE_POOLED].returns, 0444);
module_param_cb(other_returns, &krp_gone_returns_ops,
		&krp_gone_probes[KRP_GONE_OTHER].returns, 0444);

static int krp_gone_get_gone(char *buf, const struct kernel_param *kp)
{
	int i, n = 0;

	for (i = 0; i < KRP_GONE_N; i++)
		n += sysfs_emit_at(buf, n, "%c",
				   mfg_kretprobe_gone(&krp_gone_probes[i].rp) ? 'Y' : 'N');
	return n + sysfs_emit_at(buf, n, "\n");
}

static const struct kernel_param_ops krp_gone_gone_ops = {
	.get = krp_gone_get_gone,
};
module_param_cb(gone, &krp_gone_gone_ops, NULL, 0444);
MODULE_PARM_DESC(gone, "Y or N for the inline, the pooled and the other probe");

/*
 * A probe registered while mfg_krp_target goes, after mfg_kretprobe's own
 * notification and before ftrace forgets the module's functions: it must
 * be refused, as nothing would mark it gone.
 */
static struct krp_gone_probe krp_gone_late = { .rp = {
	.symbol_name = "krp_mod_target_inline", .handler = krp_gone_return,
} };

static int krp_gone_late_ret = 1;	/* 1: not tried */
module_param_named(late, krp_gone_late_ret, int, 0444);
MODULE_PARM_DESC(late, "what registering a probe on mfg_krp_target as it went returned");

static int krp_gone_module_callback(struct notifier_block *nb, unsigned long val, void *data)
{
	struct module *mod = data;

	if (val == MODULE_STATE_GOING && !strcmp(mod->name, "mfg_krp_target") &&
	    krp_gone_late_ret == 1)
		krp_gone_late_ret = mfg_register_kretprobe(&krp_gone_late.rp);
	return NOTIFY_DONE;
}

static struct notifier_block krp_gone_module_nb = {
	.notifier_call = krp_gone_module_callback,
	/* After mfg_kretprobe's (priority 0): its notification is past. */
	.priority = -1,
};

static struct mfg_kretprobe *krp_gone_rps[KRP_GONE_N] = {
	&krp_gone_probes[KRP_GONE_INLINE].rp,
	&krp_gone_probes[KRP_GONE_POOLED].rp,
	&krp_gone_probes[KRP_GONE_OTHER].rp,
};

static int __init krp_gone_init(void)
{
	int ret;

	krp_gone_probes[KRP_GONE_OTHER].rp.symbol_name = other;
	ret = mfg_register_kretprobes(krp_gone_rps, KRP_GONE_N);
	if (ret)
		return ret;
	ret = register_module_notifier(&krp_gone_module_nb);
	if (ret)
		mfg_unregister_kretprobes(krp_gone_rps, KRP_GONE_N);
	return ret;
}

static void __exit krp_gone_exit(void)
{
	unregister_module_notifier(&krp_gone_module_nb);
	if (!krp_gone_late_ret)
		mfg_unregister_kretprobe(&krp_gone_late.rp);
	mfg_unregister_kretprobes(krp_gone_rps, KRP_GONE_N);
	pr_info("mfg_krp_gone_test: returns %d %d %d, missed %d %d %d\n",
		atomic_read(&krp_gone_probes[0].returns), atomic_read(&krp_gone_probes[1].returns),
		atomic_read(&krp_gone_probes[2].returns), krp_gone_probes[0].rp.nmissed,
		krp_gone_probes[1].rp.nmissed, krp_gone_probes[2].rp.nmissed);
}

module_init(krp_gone_init);
module_exit(krp_gone_exit);

MODULE_DESCRIPTION("mfgraph: kretprobes on a module that unloads");
MODULE_LICENSE("GPL");
