// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "mfgraph_module": mfgraph.ko as loaded. Its exported layout
 * matches this module's own C++ compile of the core, its debugfs view
 * exists, it is live and pinned by its users, and the C glue behind the
 * C++ core's kernel interface behaves in kernel context. The QEMU runner
 * adds unload and reload around this suite.
 */
#include <kunit/test.h>
#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>

#include <mfgraph.h>

#include "../../fgraph/kcompat.h"
#include "../../fgraph/mfg_kernel.h"
#include "module_probe.h"

static void mfg_module_layout_matches(struct kunit *test)
{
	struct mfg_core_info have = {}, want = {};

	mfg_get_core_info(&have);
	mfg_probe_expected_info(&want);
	KUNIT_EXPECT_EQ(test, have.max_users, (unsigned int)MFG_MAX_USERS);
	KUNIT_EXPECT_EQ(test, have.max_users, want.max_users);
	KUNIT_EXPECT_EQ(test, have.stack_bytes, want.stack_bytes);
	KUNIT_EXPECT_EQ(test, have.stack_words, want.stack_words);
	KUNIT_EXPECT_EQ(test, have.max_depth, want.max_depth);
	KUNIT_EXPECT_EQ(test, have.max_data_words, want.max_data_words);
	KUNIT_EXPECT_EQ(test, have.header_words, want.header_words);
	KUNIT_EXPECT_EQ(test, have.cplusplus, 202002L);
	/* The words and frame slots must fit the advertised size. */
	KUNIT_EXPECT_LE(test, have.stack_words * 8 + have.max_depth * 2, have.stack_bytes);
}

static void mfg_module_debugfs(struct kunit *test)
{
	struct dentry *dir = debugfs_lookup("mfgraph", NULL);
	struct dentry *core;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dir);
	core = debugfs_lookup("core", dir);
	KUNIT_EXPECT_NOT_ERR_OR_NULL(test, core);
	dput(core);
	dput(dir);
}

static void mfg_module_live_and_pinned(struct kunit *test)
{
	struct module *mfgraph = NULL;
	struct module_use *use;

	/*
	 * The modules we depend on: fixed once we are loaded, and pinned by us,
	 * so the list can be read without module_mutex.
	 */
	list_for_each_entry(use, &THIS_MODULE->target_list, target_list)
		if (!strcmp(use->target->name, "mfgraph"))
			mfgraph = use->target;
	KUNIT_ASSERT_NOT_NULL(test, mfgraph);
	KUNIT_EXPECT_EQ(test, mfgraph->state, MODULE_STATE_LIVE);
	/* We use its symbols, so it cannot go away under us. */
	KUNIT_EXPECT_GE(test, module_refcount(mfgraph), 1);
}

static void mfg_module_glue_memory(struct kunit *test)
{
	const unsigned long size = 3 * PAGE_SIZE + 8;
	unsigned char *p = mfg_k_zalloc(size);
	unsigned long i, nonzero = 0;

	KUNIT_ASSERT_NOT_NULL(test, p);
	for (i = 0; i < size; i++)
		nonzero += p[i] != 0;
	KUNIT_EXPECT_EQ(test, nonzero, 0UL);
	memset(p, 0xa5, size);
	mfg_k_free(p);
	mfg_k_free(NULL);
}

static void mfg_module_glue_task_and_clock(struct kunit *test)
{
	unsigned long long a, b, now;

	KUNIT_EXPECT_PTR_EQ(test, mfg_k_current(), (void *)current);
	a = mfg_k_clock_ns();
	now = local_clock();
	b = mfg_k_clock_ns();
	KUNIT_EXPECT_LE(test, a, now);
	KUNIT_EXPECT_LE(test, now, b);
}

struct mfg_guard_probe {
	int preempt_inside;
	bool preemptible_inside;
	bool rcu_inside;
};

static void mfg_record_guards(void *arg)
{
	struct mfg_guard_probe *p = arg;

	p->preempt_inside = preempt_count();
	p->preemptible_inside = preemptible();
	p->rcu_inside = rcu_read_lock_held();
}

static void mfg_module_glue_guards(struct kunit *test)
{
	struct mfg_guard_probe probe = {};
	int before = preempt_count();

	mfg_probe_under_guards(mfg_record_guards, &probe);
	KUNIT_EXPECT_FALSE(test, probe.preemptible_inside);
	KUNIT_EXPECT_TRUE(test, probe.rcu_inside);
	/*
	 * Without PREEMPT_COUNT (a kernel that cannot preempt: Debian's
	 * arm64) preempt_disable() counts nothing and preemptible() is false.
	 */
	if (!IS_ENABLED(CONFIG_PREEMPT_COUNT))
		return;
	KUNIT_EXPECT_GE(test, probe.preempt_inside, before + 1);
	KUNIT_EXPECT_EQ(test, preempt_count(), before);
	KUNIT_EXPECT_TRUE(test, preemptible());
}

static struct kunit_case mfg_module_cases[] = {
	KUNIT_CASE(mfg_module_layout_matches),
	KUNIT_CASE(mfg_module_debugfs),
	KUNIT_CASE(mfg_module_live_and_pinned),
	KUNIT_CASE(mfg_module_glue_memory),
	KUNIT_CASE(mfg_module_glue_task_and_clock),
	KUNIT_CASE(mfg_module_glue_guards),
	{}
};

static struct kunit_suite mfg_module_suite = {
	.name = "mfgraph_module",
	.test_cases = mfg_module_cases,
};

kunit_test_suite(mfg_module_suite);

MFG_IMPORT_INTERNAL();
MODULE_DESCRIPTION("mfgraph: KUnit suite for the loaded module");
MODULE_LICENSE("GPL");
