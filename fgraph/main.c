// SPDX-License-Identifier: GPL-2.0
/*
 * mfgraph module entry: load, unload and the debugfs view of the engine.
 */
#include <linux/bitops.h>
#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include <mfgraph.h>

#include "core.h"
#include "hook.h"

static struct dentry *mfg_debugfs_dir;

void mfg_get_core_info(struct mfg_core_info *info)
{
	mfg_core_describe(info);
}
EXPORT_SYMBOL_GPL(mfg_get_core_info);

/* See include/mfgraph.h. */
void mfg_get_stats(struct mfg_stats *stats)
{
	int i;

	stats->users = hweight64(mfg_core_live_users());
	mfg_core_stack_stats(&stats->stacks_in_use, &stats->deepest);
	stats->bytes_held = mfg_core_bytes_held();
	for (i = 0; i < MFG_NR_MISSES; i++)
		stats->misses[i] = mfg_core_misses(i);
}
EXPORT_SYMBOL_GPL(mfg_get_stats);

static int mfg_core_show(struct seq_file *m, void *unused)
{
	struct mfg_core_info info;

	mfg_core_describe(&info);
	seq_printf(m, "max_users: %u\n", info.max_users);
	seq_printf(m, "shadow_stack_bytes: %u\n", info.stack_bytes);
	seq_printf(m, "shadow_stack_words: %u\n", info.stack_words);
	seq_printf(m, "max_depth: %u\n", info.max_depth);
	seq_printf(m, "max_data_words: %u\n", info.max_data_words);
	seq_printf(m, "live_users: %#llx\n", mfg_core_live_users());
	seq_printf(m, "cplusplus: %ld\n", info.cplusplus);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mfg_core);

static const char *const mfg_miss_names[MFG_NR_MISSES] = {
	[MFG_MISS_NO_STACK] = "no_stack",
	[MFG_MISS_OVERFLOW] = "overflow",
	[MFG_MISS_NOT_WATCHING] = "rcu_not_watching",
	[MFG_MISS_MISMATCH] = "return_mismatch",
	[MFG_MISS_STALE] = "stale_returns",
	[MFG_MISS_RECURSION] = "recursion",
	[MFG_MISS_PAUSED] = "paused",
};

static int mfg_users_show(struct seq_file *m, void *unused)
{
	struct mfg_hook_stats *st = kzalloc(sizeof(*st), GFP_KERNEL);
	int slot;

	if (!st)
		return -ENOMEM;
	mfg_hook_stats(st);
	seq_puts(m, "slot generation ops                entries    returns    filter\n");
	for (slot = 0; slot < MFG_MAX_USERS; slot++) {
		struct mfg_hook_user *u = &st->users[slot];

		if (!u->live)
			continue;
		seq_printf(m, "%-4d %-10llu %-18ps %-10llu %-10llu ", slot, u->generation,
			   u->entryfunc ?: u->retfunc, u->counts.entries, u->counts.returns);
		if (u->filter_all)
			seq_puts(m, "*\n");
		else
			seq_printf(m, "%lu functions\n", u->filter_size);
	}
	kfree(st);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mfg_users);

static int mfg_stats_show(struct seq_file *m, void *unused)
{
	struct mfg_hook_stats *st = kzalloc(sizeof(*st), GFP_KERNEL);
	unsigned int in_use, deepest;
	int i;

	if (!st)
		return -ENOMEM;
	mfg_hook_stats(st);
	mfg_core_stack_stats(&in_use, &deepest);
	seq_printf(m, "users: %u\n", st->nr_users);
	seq_printf(m, "hook: %s\n",
		   !st->hook_registered ? "off" : st->hook_all ? "all" : "filtered");
	seq_printf(m, "functions: %u\n", mfg_core_map_size());
	seq_printf(m, "stacks_in_use: %u\n", in_use);
	seq_printf(m, "deepest: %u\n", deepest);
	seq_printf(m, "stopped: %d\n", mfg_core_killed());
	seq_printf(m, "bytes_held: %llu\n", mfg_core_bytes_held());
	for (i = 0; i < MFG_NR_MISSES; i++)
		seq_printf(m, "miss_%s: %llu\n", mfg_miss_names[i], mfg_core_misses(i));
	kfree(st);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mfg_stats);

static void mfg_show_frame(void *arg, unsigned int nth, unsigned int depth, unsigned long func)
{
	struct seq_file *m = arg;

	if (!depth)
		seq_printf(m, "%sstack %u:", nth ? "\n" : "", nth);
	seq_printf(m, " %ps", (void *)func);
}

/* Which traced calls are outstanding: what keeps stacks, and mfgraph, busy. */
static int mfg_stacks_show(struct seq_file *m, void *unused)
{
	unsigned int busy;

	mutex_lock(&mfg_mutex);
	/* Frames are read under RCU: a reaped stack is freed after a grace period. */
	rcu_read_lock();
	busy = mfg_core_for_each_frame(mfg_show_frame, m);
	rcu_read_unlock();
	mutex_unlock(&mfg_mutex);
	seq_printf(m, "%s%u stacks hold frames\n", busy ? "\n" : "", busy);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mfg_stacks);

static int __init mfg_init(void)
{
	struct mfg_core_info info;
	int ret;

	/* Before anything reads a filter: refuse to load rather than oops later. */
	ret = mfg_ftrace_hash_init();
	if (ret)
		return ret;
	ret = mfg_hook_init();
	if (ret)
		return ret;
	/* A module that goes must leave the filters: see fgraph/filter.c. */
	ret = mfg_filters_init();
	if (ret) {
		mfg_hook_exit();
		return ret;
	}
	mfg_debugfs_dir = debugfs_create_dir("mfgraph", NULL);
	debugfs_create_file("core", 0444, mfg_debugfs_dir, NULL, &mfg_core_fops);
	debugfs_create_file("users", 0444, mfg_debugfs_dir, NULL, &mfg_users_fops);
	debugfs_create_file("stats", 0444, mfg_debugfs_dir, NULL, &mfg_stats_fops);
	debugfs_create_file("stacks", 0444, mfg_debugfs_dir, NULL, &mfg_stacks_fops);
	mfg_core_describe(&info);
	pr_info("mfgraph: loaded: %u user slots, %u-byte shadow stacks\n",
		info.max_users, info.stack_bytes);
	return 0;
}

static void __exit mfg_exit(void)
{
	debugfs_remove_recursive(mfg_debugfs_dir);
	mfg_hook_exit();
	pr_info("mfgraph: unloaded\n");
}

module_init(mfg_init);
module_exit(mfg_exit);

MODULE_DESCRIPTION("mfgraph: multi-user function-graph tracing engine");
MODULE_LICENSE("GPL");
