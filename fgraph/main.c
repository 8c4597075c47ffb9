// SPDX-License-Identifier: GPL-2.0
/*
 * mfgraph module entry: load, unload and the debugfs view of the engine.
 */
#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/seq_file.h>

#include <mfgraph.h>

#include "core.h"

static struct dentry *mfg_debugfs_dir;

void mfg_get_core_info(struct mfg_core_info *info)
{
	mfg_core_describe(info);
}
EXPORT_SYMBOL_GPL(mfg_get_core_info);

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

static int __init mfg_init(void)
{
	struct mfg_core_info info;

	mfg_debugfs_dir = debugfs_create_dir("mfgraph", NULL);
	debugfs_create_file("core", 0444, mfg_debugfs_dir, NULL, &mfg_core_fops);
	mfg_core_describe(&info);
	pr_info("mfgraph: loaded: %u user slots, %u-byte shadow stacks\n",
		info.max_users, info.stack_bytes);
	return 0;
}

static void __exit mfg_exit(void)
{
	debugfs_remove(mfg_debugfs_dir);
	pr_info("mfgraph: unloaded\n");
}

module_init(mfg_init);
module_exit(mfg_exit);

MODULE_DESCRIPTION("mfgraph: multi-user function-graph tracing engine");
MODULE_LICENSE("GPL");
