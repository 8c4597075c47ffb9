// SPDX-License-Identifier: GPL-2.0
/*
 * Registration: a user takes a registry slot and its filter joins the hook's;
 * unregistration makes its pending returns stale at once and waits until no
 * callback of it can run.
 */
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>

#include "hook.h"

DEFINE_MUTEX(mfg_mutex);	/* registration, filters, lifecycle */
struct mfg_ops *mfg_users[MFG_MAX_USERS];
unsigned int mfg_nr_users;

/* See include/mfgraph.h. */
int mfg_register(struct mfg_ops *ops)
{
	int slot, ret;

	if (!ops || (!ops->entryfunc && !ops->retfunc)) {
		pr_err("mfgraph: register: %s\n",
		       ops ? "no entry or return callback" : "ops is NULL");
		return -EINVAL;
	}
	if (ops->flags & ~MFG_OPS_FL_ALL) {
		pr_err("mfgraph: register: unknown flags %#lx\n", ops->flags & ~MFG_OPS_FL_ALL);
		return -EINVAL;
	}
	if (mfg_core_killed()) {
		pr_err("mfgraph: register: tracing was stopped after an internal error (see the log); reload mfgraph\n");
		return -EIO;
	}
	mutex_lock(&mfg_mutex);
	if (mfg_is_registered(ops)) {
		pr_err("mfgraph: register: already registered (slot %d)\n", ops->slot);
		ret = -EBUSY;
		goto unlock;
	}
	ret = mfg_start_locked();
	if (ret)
		goto unlock;
	slot = mfg_core_claim(ops);
	if (slot < 0) {
		ret = slot;
		if (ret == -ENOSPC)
			pr_err("mfgraph: register: all %d user slots are taken\n", MFG_MAX_USERS);
		goto stop;
	}
	mfg_users[slot] = ops;
	mfg_nr_users++;
	ret = mfg_update_hook_locked();
	if (ret) {
		mfg_users[slot] = NULL;
		mfg_nr_users--;
		mfg_core_retire(slot);
		mfg_update_hook_locked();
		synchronize_rcu();
		mfg_core_release(slot);
		goto stop;
	}
	mutex_unlock(&mfg_mutex);
	return 0;
stop:
	if (!mfg_nr_users)
		mfg_stop_locked();
unlock:
	mutex_unlock(&mfg_mutex);
	return ret;
}
EXPORT_SYMBOL_GPL(mfg_register);

/* See include/mfgraph.h. */
void mfg_unregister(struct mfg_ops *ops)
{
	int slot, ret;

	if (!ops) {
		pr_err("mfgraph: unregister: ops is NULL\n");
		return;
	}
	mutex_lock(&mfg_mutex);
	if (!mfg_is_registered(ops)) {
		pr_err("mfgraph: unregister: not registered\n");
		goto unlock;
	}
	slot = ops->slot;
	/* From here on, every entry it pushed is stale. */
	mfg_core_retire(slot);
	mfg_users[slot] = NULL;
	mfg_nr_users--;
	ret = mfg_update_hook_locked();
	if (ret)
		pr_warn("mfgraph: unregister: hook update failed (%d); the user is retired all the same\n",
			ret);
	/*
	 * Callbacks run with preemption disabled and check the generation
	 * first: after a grace period none can still be in @ops.
	 */
	synchronize_rcu();
	mfg_core_release(slot);
	if (!mfg_nr_users)
		mfg_stop_locked();
unlock:
	mutex_unlock(&mfg_mutex);
}
EXPORT_SYMBOL_GPL(mfg_unregister);

void mfg_hook_stats(struct mfg_hook_stats *st)
{
	int slot;

	mutex_lock(&mfg_mutex);
	st->nr_users = mfg_nr_users;
	st->hook_registered = mfg_hook_is_registered(&st->hook_all);
	st->started = mfg_core_stacks_started();
	st->functions = mfg_core_map_size();
	for (slot = 0; slot < MFG_MAX_USERS; slot++) {
		struct mfg_ops *ops = mfg_users[slot];
		struct mfg_hook_user *u = &st->users[slot];

		u->live = ops;
		u->generation = mfg_core_slot_generation(slot);
		mfg_core_user_stats(slot, &u->counts);
		if (!ops)
			continue;
		u->entryfunc = ops->entryfunc;
		u->retfunc = ops->retfunc;
		mfg_filter_describe(ops, &u->filter_all, &u->filter_size);
	}
	mutex_unlock(&mfg_mutex);
}
EXPORT_SYMBOL_MFG_INTERNAL(mfg_hook_stats);	/* and for mfgraph's own tests */

/*
 * For mfgraph's own tests: lift the stop of mfg_core_kill() once no user is
 * left, as a reload of the module would.
 */
int mfg_test_revive(void)
{
	int ret = 0;

	mutex_lock(&mfg_mutex);
	if (mfg_nr_users)
		ret = -EBUSY;
	else
		mfg_core_revive();
	mutex_unlock(&mfg_mutex);
	return ret;
}
EXPORT_SYMBOL_MFG_INTERNAL(mfg_test_revive);
