// SPDX-License-Identifier: GPL-2.0
/*
 * mfg_gone_test: mfgraph users driven from the module-unload scenario
 * (tests/qemu/scenarios/module-gone.sh). Five users, "a" to "e", each
 * counting its entry callbacks. Commands, written to the "ctl" parameter:
 *
 *   <user> filter <name>    mfg_set_filter(name, reset)
 *   <user> register
 *   <user> unregister
 *   <user> free             mfg_free_filter()
 *
 * A failed command fails the write with its errno. The "<user>_calls"
 * parameters read the counts.
 */
#include <linux/atomic.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/string.h>

#include <mfgraph.h>

#define MFG_GONE_USERS 5

struct mfg_gone_user {
	struct mfg_ops ops;
	atomic_t calls;
	bool registered;
};

static struct mfg_gone_user mfg_gone_users[MFG_GONE_USERS];
static DEFINE_MUTEX(mfg_gone_lock);

static int mfg_gone_entry(const struct mfg_entry *trace, struct mfg_ops *ops,
			  struct ftrace_regs *fregs)
{
	atomic_inc(&container_of(ops, struct mfg_gone_user, ops)->calls);
	return 0;
}

static int mfg_gone_command(struct mfg_gone_user *u, const char *verb, const char *arg)
{
	int ret = 0;

	if (!strcmp(verb, "filter") && arg) {
		ret = mfg_set_filter(&u->ops, arg, true);
	} else if (!strcmp(verb, "register") && !arg) {
		ret = mfg_register(&u->ops);
		u->registered = !ret;
	} else if (!strcmp(verb, "unregister") && !arg) {
		if (u->registered)
			mfg_unregister(&u->ops);
		u->registered = false;
	} else if (!strcmp(verb, "free") && !arg) {
		mfg_free_filter(&u->ops);
	} else {
		pr_err("mfg_gone_test: unknown command '%s'\n", verb);
		ret = -EINVAL;
	}
	return ret;
}

static int mfg_gone_ctl_set(const char *val, const struct kernel_param *kp)
{
	char *buf = kstrdup(val, GFP_KERNEL), *p, *who, *verb, *arg;
	int ret = -EINVAL;

	if (!buf)
		return -ENOMEM;
	p = strim(buf);
	who = strsep(&p, " ");
	verb = strsep(&p, " ");
	arg = p;
	if (strlen(who) == 1 && who[0] >= 'a' && who[0] < 'a' + MFG_GONE_USERS && verb) {
		mutex_lock(&mfg_gone_lock);
		ret = mfg_gone_command(&mfg_gone_users[who[0] - 'a'], verb, arg);
		mutex_unlock(&mfg_gone_lock);
	} else {
		pr_err("mfg_gone_test: usage: <a-e> filter <name> | register | unregister | free\n");
	}
	kfree(buf);
	if (ret)
		pr_info("mfg_gone_test: '%s' failed: %d\n", val, ret);
	return ret;
}

static const struct kernel_param_ops mfg_gone_ctl_ops = {
	.set = mfg_gone_ctl_set,
};
module_param_cb(ctl, &mfg_gone_ctl_ops, NULL, 0200);
MODULE_PARM_DESC(ctl, "a command: <a-e> filter <name> | register | unregister | free");

static int mfg_gone_calls_get(char *buf, const struct kernel_param *kp)
{
	struct mfg_gone_user *u = kp->arg;

	return sysfs_emit(buf, "%d\n", atomic_read(&u->calls));
}

static const struct kernel_param_ops mfg_gone_calls_ops = {
	.get = mfg_gone_calls_get,
};
module_param_cb(a_calls, &mfg_gone_calls_ops, &mfg_gone_users[0], 0444);
module_param_cb(b_calls, &mfg_gone_calls_ops, &mfg_gone_users[1], 0444);
module_param_cb(c_calls, &mfg_gone_calls_ops, &mfg_gone_users[2], 0444);
module_param_cb(d_calls, &mfg_gone_calls_ops, &mfg_gone_users[3], 0444);
module_param_cb(e_calls, &mfg_gone_calls_ops, &mfg_gone_users[4], 0444);

static int __init mfg_gone_init(void)
{
	int i;

	for (i = 0; i < MFG_GONE_USERS; i++)
		mfg_gone_users[i].ops.entryfunc = mfg_gone_entry;
	return 0;
}

static void __exit mfg_gone_exit(void)
{
	int i;

	for (i = 0; i < MFG_GONE_USERS; i++) {
		mfg_gone_command(&mfg_gone_users[i], "unregister", NULL);
		mfg_free_filter(&mfg_gone_users[i].ops);
	}
}

module_init(mfg_gone_init);
module_exit(mfg_gone_exit);

MODULE_DESCRIPTION("mfgraph: users for the module-unload scenario");
MODULE_LICENSE("GPL");
