// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "mfgraph_module": mfgraph.ko as loaded. Its exported layout
 * is the documented one, its debugfs view exists, and the C glue behind
 * the C++ core's kernel interface behaves in kernel context. The QEMU
 * runner adds unload and reload around this suite.
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

/*
 * The layout mfgraph.ko reports is the one mfgraph_abi.h documents. (Not
 * compared with this module's own compile of the same headers: built from
 * the same tree at the same time, that comparison could never fail.)
 */
static void mfg_module_layout_documented(struct kunit *test)
{
	struct mfg_core_info have = {};

	mfg_get_core_info(&have);
	KUNIT_EXPECT_EQ(test, have.max_users, (unsigned int)MFG_MAX_USERS);
	KUNIT_EXPECT_EQ(test, have.stack_bytes, (unsigned int)MFG_SHADOW_STACK_BYTES);
	KUNIT_EXPECT_EQ(test, have.max_data_words, (unsigned int)MFG_MAX_DATA_WORDS);
	/* The words and frame slots must fit the advertised size. */
	KUNIT_EXPECT_GT(test, have.max_depth, 0U);
	KUNIT_EXPECT_GT(test, have.header_words, 0U);
	KUNIT_EXPECT_LE(test, have.stack_words * 8 + have.max_depth * 2, have.stack_bytes);
	/* One frame with the most data a user may keep fits a stack. */
	KUNIT_EXPECT_LT(test, have.header_words + have.max_data_words, have.stack_words);
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
	KUNIT_CASE(mfg_module_layout_documented),
	KUNIT_CASE(mfg_module_debugfs),
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
