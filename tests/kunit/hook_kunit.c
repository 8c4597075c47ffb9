// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "mfgraph_hook": live hooking through the public API, on the
 * traced functions of hook_targets.c.
 */
#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/ftrace.h>
#include <linux/kallsyms.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/sched/clock.h>
#include <linux/stacktrace.h>
#include <linux/string.h>

#include <mfgraph.h>

#include "hook_targets.h"

#define MFG_LOG_MAX 256

/* One test user, with everything its callbacks saw. */
struct mfg_probe {
	struct mfg_ops ops;
	atomic_t entries;
	atomic_t returns;
	int want_return;		/* what the entry callback answers */
	int reserve_words;		/* data words to reserve at entry, 0: none */
	unsigned long tag;		/* written into the data, checked at return */
	atomic_t data_bad;
	struct mfg_entry last_entry;
	struct mfg_return last_return;
	unsigned long retval_sum;
};

/* A shared log of events in order: +slot*1000+depth at entry, - at return. */
static atomic_t mfg_log_len;
static long mfg_log[MFG_LOG_MAX];

static void mfg_log_event(long ev)
{
	int i = atomic_inc_return(&mfg_log_len) - 1;

	if (i < MFG_LOG_MAX)
		mfg_log[i] = ev;
}

static int mfg_probe_entry(const struct mfg_entry *trace, struct mfg_ops *ops,
			   struct ftrace_regs *fregs)
{
	struct mfg_probe *p = container_of(ops, struct mfg_probe, ops);

	atomic_inc(&p->entries);
	p->last_entry = *trace;
	mfg_log_event(ops->slot * 1000 + trace->depth + 1);
	if (p->want_return && p->reserve_words) {
		unsigned long *data = mfg_reserve_data(p->reserve_words * sizeof(long));
		int i;

		if (!data) {
			atomic_inc(&p->data_bad);
		} else {
			for (i = 0; i < p->reserve_words; i++)
				data[i] = p->tag + i + trace->depth;
		}
	}
	return p->want_return;
}

static void mfg_probe_return(const struct mfg_return *trace, struct mfg_ops *ops,
			     struct ftrace_regs *fregs)
{
	struct mfg_probe *p = container_of(ops, struct mfg_probe, ops);
	int size = -1, i;
	unsigned long *data = mfg_retrieve_data(&size);

	atomic_inc(&p->returns);
	p->last_return = *trace;
	p->retval_sum += trace->retval;
	mfg_log_event(-(ops->slot * 1000 + trace->depth + 1));
	if (p->reserve_words) {
		if (!data || size != p->reserve_words * (int)sizeof(long)) {
			atomic_inc(&p->data_bad);
			return;
		}
		for (i = 0; i < p->reserve_words; i++)
			if (data[i] != p->tag + i + trace->depth)
				atomic_inc(&p->data_bad);
	} else if (data) {
		atomic_inc(&p->data_bad);
	}
}

static void mfg_count_return(const struct mfg_return *trace, struct mfg_ops *ops,
			     struct ftrace_regs *fregs)
{
	struct mfg_probe *p = container_of(ops, struct mfg_probe, ops);
	int size = 0;

	atomic_inc(&p->returns);
	if (!mfg_retrieve_data(&size) || size != MFG_MAX_DATA_WORDS * sizeof(long))
		atomic_inc(&p->data_bad);
}

static void mfg_unregister_action(void *ops)
{
	mfg_unregister(ops);
	mfg_free_filter(ops);
}

/* A user tracing @ips, unregistered and freed when the test ends. */
static struct mfg_probe *mfg_new_probe(struct kunit *test, unsigned long *ips, unsigned int n)
{
	struct mfg_probe *p = kunit_kzalloc(test, sizeof(*p), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	p->ops.entryfunc = mfg_probe_entry;
	p->ops.retfunc = mfg_probe_return;
	p->want_return = 1;
	if (n)
		KUNIT_ASSERT_EQ(test, mfg_set_filter_ips(&p->ops, ips, n, false, true), 0);
	return p;
}

static void mfg_register_probe(struct kunit *test, struct mfg_probe *p)
{
	KUNIT_ASSERT_EQ(test, mfg_register(&p->ops), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, mfg_unregister_action, &p->ops), 0);
}

static bool mfg_symbol_is(unsigned long addr, const char *name)
{
	char buf[KSYM_SYMBOL_LEN];

	sprint_symbol_no_offset(buf, addr);
	return !strncmp(buf, name, strlen(name)) &&
	       (buf[strlen(name)] == '\0' || buf[strlen(name)] == ' ');
}

static void mfg_reset_log(void)
{
	atomic_set(&mfg_log_len, 0);
	memset(mfg_log, 0, sizeof(mfg_log));
}

/* ------------------------------------------------------------ one user */

static void mfg_hook_one_user(struct kunit *test)
{
	unsigned long ip = (unsigned long)mfg_target_add;
	struct mfg_probe *p = mfg_new_probe(test, &ip, 1);
	u64 before, after;
	int r;

	mfg_register_probe(test, p);
	before = local_clock();
	r = mfg_target_add(2, 3);
	after = local_clock();
	KUNIT_EXPECT_EQ(test, r, 5);
	KUNIT_EXPECT_EQ(test, atomic_read(&p->entries), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&p->returns), 1);
	KUNIT_EXPECT_EQ(test, p->last_return.retval, 5UL);
	KUNIT_EXPECT_TRUE(test, mfg_symbol_is(p->last_entry.func, "mfg_target_add"));
	KUNIT_EXPECT_EQ(test, p->last_return.func, p->last_entry.func);
	/* The call returns into this very function. */
	KUNIT_EXPECT_TRUE(test, mfg_symbol_is(p->last_entry.ret_addr, "mfg_hook_one_user"));
	KUNIT_EXPECT_EQ(test, p->last_return.ret_addr, p->last_entry.ret_addr);
	KUNIT_EXPECT_EQ(test, p->last_entry.depth, 0);
	KUNIT_EXPECT_EQ(test, p->last_return.depth, 0);
	KUNIT_EXPECT_LE(test, before, p->last_return.calltime);
	KUNIT_EXPECT_LE(test, p->last_return.calltime, p->last_return.rettime);
	KUNIT_EXPECT_LE(test, p->last_return.rettime, after);
	/* An untraced function of the same object is left alone. */
	KUNIT_EXPECT_EQ(test, mfg_target_other(2), 6);
	KUNIT_EXPECT_EQ(test, atomic_read(&p->entries), 1);
	mfg_unregister(&p->ops);
	KUNIT_EXPECT_EQ(test, mfg_target_add(1, 1), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&p->entries), 1);
}

/* ------------------------------------------------------------ many users */

static void mfg_hook_sixteen_users(struct kunit *test)
{
	unsigned long add = (unsigned long)mfg_target_add, other = (unsigned long)mfg_target_other;
	struct mfg_probe *p[MFG_MAX_USERS], *extra;
	int i;

	for (i = 0; i < MFG_MAX_USERS; i++) {
		/* Odd users trace another function only. */
		p[i] = mfg_new_probe(test, i & 1 ? &other : &add, 1);
		/* Every fourth user declines the return. */
		p[i]->want_return = i % 4 != 2;
		mfg_register_probe(test, p[i]);
	}
	extra = mfg_new_probe(test, &add, 1);
	KUNIT_EXPECT_EQ(test, mfg_register(&extra->ops), -ENOSPC);
	mfg_free_filter(&extra->ops);

	mfg_reset_log();
	KUNIT_EXPECT_EQ(test, mfg_target_add(20, 22), 42);
	for (i = 0; i < MFG_MAX_USERS; i++) {
		int want_entries = i & 1 ? 0 : 1;
		int want_returns = want_entries && i % 4 != 2;

		KUNIT_EXPECT_EQ_MSG(test, atomic_read(&p[i]->entries), want_entries, "user %d", i);
		KUNIT_EXPECT_EQ_MSG(test, atomic_read(&p[i]->returns), want_returns, "user %d", i);
	}
	/* Entries in slot order, then the returns in slot order. */
	for (i = 1; i < atomic_read(&mfg_log_len) && i < MFG_LOG_MAX; i++) {
		if ((mfg_log[i - 1] > 0) == (mfg_log[i] > 0))
			KUNIT_EXPECT_LT(test, abs(mfg_log[i - 1]), abs(mfg_log[i]));
		else
			KUNIT_EXPECT_TRUE(test, mfg_log[i - 1] > 0 && mfg_log[i] < 0);
	}
	KUNIT_EXPECT_EQ(test, mfg_target_other(1), 3);
	for (i = 1; i < MFG_MAX_USERS; i += 2)
		KUNIT_EXPECT_EQ(test, atomic_read(&p[i]->returns), 1);
}

/* ------------------------------------------------------------ nesting */

static void mfg_hook_nested_lifo(struct kunit *test)
{
	unsigned long ips[] = { (unsigned long)mfg_target_recurse, (unsigned long)mfg_target_leaf };
	struct mfg_probe *a = mfg_new_probe(test, ips, 2);
	struct mfg_probe *b = mfg_new_probe(test, ips, 1);
	const int depth = 10;
	int i, n;

	mfg_register_probe(test, a);
	mfg_register_probe(test, b);
	mfg_reset_log();
	KUNIT_EXPECT_EQ(test, mfg_target_recurse(depth), depth + 1);
	n = atomic_read(&mfg_log_len);
	/* a: 11 recursions + leaf; b: 11 recursions; each entry and return. */
	KUNIT_EXPECT_EQ(test, n, 2 * (depth + 2) + 2 * (depth + 1));
	KUNIT_EXPECT_EQ(test, atomic_read(&a->returns), depth + 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&b->returns), depth + 1);
	KUNIT_EXPECT_EQ(test, a->last_return.depth, 0);
	/* Every return closes the most recent open entry of its user and depth. */
	for (i = 0; i < n && i < MFG_LOG_MAX; i++) {
		long ev = mfg_log[i];
		int j, open = 0;

		if (ev > 0)
			continue;
		for (j = i - 1; j >= 0; j--) {
			if (mfg_log[j] == -ev && !open)
				break;
			if (mfg_log[j] < 0 && mfg_log[j] == ev)
				open++;
			if (mfg_log[j] == -ev)
				open--;
		}
		KUNIT_EXPECT_GE_MSG(test, j, 0, "return %ld without its entry", ev);
	}
	/* Depths seen at return count down to 0 for the outermost call. */
	KUNIT_EXPECT_EQ(test, mfg_log[n - 1], -(long)(b->ops.slot * 1000 + 1));
}

static void mfg_hook_overflow(struct kunit *test)
{
	unsigned long ip = (unsigned long)mfg_target_recurse;
	struct mfg_probe *p = mfg_new_probe(test, &ip, 1);
	struct mfg_core_info info;
	int depth, fit;

	mfg_get_core_info(&info);
	depth = info.max_depth + 20;
	fit = min(info.max_depth, info.stack_words / (info.header_words + 1));
	mfg_register_probe(test, p);
	/*
	 * Deeper than a shadow stack holds: the calls that do not fit run
	 * untraced, and the program must still be right.
	 */
	KUNIT_EXPECT_EQ(test, mfg_target_recurse(depth), depth + 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&p->entries), fit);
	KUNIT_EXPECT_EQ(test, atomic_read(&p->returns), fit);
	KUNIT_EXPECT_EQ(test, atomic_read(&p->data_bad), 0);
	/* Afterwards everything is back to normal. */
	KUNIT_EXPECT_EQ(test, mfg_target_recurse(3), 4);
}

/* ------------------------------------------------------------ data */

static void mfg_hook_data_per_user(struct kunit *test)
{
	unsigned long ips[] = { (unsigned long)mfg_target_recurse, (unsigned long)mfg_target_leaf };
	struct mfg_probe *p[4];
	int i;

	for (i = 0; i < 4; i++) {
		p[i] = mfg_new_probe(test, ips, 2);
		p[i]->reserve_words = i == 3 ? MFG_MAX_DATA_WORDS : i + 1;
		p[i]->tag = 0x1000 * (i + 1);
		mfg_register_probe(test, p[i]);
	}
	KUNIT_EXPECT_EQ(test, mfg_target_recurse(5), 6);
	for (i = 0; i < 4; i++) {
		KUNIT_EXPECT_EQ(test, atomic_read(&p[i]->returns), 7);
		KUNIT_EXPECT_EQ_MSG(test, atomic_read(&p[i]->data_bad), 0, "user %d", i);
	}
}

static int mfg_reserve_limits(const struct mfg_entry *trace, struct mfg_ops *ops,
			      struct ftrace_regs *fregs)
{
	struct mfg_probe *p = container_of(ops, struct mfg_probe, ops);
	bool has_frame = ops->retfunc != NULL;

	atomic_inc(&p->entries);
	if (mfg_reserve_data((MFG_MAX_DATA_WORDS + 1) * sizeof(long)) ||
	    mfg_reserve_data(0) || mfg_reserve_data(-8))
		atomic_inc(&p->data_bad);
	/* The whole allowance works, in one go, if there is a frame at all. */
	if (!mfg_reserve_data(MFG_MAX_DATA_WORDS * sizeof(long)) == has_frame)
		atomic_inc(&p->data_bad);
	/* And nothing beyond it. */
	if (mfg_reserve_data(1))
		atomic_inc(&p->data_bad);
	return 1;
}

static void mfg_hook_data_limits(struct kunit *test)
{
	unsigned long ip = (unsigned long)mfg_target_add;
	struct mfg_probe *with_return = mfg_new_probe(test, &ip, 1);
	struct mfg_probe *entry_only = mfg_new_probe(test, &ip, 1);
	int size = 1;

	with_return->ops.entryfunc = mfg_reserve_limits;
	with_return->ops.retfunc = mfg_count_return;
	entry_only->ops.entryfunc = mfg_reserve_limits;
	entry_only->ops.retfunc = NULL;
	mfg_register_probe(test, with_return);
	mfg_register_probe(test, entry_only);
	/* Outside any callback there is nothing to reserve or retrieve. */
	KUNIT_EXPECT_NULL(test, mfg_reserve_data(8));
	KUNIT_EXPECT_NULL(test, mfg_retrieve_data(&size));
	KUNIT_EXPECT_EQ(test, mfg_target_add(1, 2), 3);
	KUNIT_EXPECT_EQ(test, atomic_read(&with_return->entries), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&with_return->returns), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&entry_only->entries), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&with_return->data_bad), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&entry_only->data_bad), 0);
}

/* Parent data and task variables. */
static int mfg_parent_entry(const struct mfg_entry *trace, struct mfg_ops *ops,
			    struct ftrace_regs *fregs)
{
	struct mfg_probe *p = container_of(ops, struct mfg_probe, ops);
	unsigned long *mine = mfg_reserve_data(sizeof(long));
	unsigned long *parent, *var = mfg_task_var(ops);
	int size = 0;

	if (!mine || !var) {
		atomic_inc(&p->data_bad);
		return 1;
	}
	*mine = trace->depth + 100;
	/* The task variable counts this task's entries. */
	if (*var != (unsigned long)trace->depth)
		atomic_inc(&p->data_bad);
	(*var)++;
	parent = mfg_retrieve_parent_data(1, &size);
	if (trace->depth == 0 ? parent != NULL :
	    !parent || size != sizeof(long) || *parent != (unsigned long)trace->depth + 99)
		atomic_inc(&p->data_bad);
	if (mfg_retrieve_parent_data(trace->depth + 1, &size))
		atomic_inc(&p->data_bad);
	atomic_inc(&p->entries);
	return 1;
}

static void mfg_parent_return(const struct mfg_return *trace, struct mfg_ops *ops,
			      struct ftrace_regs *fregs)
{
	struct mfg_probe *p = container_of(ops, struct mfg_probe, ops);
	int size = 0;
	unsigned long *mine = mfg_retrieve_parent_data(0, &size);
	unsigned long *parent = mfg_retrieve_parent_data(1, &size);

	if (!mine || *mine != (unsigned long)trace->depth + 100)
		atomic_inc(&p->data_bad);
	if (trace->depth > 0 && (!parent || *parent != (unsigned long)trace->depth + 99))
		atomic_inc(&p->data_bad);
	atomic_inc(&p->returns);
}

static void mfg_hook_parent_data_and_task_var(struct kunit *test)
{
	unsigned long ip = (unsigned long)mfg_target_recurse;
	struct mfg_probe *p = mfg_new_probe(test, &ip, 1);

	p->ops.entryfunc = mfg_parent_entry;
	p->ops.retfunc = mfg_parent_return;
	mfg_register_probe(test, p);
	KUNIT_EXPECT_EQ(test, mfg_target_recurse(6), 7);
	KUNIT_EXPECT_EQ(test, atomic_read(&p->entries), 7);
	KUNIT_EXPECT_EQ(test, atomic_read(&p->returns), 7);
	KUNIT_EXPECT_EQ(test, atomic_read(&p->data_bad), 0);
}

/* ------------------------------------------------------------ bad input */

static void mfg_hook_bad_input(struct kunit *test)
{
	unsigned long ip = (unsigned long)mfg_target_add;
	unsigned long bogus = (unsigned long)mfg_register;
	struct mfg_probe *p = mfg_new_probe(test, &ip, 1);
	struct mfg_ops none = {};

	KUNIT_EXPECT_EQ(test, mfg_register(NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, mfg_register(&none), -EINVAL);
	mfg_register_probe(test, p);
	KUNIT_EXPECT_EQ(test, mfg_register(&p->ops), -EBUSY);
	KUNIT_EXPECT_EQ(test, mfg_set_filter(&none, "mfg_no_such_function_anywhere", true), -ENOENT);
	/* mfgraph's own functions are not traceable. */
	KUNIT_EXPECT_EQ(test, mfg_set_filter(&none, "mfg_register", true), -EINVAL);
	KUNIT_EXPECT_EQ(test, mfg_set_filter_ips(&none, &bogus, 1, false, true), -EINVAL);
	KUNIT_EXPECT_EQ(test, mfg_set_filter(NULL, "x", true), -EINVAL);
	KUNIT_EXPECT_EQ(test, mfg_set_filter(&none, NULL, true), -EINVAL);
	KUNIT_EXPECT_EQ(test, mfg_set_filter(&none, "", true), -EINVAL);
	KUNIT_EXPECT_EQ(test, mfg_set_filter_ips(NULL, &ip, 1, false, true), -EINVAL);
	KUNIT_EXPECT_EQ(test, mfg_set_filter_ips(&none, NULL, 1, false, true), -EINVAL);
	mfg_free_filter(&none);
	/* By name works too, and so does a glob. */
	KUNIT_EXPECT_EQ(test, mfg_set_filter(&p->ops, "mfg_target_oth*", false), 0);
	KUNIT_EXPECT_EQ(test, mfg_target_other(1), 3);
	KUNIT_EXPECT_EQ(test, atomic_read(&p->entries), 1);
}

static struct kunit_case mfg_hook_cases[] = {
	KUNIT_CASE(mfg_hook_one_user),
	KUNIT_CASE(mfg_hook_sixteen_users),
	KUNIT_CASE(mfg_hook_nested_lifo),
	KUNIT_CASE(mfg_hook_overflow),
	KUNIT_CASE(mfg_hook_data_per_user),
	KUNIT_CASE(mfg_hook_data_limits),
	KUNIT_CASE(mfg_hook_parent_data_and_task_var),
	KUNIT_CASE(mfg_hook_bad_input),
	{}
};

static struct kunit_suite mfg_hook_suite = {
	.name = "mfgraph_hook",
	.test_cases = mfg_hook_cases,
};

kunit_test_suite(mfg_hook_suite);

MODULE_DESCRIPTION("mfgraph: KUnit suite for live hooking");
MODULE_LICENSE("GPL");
