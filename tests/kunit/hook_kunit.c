// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "mfgraph_hook": live hooking through the public API, on the
 * traced functions of hook_targets.c.
 */
#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/irq_work.h>
#include <linux/ftrace.h>
#include <linux/kallsyms.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/sched/clock.h>
#include <linux/stacktrace.h>
#include <linux/string.h>

#include <mfgraph.h>

#include "../../fgraph/kcompat.h"
#include "hook_targets.h"
#include "test_util.h"

/* mfgraph's test hook (fgraph/register.c, namespace MFGRAPH_INTERNAL). */
int mfg_test_revive(void);

#define MFG_LOG_MAX 256

/* How long the stress case runs (module parameter stress_seconds). */
static unsigned int stress_seconds = 10;
module_param(stress_seconds, uint, 0444);
MODULE_PARM_DESC(stress_seconds, "duration of the stress case");
#define MFG_STRESS_SECONDS stress_seconds

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

	p->ops.flags = MFG_OPS_FL_TIMESTAMPS;
	mfg_register_probe(test, p);
	before = local_clock();
	r = mfg_target_add(2, 3);
	after = local_clock();
	KUNIT_EXPECT_EQ(test, r, 5);
	KUNIT_EXPECT_EQ(test, atomic_read(&p->entries), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&p->returns), 1);
	KUNIT_EXPECT_EQ(test, p->last_return.retval, 5UL);
	KUNIT_EXPECT_TRUE(test, mfg_test_symbol_is(p->last_entry.func, "mfg_target_add"));
	KUNIT_EXPECT_EQ(test, p->last_return.func, p->last_entry.func);
	/* The call returns into this very function. */
	KUNIT_EXPECT_TRUE(test, mfg_test_symbol_is(p->last_entry.ret_addr, "mfg_hook_one_user"));
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

	/* Without MFG_OPS_FL_TIMESTAMPS no clock is read: the times are 0. */
	p->ops.flags = 0;
	KUNIT_ASSERT_EQ(test, mfg_register(&p->ops), 0);
	KUNIT_EXPECT_EQ(test, mfg_target_add(2, 2), 4);
	mfg_unregister(&p->ops);
	KUNIT_EXPECT_EQ(test, atomic_read(&p->returns), 2);
	KUNIT_EXPECT_EQ(test, p->last_return.retval, 4UL);
	KUNIT_EXPECT_EQ(test, p->last_return.calltime, 0ULL);
	KUNIT_EXPECT_EQ(test, p->last_return.rettime, 0ULL);
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
		bool prev_entry = mfg_log[i - 1] > 0, this_entry = mfg_log[i] > 0;

		if (prev_entry == this_entry)
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
	long *want = kunit_kcalloc(test, MFG_LOG_MAX, sizeof(*want), GFP_KERNEL);
	int i, n, w = 0;
	long ea, eb;

	KUNIT_ASSERT_NOT_NULL(test, want);
	mfg_register_probe(test, a);
	mfg_register_probe(test, b);
	mfg_reset_log();
	KUNIT_EXPECT_EQ(test, mfg_target_recurse(depth), depth + 1);
	n = atomic_read(&mfg_log_len);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->returns), depth + 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&b->returns), depth + 1);
	/*
	 * The whole sequence, from the call tree: recurse(10) ... recurse(0)
	 * each seen by a and b at depths 0..10, the leaf by a alone at depth
	 * 11; each call's users in slot order at entry and at return, the
	 * returns innermost first.
	 */
	KUNIT_ASSERT_LT(test, b->ops.slot, MFG_MAX_USERS);
	for (i = 0; i <= depth; i++) {
		ea = a->ops.slot * 1000 + i + 1;
		eb = b->ops.slot * 1000 + i + 1;
		want[w++] = min(ea, eb);
		want[w++] = max(ea, eb);
	}
	want[w++] = a->ops.slot * 1000 + depth + 2;
	want[w++] = -(a->ops.slot * 1000 + depth + 2);
	for (i = depth; i >= 0; i--) {
		ea = a->ops.slot * 1000 + i + 1;
		eb = b->ops.slot * 1000 + i + 1;
		want[w++] = -min(ea, eb);
		want[w++] = -max(ea, eb);
	}
	KUNIT_ASSERT_EQ(test, n, w);
	for (i = 0; i < w; i++)
		KUNIT_EXPECT_EQ_MSG(test, mfg_log[i], want[i], "event %d", i);
}

static atomic_t mfg_overflow_missed;

static void mfg_overflow_miss(unsigned long func, struct mfg_ops *ops)
{
	atomic_inc(&mfg_overflow_missed);
}

static void mfg_hook_overflow(struct kunit *test)
{
	unsigned long ip = (unsigned long)mfg_target_recurse;
	struct mfg_probe *p = mfg_new_probe(test, &ip, 1);
	struct mfg_stats before, after;
	struct mfg_core_info info;
	int depth, entries, missed;

	mfg_get_core_info(&info);
	depth = info.max_depth + 20;
	p->ops.missfunc = mfg_overflow_miss;
	atomic_set(&mfg_overflow_missed, 0);
	mfg_register_probe(test, p);
	mfg_get_stats(&before);
	/*
	 * Deeper than a shadow stack holds (max_depth frames at most, as
	 * documented): the calls that do not fit run untraced, each is
	 * counted and reported to the user, and the program must still be
	 * right.
	 */
	KUNIT_EXPECT_EQ(test, mfg_target_recurse(depth), depth + 1);
	mfg_get_stats(&after);
	entries = atomic_read(&p->entries);
	missed = atomic_read(&mfg_overflow_missed);
	kunit_info(test, "%d calls, max_depth %u: %d traced, %d missed\n", depth + 1,
		   info.max_depth, entries, missed);
	KUNIT_EXPECT_GT(test, entries, 0);
	KUNIT_EXPECT_LE(test, entries, (int)info.max_depth);
	KUNIT_EXPECT_EQ(test, entries + missed, depth + 1);
	KUNIT_EXPECT_EQ(test, after.misses[MFG_MISS_OVERFLOW] - before.misses[MFG_MISS_OVERFLOW],
			(unsigned long long)missed);
	KUNIT_EXPECT_GE(test, after.deepest, (unsigned int)entries);
	KUNIT_EXPECT_EQ(test, atomic_read(&p->returns), entries);
	KUNIT_EXPECT_EQ(test, atomic_read(&p->data_bad), 0);
	/* Afterwards everything is back to normal. */
	KUNIT_EXPECT_EQ(test, mfg_target_recurse(3), 4);
	KUNIT_EXPECT_EQ(test, atomic_read(&p->returns), entries + 4);
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
	bool has_frame = ops->retfunc;

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
	if (trace->depth == 0 ? !!parent :
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

/* ------------------------------------------------------------ unregister with calls in flight */

struct mfg_sleeper {
	struct completion wake;
	struct completion done;
	int result;
};

static int mfg_sleeper_fn(void *arg)
{
	struct mfg_sleeper *s = arg;

	s->result = mfg_target_sleep(&s->wake);
	complete(&s->done);
	return 0;
}

static void mfg_hook_unregister_in_flight(struct kunit *test)
{
	unsigned long ip = (unsigned long)mfg_target_sleep;
	struct mfg_probe *old = mfg_new_probe(test, &ip, 1);
	struct mfg_probe *fresh = mfg_new_probe(test, &ip, 1);
	struct mfg_sleeper *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	struct mfg_stats before, after;
	struct task_struct *t;
	int old_slot;

	KUNIT_ASSERT_NOT_NULL(test, s);
	init_completion(&s->wake);
	init_completion(&s->done);
	KUNIT_ASSERT_EQ(test, mfg_register(&old->ops), 0);
	old_slot = old->ops.slot;
	t = kthread_run(mfg_sleeper_fn, s, "mfg_sleeper");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	KUNIT_ASSERT_TRUE(test, mfg_test_wait_for(&old->entries, 1));

	/* The kthread sleeps inside the traced call; its user leaves. */
	mfg_unregister(&old->ops);
	mfg_get_stats(&before);
	/* A new user takes the very same slot. */
	mfg_register_probe(test, fresh);
	KUNIT_EXPECT_EQ(test, fresh->ops.slot, old_slot);

	complete(&s->wake);
	wait_for_completion(&s->done);
	mfg_get_stats(&after);
	/* The call returned to the right place, with the right value... */
	KUNIT_EXPECT_EQ(test, s->result, 42);
	/* ... and neither user heard of its return. */
	KUNIT_EXPECT_EQ(test, atomic_read(&old->returns), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&fresh->entries), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&fresh->returns), 0);
	KUNIT_EXPECT_GE(test, after.misses[MFG_MISS_STALE], before.misses[MFG_MISS_STALE] + 1);
	mfg_free_filter(&old->ops);
}

/* ------------------------------------------------------------ stack traces */

#define MFG_TRACE_MAX 24

struct mfg_trace_probe {
	struct mfg_probe p;
	atomic_t found;
	atomic_t checked;
};

static void mfg_trace_return(const struct mfg_return *trace, struct mfg_ops *ops,
			     struct ftrace_regs *fregs)
{
	struct mfg_trace_probe *tp = container_of(ops, struct mfg_trace_probe, p.ops);
	unsigned long entries[MFG_TRACE_MAX];
	unsigned int n, i;

	/* The plain kernel unwinder must reach the real caller. */
	n = stack_trace_save(entries, ARRAY_SIZE(entries), 0);
	for (i = 0; i < n; i++)
		if (entries[i] == trace->ret_addr)
			atomic_inc(&tp->found);
	atomic_inc(&tp->checked);
}

static void mfg_hook_stack_trace_in_return(struct kunit *test)
{
	unsigned long ip = (unsigned long)mfg_target_add;
	struct mfg_trace_probe *tp = kunit_kzalloc(test, sizeof(*tp), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, tp);
	tp->p.ops.retfunc = mfg_trace_return;
	KUNIT_ASSERT_EQ(test, mfg_set_filter_ips(&tp->p.ops, &ip, 1, false, true), 0);
	mfg_register_probe(test, &tp->p);
	KUNIT_EXPECT_EQ(test, mfg_target_add(3, 4), 7);
	KUNIT_EXPECT_EQ(test, atomic_read(&tp->checked), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&tp->found), 1);
}

struct mfg_trace_buf {
	unsigned long entries[MFG_TRACE_MAX];
	unsigned int n;
};

static noinline int mfg_take_trace(void *arg)
{
	struct mfg_trace_buf *buf = arg;

	buf->n = mfg_stack_trace_save(buf->entries, MFG_TRACE_MAX, 0);
	return 0;
}

static noinline int mfg_trace_through_targets(struct mfg_trace_buf *buf)
{
	int r = mfg_target_outer(mfg_take_trace, buf);

	/* Not a tail call: this frame must be in the trace. */
	barrier_data(&r);
	return r;
}

static void mfg_hook_stack_trace_nested(struct kunit *test)
{
	static const char here[] = "mfg_hook_stack_trace_nested";
	unsigned long ips[] = { (unsigned long)mfg_target_outer, (unsigned long)mfg_target_call };
	struct mfg_trace_buf *plain = kunit_kzalloc(test, sizeof(*plain), GFP_KERNEL);
	struct mfg_trace_buf *traced = kunit_kzalloc(test, sizeof(*traced), GFP_KERNEL);
	struct mfg_probe *p = mfg_new_probe(test, ips, 2);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, plain);
	KUNIT_ASSERT_NOT_NULL(test, traced);
	/* One call site for both traces, so that they can be equal. */
	for (i = 0; i < 2; i++) {
		/*
		 * The second time, both enclosing calls have their return
		 * addresses swapped while the trace is taken.
		 */
		if (i == 1)
			mfg_register_probe(test, p);
		KUNIT_EXPECT_EQ(test, mfg_trace_through_targets(i ? traced : plain), 2);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&p->returns), 2);
	KUNIT_ASSERT_GE(test, plain->n, 4U);
	KUNIT_EXPECT_TRUE(test, mfg_test_symbol_is(plain->entries[0], "mfg_take_trace"));
	KUNIT_EXPECT_TRUE(test, mfg_test_symbol_is(plain->entries[1], "mfg_target_call"));
	KUNIT_EXPECT_TRUE(test, mfg_test_symbol_is(plain->entries[2], "mfg_target_outer"));
	KUNIT_EXPECT_TRUE(test, mfg_test_symbol_is(plain->entries[3], "mfg_trace_through_targets"));
	KUNIT_EXPECT_EQ(test, traced->n, plain->n);
	for (i = 0; i < min(plain->n, traced->n); i++) {
		/* The compiler may give each call its own site in this function. */
		if (mfg_test_symbol_is(plain->entries[i], here)) {
			KUNIT_EXPECT_TRUE(test, mfg_test_symbol_is(traced->entries[i], here));
			continue;
		}
		KUNIT_EXPECT_EQ_MSG(test, traced->entries[i], plain->entries[i], "entry %u", i);
	}
}

/* ------------------------------------------------------------ interrupts */

struct mfg_irq_load {
	struct hrtimer timer;
	struct task_struct *task;	/* the task the loop runs in */
	atomic_t calls;
	atomic_t wrong;
	atomic_t inside;	/* interrupts that landed inside an entry callback */
	atomic_t misnested;	/* whose calls did not nest as they must */
	atomic_t task_entries;
	int cb_depth;		/* the depth of the callback's call, while in_cb */
	bool in_cb;
	int nev;		/* the current interrupt's events: +depth+1 / -(depth+1) */
	int ev[16];
	bool stop;
};

static struct mfg_irq_load *mfg_irq_now;

/* Spin (preemption is off in a callback: no sleeping). */
static void mfg_irq_dawdle(u64 ns)
{
	u64 until = local_clock() + ns;

	while (local_clock() < until)
		cpu_relax();
}

/* Entries in the timer interrupt are logged; the task's sometimes dawdle. */
static int mfg_irq_entry(const struct mfg_entry *trace, struct mfg_ops *ops,
			 struct ftrace_regs *fregs)
{
	struct mfg_irq_load *l = READ_ONCE(mfg_irq_now);
	int want = mfg_probe_entry(trace, ops, fregs);

	if (!l)
		return want;
	if (in_hardirq()) {
		if (l->nev < ARRAY_SIZE(l->ev))
			l->ev[l->nev] = trace->depth + 1;
		l->nev++;
	} else if (current == l->task && atomic_inc_return(&l->task_entries) % 4 == 0) {
		/* Long enough for the 200 us timer to land in here now and then. */
		WRITE_ONCE(l->cb_depth, trace->depth);
		WRITE_ONCE(l->in_cb, true);
		mfg_irq_dawdle(20 * NSEC_PER_USEC);
		WRITE_ONCE(l->in_cb, false);
	}
	return want;
}

static void mfg_irq_return(const struct mfg_return *trace, struct mfg_ops *ops,
			   struct ftrace_regs *fregs)
{
	struct mfg_irq_load *l = READ_ONCE(mfg_irq_now);

	if (l && in_hardirq()) {
		if (l->nev < ARRAY_SIZE(l->ev))
			l->ev[l->nev] = -(trace->depth + 1);
		l->nev++;
	}
	mfg_probe_return(trace, ops, fregs);
}

static enum hrtimer_restart mfg_irq_tick(struct hrtimer *timer)
{
	struct mfg_irq_load *l = container_of(timer, struct mfg_irq_load, timer);
	/* current is the interrupted task: was it inside an entry callback? */
	bool inside = READ_ONCE(l->in_cb) && current == l->task;
	int depth = READ_ONCE(l->cb_depth), base, i;
	/* recurse(2): three calls and the leaf, then the leaf alone. */
	static const int shape[] = { 1, 2, 3, 4, -4, -3, -2, -1, 1, -1 };

	/* Hard interrupt context, nesting on whatever task was running. */
	l->nev = 0;
	if (mfg_target_recurse(2) != 3 || mfg_target_leaf(7) != 8)
		atomic_inc(&l->wrong);
	atomic_inc(&l->calls);
	/*
	 * Its calls nest above whatever the interrupted task has open, and
	 * return in order: depths base+0..3 in, back out, then base again.
	 */
	base = l->nev ? abs(l->ev[0]) - 1 : -1;
	for (i = 0; i < ARRAY_SIZE(shape); i++)
		if (l->nev != ARRAY_SIZE(shape) ||
		    l->ev[i] != (shape[i] > 0 ? base + shape[i] : shape[i] - base))
			break;
	if (i != ARRAY_SIZE(shape))
		atomic_inc(&l->misnested);
	if (inside) {
		atomic_inc(&l->inside);
		/* The interrupted call's frame is open below: never reuse its depth. */
		if (base <= depth)
			atomic_inc(&l->misnested);
	}
	if (READ_ONCE(l->stop))
		return HRTIMER_NORESTART;
	hrtimer_forward_now(timer, ns_to_ktime(200 * NSEC_PER_USEC));
	return HRTIMER_RESTART;
}

static void mfg_hook_irq_nesting(struct kunit *test)
{
	unsigned long ips[] = { (unsigned long)mfg_target_recurse, (unsigned long)mfg_target_leaf };
	struct mfg_irq_load *l = kunit_kzalloc(test, sizeof(*l), GFP_KERNEL);
	struct mfg_probe *p = mfg_new_probe(test, ips, 2);
	unsigned long end = jiffies + HZ;
	int loops = 0, wrong = 0;

	KUNIT_ASSERT_NOT_NULL(test, l);
	p->ops.entryfunc = mfg_irq_entry;
	p->ops.retfunc = mfg_irq_return;
	p->reserve_words = 2;
	p->tag = 0x5000;
	l->task = current;
	WRITE_ONCE(mfg_irq_now, l);
	mfg_register_probe(test, p);
	/* The timer and this task on one CPU: its interrupts must land here. */
	KUNIT_ASSERT_EQ(test, set_cpus_allowed_ptr(current, cpumask_of(raw_smp_processor_id())),
			0);
	hrtimer_init(&l->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_HARD);
	l->timer.function = mfg_irq_tick;
	hrtimer_start(&l->timer, ns_to_ktime(200 * NSEC_PER_USEC), HRTIMER_MODE_REL_PINNED_HARD);
	while (time_before(jiffies, end)) {
		wrong += mfg_target_recurse(6) != 7;
		loops++;
	}
	WRITE_ONCE(l->stop, true);
	hrtimer_cancel(&l->timer);
	set_cpus_allowed_ptr(current, cpu_possible_mask);
	WRITE_ONCE(mfg_irq_now, NULL);
	kunit_info(test, "%d thread calls, %d timer interrupts (%d inside an entry callback), %d returns\n",
		   loops * 8, atomic_read(&l->calls), atomic_read(&l->inside),
		   atomic_read(&p->returns));
	KUNIT_EXPECT_EQ(test, wrong, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&l->wrong), 0);
	KUNIT_EXPECT_GT(test, atomic_read(&l->calls), 0);
	/* Interrupts did land inside callbacks, and every one nested right. */
	KUNIT_EXPECT_GT(test, atomic_read(&l->inside), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&l->misnested), 0);
	/* Every entry that asked got its return, and its own data back. */
	KUNIT_EXPECT_EQ(test, atomic_read(&p->entries), atomic_read(&p->returns));
	KUNIT_EXPECT_EQ(test, atomic_read(&p->data_bad), 0);
	KUNIT_EXPECT_GT(test, atomic_read(&p->returns), loops * 8);
}

/* ------------------------------------------------------------ NMIs */

#ifdef CONFIG_X86_64
#include <asm/apic.h>
#include <asm/nmi.h>

static struct mfg_nmi_load {
	bool armed;
	atomic_t sent;
	atomic_t handled;
	atomic_t wrong;
} mfg_nmi;

static void mfg_nmi_send(void)
{
	/* Not from the NMI handler's own traced calls: that would never end. */
	if (in_nmi())
		return;
	/* A self-NMI lands right here: inside this callback. */
	atomic_inc(&mfg_nmi.sent);
	apic->send_IPI_self(NMI_VECTOR);
}

static int mfg_nmi_handler(unsigned int type, struct pt_regs *regs)
{
	if (!READ_ONCE(mfg_nmi.armed))
		return NMI_DONE;
	/* NMI context, nesting on the task's stack mid-callback. */
	if (mfg_target_recurse(2) != 3 || mfg_target_leaf(7) != 8)
		atomic_inc(&mfg_nmi.wrong);
	atomic_inc(&mfg_nmi.handled);
	return NMI_HANDLED;
}

static int mfg_nmi_entry(const struct mfg_entry *trace, struct mfg_ops *ops,
			 struct ftrace_regs *fregs)
{
	struct mfg_probe *p = container_of(ops, struct mfg_probe, ops);
	int want = mfg_probe_entry(trace, ops, fregs);

	/* Between reserving this call's data and returning from the callback. */
	if (READ_ONCE(mfg_nmi.armed) && atomic_read(&p->entries) % 7 == 3)
		mfg_nmi_send();
	return want;
}

static void mfg_nmi_return(const struct mfg_return *trace, struct mfg_ops *ops,
			   struct ftrace_regs *fregs)
{
	struct mfg_probe *p = container_of(ops, struct mfg_probe, ops);

	/* During a return dispatch, before this call's data is checked. */
	if (READ_ONCE(mfg_nmi.armed) && atomic_read(&p->returns) % 5 == 1)
		mfg_nmi_send();
	mfg_probe_return(trace, ops, fregs);
}

static void mfg_hook_nmi_nesting(struct kunit *test)
{
	unsigned long ips[] = { (unsigned long)mfg_target_recurse, (unsigned long)mfg_target_leaf };
	struct mfg_probe *p = mfg_new_probe(test, ips, 2);
	int i, wrong = 0;

	p->ops.entryfunc = mfg_nmi_entry;
	p->ops.retfunc = mfg_nmi_return;
	p->reserve_words = 3;
	p->tag = 0x6000;
	memset(&mfg_nmi, 0, sizeof(mfg_nmi));
	KUNIT_ASSERT_EQ(test, register_nmi_handler(NMI_LOCAL, mfg_nmi_handler, 0, "mfg_hook_test"),
			0);
	mfg_register_probe(test, p);
	WRITE_ONCE(mfg_nmi.armed, true);
	for (i = 0; i < 2000; i++)
		wrong += mfg_target_recurse(4) != 5;
	WRITE_ONCE(mfg_nmi.armed, false);
	unregister_nmi_handler(NMI_LOCAL, "mfg_hook_test");
	kunit_info(test, "%d NMIs sent, %d handled, %d returns\n", atomic_read(&mfg_nmi.sent),
		   atomic_read(&mfg_nmi.handled), atomic_read(&p->returns));
	KUNIT_EXPECT_EQ(test, wrong, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&mfg_nmi.wrong), 0);
	KUNIT_EXPECT_GT(test, atomic_read(&mfg_nmi.handled), 100);
	/* NMIs inside entry and return callbacks corrupted nothing. */
	KUNIT_EXPECT_EQ(test, atomic_read(&p->entries), atomic_read(&p->returns));
	KUNIT_EXPECT_EQ(test, atomic_read(&p->data_bad), 0);
}
#else
static void mfg_hook_nmi_nesting(struct kunit *test)
{
	kunit_skip(test, "no self-NMI source for arm64 guests here");
}
#endif

/* ------------------------------------------------------------ task exit */

struct mfg_exiter {
	struct completion called;
	struct completion go;
};

static int mfg_exiter_fn(void *arg)
{
	struct mfg_exiter *e = arg;

	mfg_target_add(1, 2);
	complete(&e->called);
	wait_for_completion(&e->go);
	return 0;
}

static void mfg_hook_task_exit_frees_stack(struct kunit *test)
{
	unsigned long ip = (unsigned long)mfg_target_add;
	struct mfg_probe *p = mfg_new_probe(test, &ip, 1);
	struct mfg_exiter *e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);
	struct mfg_stats before, during;
	struct task_struct *t;

	KUNIT_ASSERT_NOT_NULL(test, e);
	init_completion(&e->called);
	init_completion(&e->go);
	mfg_register_probe(test, p);
	mfg_get_stats(&before);
	t = kthread_run(mfg_exiter_fn, e, "mfg_exiter");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	wait_for_completion(&e->called);
	mfg_get_stats(&during);
	KUNIT_EXPECT_EQ(test, during.stacks_in_use, before.stacks_in_use + 1);
	complete(&e->go);
	KUNIT_EXPECT_EQ(test, mfg_test_wait_stacks(before.stacks_in_use), before.stacks_in_use);
	KUNIT_EXPECT_EQ(test, atomic_read(&p->returns), 1);
}

/*
 * Each CPU caches the last task that found its stack there, by task_struct
 * address. A task_struct freed and handed to a new task must not find the
 * dead task's stack: the new task takes a fresh one. Tasks run one after
 * another on one CPU, so the slab often gives the next one the same
 * task_struct; under KASAN a stale cache entry would also be a
 * use-after-free.
 */
struct mfg_reuser {
	struct completion done;
	struct mfg_probe *probe;
	struct task_struct *self;
	unsigned int stacks_during;
	int result;
	int untraced;
};

static int mfg_reuser_fn(void *arg)
{
	struct mfg_reuser *r = arg;
	struct mfg_stats st;
	int seen = atomic_read(&r->probe->entries);

	r->self = current;
	/*
	 * A call runs untraced, by design, when the pool has no stack left:
	 * it is refilled off the tracing path. Try again after the refill.
	 */
	for (;;) {
		r->result = mfg_target_add(20, 22);
		if (atomic_read(&r->probe->entries) != seen || ++r->untraced == 50)
			break;
		msleep(20);
	}
	mfg_get_stats(&st);
	r->stacks_during = st.stacks_in_use;
	complete(&r->done);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

static void mfg_hook_task_reuse_gets_fresh_stack(struct kunit *test)
{
	unsigned long ip = (unsigned long)mfg_target_add;
	struct mfg_probe *p = mfg_new_probe(test, &ip, 1);
	struct task_struct *seen[32] = {};
	struct mfg_stats before;
	unsigned int reused = 0, untraced = 0, i, j;

	mfg_register_probe(test, p);
	mfg_get_stats(&before);
	for (i = 0; i < ARRAY_SIZE(seen); i++) {
		struct mfg_reuser r = {};
		struct task_struct *t;

		init_completion(&r.done);
		r.probe = p;
		t = kthread_create(mfg_reuser_fn, &r, "mfg_reuser/%u", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(t));
		kthread_bind(t, 0);
		wake_up_process(t);
		wait_for_completion(&r.done);
		kthread_stop(t);
		KUNIT_ASSERT_EQ(test, mfg_test_wait_stacks(before.stacks_in_use),
				before.stacks_in_use);
		KUNIT_EXPECT_EQ(test, r.result, 42);
		KUNIT_EXPECT_LT(test, r.untraced, 50);
		untraced += r.untraced;
		/* Its own stack, beside any held before, even at a reused address. */
		KUNIT_EXPECT_EQ(test, r.stacks_during, before.stacks_in_use + 1);
		for (j = 0; j < i && seen[j] != r.self; j++)
			;
		reused += j < i;
		seen[i] = r.self;
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&p->entries), (int)ARRAY_SIZE(seen));
	KUNIT_EXPECT_EQ(test, atomic_read(&p->returns), (int)ARRAY_SIZE(seen));
	kunit_info(test, "%u of %zu tasks reused an earlier task_struct; %u calls ran untraced\n",
		   reused, ARRAY_SIZE(seen), untraced);
	/* Without a reuse, nothing here was tested: say so. */
	if (!reused && test->status != KUNIT_FAILURE)
		kunit_skip(test, "no task_struct was reused in %zu tasks", ARRAY_SIZE(seen));
}

/* ------------------------------------------------------------ stress */

#define MFG_CHURN_USERS 4
/* Register/unregister/filter rounds the churn must reach (about 1.25 ms each). */
#define MFG_STRESS_MIN_CHURNS 40

struct mfg_stress {
	atomic_t stop;
	atomic_t workers_running;
	atomic_t wrong;
	atomic_t calls;
	atomic_t churns;
	atomic_t after_unregister;	/* callbacks of a user marked gone */
	struct mfg_probe *stable;
	struct mfg_probe *churn[MFG_CHURN_USERS];
	bool live[MFG_CHURN_USERS];
	struct completion done;
};

static struct mfg_stress *mfg_stress_now;

static int mfg_churn_entry(const struct mfg_entry *trace, struct mfg_ops *ops,
			   struct ftrace_regs *fregs)
{
	struct mfg_probe *p = container_of(ops, struct mfg_probe, ops);
	struct mfg_stress *s = READ_ONCE(mfg_stress_now);

	if (s && !READ_ONCE(s->live[p->tag]))
		atomic_inc(&s->after_unregister);
	atomic_inc(&p->entries);
	return trace->func & 16 ? 1 : p->want_return;
}

static void mfg_churn_return(const struct mfg_return *trace, struct mfg_ops *ops,
			     struct ftrace_regs *fregs)
{
	struct mfg_probe *p = container_of(ops, struct mfg_probe, ops);
	struct mfg_stress *s = READ_ONCE(mfg_stress_now);

	if (s && !READ_ONCE(s->live[p->tag]))
		atomic_inc(&s->after_unregister);
	atomic_inc(&p->returns);
}

static int mfg_stress_worker(void *arg)
{
	struct mfg_stress *s = arg;
	int i = 0;

	while (!atomic_read(&s->stop)) {
		if (mfg_target_recurse(3) != 4 || mfg_target_add(i, 1) != i + 1 ||
		    mfg_target_other(i) != 3 * i)
			atomic_inc(&s->wrong);
		atomic_add(6, &s->calls);
		if (++i % 64 == 0)
			cond_resched();
	}
	atomic_dec(&s->workers_running);
	complete(&s->done);
	return 0;
}

/*
 * Churn: register, unregister and refilter users as fast as it goes. The
 * functions all stay in the stable user's filter, so the union (the hook's
 * ftrace filter) never changes and ftrace never rewrites call sites here:
 * x86_64 guests under multi-threaded TCG have shown int3 traps at call
 * sites ftrace had just finished patching, which is not ours to test.
 * Filters changing the union are covered by the other cases.
 */
static int mfg_stress_churn(void *arg)
{
	struct mfg_stress *s = arg;
	unsigned long ips[] = { (unsigned long)mfg_target_recurse, (unsigned long)mfg_target_leaf,
				(unsigned long)mfg_target_add, (unsigned long)mfg_target_other };
	int round = 0, i, first, n;

	while (!atomic_read(&s->stop)) {
		i = round % MFG_CHURN_USERS;
		if (s->live[i]) {
			mfg_unregister(&s->churn[i]->ops);
			/* From here on, any callback of it is a bug. */
			WRITE_ONCE(s->live[i], false);
		} else {
			first = round % ARRAY_SIZE(ips);
			n = 1 + round % (ARRAY_SIZE(ips) - first);
			if (mfg_set_filter_ips(&s->churn[i]->ops, &ips[first], n, false, true))
				atomic_inc(&s->wrong);
			WRITE_ONCE(s->live[i], true);
			if (mfg_register(&s->churn[i]->ops))
				WRITE_ONCE(s->live[i], false);
		}
		atomic_inc(&s->churns);
		round++;
		usleep_range(500, 2000);
	}
	for (i = 0; i < MFG_CHURN_USERS; i++) {
		if (s->live[i]) {
			mfg_unregister(&s->churn[i]->ops);
			WRITE_ONCE(s->live[i], false);
		}
	}
	complete(&s->done);
	return 0;
}

static void mfg_hook_stress(struct kunit *test)
{
	unsigned long ips[] = { (unsigned long)mfg_target_recurse, (unsigned long)mfg_target_leaf,
				(unsigned long)mfg_target_add, (unsigned long)mfg_target_other };
	struct mfg_stress *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	int workers = 2 * num_online_cpus(), i, started = 0;
	unsigned long deadline;
	struct mfg_stats stats;

	KUNIT_ASSERT_NOT_NULL(test, s);
	init_completion(&s->done);
	s->stable = mfg_new_probe(test, ips, ARRAY_SIZE(ips));
	s->stable->reserve_words = 3;
	s->stable->tag = 0x7000;
	for (i = 0; i < MFG_CHURN_USERS; i++) {
		s->churn[i] = mfg_new_probe(test, NULL, 0);
		s->churn[i]->ops.entryfunc = mfg_churn_entry;
		s->churn[i]->ops.retfunc = i == 3 ? NULL : mfg_churn_return;
		s->churn[i]->want_return = i & 1;
		s->churn[i]->tag = i;
	}
	mfg_register_probe(test, s->stable);
	WRITE_ONCE(mfg_stress_now, s);
	for (i = 0; i < workers; i++) {
		struct task_struct *t = kthread_create(mfg_stress_worker, s, "mfg_stress/%d", i);

		if (IS_ERR(t))
			break;
		kthread_bind(t, i % num_online_cpus());
		atomic_inc(&s->workers_running);
		wake_up_process(t);
		started++;
	}
	KUNIT_ASSERT_FALSE(test, IS_ERR(kthread_run(mfg_stress_churn, s, "mfg_churn")));
	msleep(MFG_STRESS_SECONDS * 1000);
	/*
	 * A loaded host (TCG, other guests) slows the churn down: give it
	 * up to a minute to reach its rounds rather than fail for want of
	 * time. Only a churn that stalls fails.
	 */
	deadline = jiffies + 60 * HZ;
	while (atomic_read(&s->churns) < MFG_STRESS_MIN_CHURNS && time_before(jiffies, deadline))
		msleep(100);
	atomic_set(&s->stop, 1);
	for (i = 0; i < started + 1; i++)
		wait_for_completion(&s->done);
	WRITE_ONCE(mfg_stress_now, NULL);
	for (i = 0; i < MFG_CHURN_USERS; i++)
		mfg_free_filter(&s->churn[i]->ops);

	mfg_get_stats(&stats);
	kunit_info(test, "%d workers, %d calls, %d register/unregister/filter rounds\n", started,
		   atomic_read(&s->calls), atomic_read(&s->churns));
	KUNIT_EXPECT_EQ(test, started, workers);
	KUNIT_EXPECT_EQ(test, atomic_read(&s->wrong), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&s->after_unregister), 0);
	KUNIT_EXPECT_GE(test, atomic_read(&s->churns), MFG_STRESS_MIN_CHURNS);
	/* The user that stayed saw every return it asked for, with its data. */
	KUNIT_EXPECT_GT(test, atomic_read(&s->stable->entries), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&s->stable->entries), atomic_read(&s->stable->returns));
	KUNIT_EXPECT_EQ(test, atomic_read(&s->stable->data_bad), 0);
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
	p->ops.flags = ~MFG_OPS_FL_ALL;
	KUNIT_EXPECT_EQ(test, mfg_register(&p->ops), -EINVAL);
	p->ops.flags = 0;
	mfg_register_probe(test, p);
	KUNIT_EXPECT_EQ(test, mfg_register(&p->ops), -EBUSY);
	KUNIT_EXPECT_EQ(test, mfg_set_filter(&none, "mfg_no_such_function", true), -ENOENT);
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

/* ------------------------------------------------------------ callbacks run untraced */

static int mfg_calling_entry(const struct mfg_entry *trace, struct mfg_ops *ops,
			     struct ftrace_regs *fregs)
{
	int want = mfg_probe_entry(trace, ops, fregs);

	/* A traced function, in this user's own filter, from its callback. */
	if (trace->func != (unsigned long)mfg_target_leaf && mfg_target_leaf(1) != 2)
		atomic_inc(&container_of(ops, struct mfg_probe, ops)->data_bad);
	return want;
}

static void mfg_calling_return(const struct mfg_return *trace, struct mfg_ops *ops,
			       struct ftrace_regs *fregs)
{
	mfg_probe_return(trace, ops, fregs);
	if (trace->func != (unsigned long)mfg_target_leaf && mfg_target_leaf(2) != 3)
		atomic_inc(&container_of(ops, struct mfg_probe, ops)->data_bad);
}

/*
 * Calls a callback makes run untraced and are counted: traced, a return
 * callback calling a traced function would recurse until the stack
 * overflows (return -> callback -> entry -> frame -> return -> ...).
 */
static void mfg_hook_callbacks_run_untraced(struct kunit *test)
{
	unsigned long ips[] = { 0, 0 };
	struct mfg_probe *p;
	struct mfg_stats before, after;

	KUNIT_ASSERT_EQ(test, mfg_func_ip("mfg_target_add", 0, &ips[0]), 0);
	KUNIT_ASSERT_EQ(test, mfg_func_ip("mfg_target_leaf", 0, &ips[1]), 0);
	p = mfg_new_probe(test, ips, 2);
	p->ops.entryfunc = mfg_calling_entry;
	p->ops.retfunc = mfg_calling_return;
	mfg_register_probe(test, p);
	mfg_get_stats(&before);
	KUNIT_EXPECT_EQ(test, mfg_target_add(2, 3), 5);
	mfg_get_stats(&after);
	/* Only the call from the test: not the two from the callbacks. */
	KUNIT_EXPECT_EQ(test, atomic_read(&p->entries), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&p->returns), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&p->data_bad), 0);
	KUNIT_EXPECT_EQ(test, after.misses[MFG_MISS_RECURSION] - before.misses[MFG_MISS_RECURSION],
			2ULL);
	/* Outside a callback the same function is traced as ever. */
	KUNIT_EXPECT_EQ(test, mfg_target_leaf(5), 6);
	KUNIT_EXPECT_EQ(test, atomic_read(&p->entries), 2);
}

/* ------------------------------------------------------------ data attribution */

/*
 * User A reserves data in its entry callback and, right there, an interrupt
 * arrives whose traced call goes to an entry-only user B and a return user
 * C. Neither may get A's open entry or A's data: the data API must know
 * which user's callback runs, not guess it from the frames.
 */
static struct mfg_attr_case {
	struct irq_work work;
	atomic_t ran;
	atomic_t wrong;		/* B or C got something of A's */
	bool armed;
} mfg_attr;

static void mfg_attr_irq(struct irq_work *work)
{
	/* Hard interrupt context, on top of A's entry callback. */
	if (mfg_target_leaf(3) != 4)
		atomic_inc(&mfg_attr.wrong);
	atomic_inc(&mfg_attr.ran);
}

static int mfg_attr_a_entry(const struct mfg_entry *trace, struct mfg_ops *ops,
			    struct ftrace_regs *fregs)
{
	int want = mfg_probe_entry(trace, ops, fregs);
	u64 deadline = local_clock() + 200 * NSEC_PER_MSEC;
	int ran = atomic_read(&mfg_attr.ran);

	if (!READ_ONCE(mfg_attr.armed) || trace->func == (unsigned long)mfg_target_leaf)
		return want;
	/* A self-interrupt, taken while this callback has its entry open. */
	irq_work_queue(&mfg_attr.work);
	while (atomic_read(&mfg_attr.ran) == ran && local_clock() < deadline)
		cpu_relax();
	return want;
}

static int mfg_attr_b_entry(const struct mfg_entry *trace, struct mfg_ops *ops,
			    struct ftrace_regs *fregs)
{
	int size = -1;

	atomic_inc(&container_of(ops, struct mfg_probe, ops)->entries);
	/* Entry-only: no frame of its own, so no data at all. */
	if (mfg_reserve_data(2 * sizeof(long)) || mfg_retrieve_data(&size) ||
	    mfg_retrieve_parent_data(0, &size) || mfg_retrieve_parent_data(1, &size))
		atomic_inc(&mfg_attr.wrong);
	return 0;
}

static void mfg_attr_c_return(const struct mfg_return *trace, struct mfg_ops *ops,
			      struct ftrace_regs *fregs)
{
	int size = -1;

	atomic_inc(&container_of(ops, struct mfg_probe, ops)->returns);
	/* C reserved nothing, here or in A's frame below. */
	if (mfg_retrieve_data(&size) || mfg_retrieve_parent_data(1, &size))
		atomic_inc(&mfg_attr.wrong);
}

static void mfg_hook_data_attribution(struct kunit *test)
{
	unsigned long add = (unsigned long)mfg_target_add, leaf = (unsigned long)mfg_target_leaf;
	struct mfg_probe *a = mfg_new_probe(test, &add, 1);
	struct mfg_probe *b = mfg_new_probe(test, &leaf, 1);
	struct mfg_probe *c = mfg_new_probe(test, &leaf, 1);
	int i, calls = 50;

	memset(&mfg_attr, 0, sizeof(mfg_attr));
	init_irq_work(&mfg_attr.work, mfg_attr_irq);
	a->ops.entryfunc = mfg_attr_a_entry;
	a->reserve_words = 2;
	a->tag = 0x7000;
	b->ops.entryfunc = mfg_attr_b_entry;
	b->ops.retfunc = NULL;
	c->ops.entryfunc = NULL;
	c->ops.retfunc = mfg_attr_c_return;
	mfg_register_probe(test, a);
	mfg_register_probe(test, b);
	mfg_register_probe(test, c);
	WRITE_ONCE(mfg_attr.armed, true);
	for (i = 0; i < calls; i++)
		KUNIT_EXPECT_EQ(test, mfg_target_add(i, 1), i + 1);
	WRITE_ONCE(mfg_attr.armed, false);
	irq_work_sync(&mfg_attr.work);
	kunit_info(test, "%d interrupts inside A's entry callback\n", atomic_read(&mfg_attr.ran));
	KUNIT_EXPECT_EQ(test, atomic_read(&mfg_attr.ran), calls);
	KUNIT_EXPECT_EQ(test, atomic_read(&b->entries), calls);
	KUNIT_EXPECT_EQ(test, atomic_read(&c->returns), calls);
	KUNIT_EXPECT_EQ(test, atomic_read(&mfg_attr.wrong), 0);
	/* A's data came back whole: exactly its 2 words, its values. */
	KUNIT_EXPECT_EQ(test, atomic_read(&a->returns), calls);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->data_bad), 0);
}

/* ------------------------------------------------------------ pause and kill switch */

/* A task with graph tracing paused (suspend does that) pushes no frame. */
static void mfg_hook_graph_pause(struct kunit *test)
{
	unsigned long ip = (unsigned long)mfg_target_add;
	struct mfg_probe *p = mfg_new_probe(test, &ip, 1);
	struct mfg_stats before, after;

	mfg_register_probe(test, p);
	mfg_get_stats(&before);
	pause_graph_tracing();
	KUNIT_EXPECT_EQ(test, mfg_target_add(1, 1), 2);
	unpause_graph_tracing();
	mfg_get_stats(&after);
	KUNIT_EXPECT_EQ(test, atomic_read(&p->entries), 0);
	KUNIT_EXPECT_EQ(test, after.misses[MFG_MISS_PAUSED] - before.misses[MFG_MISS_PAUSED], 1ULL);
	KUNIT_EXPECT_EQ(test, mfg_target_add(1, 1), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&p->entries), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&p->returns), 1);
}

static int mfg_corrupting_entry(const struct mfg_entry *trace, struct mfg_ops *ops,
				struct ftrace_regs *fregs)
{
	unsigned long *data = mfg_reserve_data(sizeof(long));

	atomic_inc(&container_of(ops, struct mfg_probe, ops)->entries);
	/* The word before the data is this user's index entry: break it. */
	if (data)
		data[-1] = 0x1234;
	return 1;
}

/*
 * A corrupt shadow frame stops all tracing for good, as the kernel's graph
 * tracer does on an inconsistency: the frame still returns where it must,
 * no callback gets garbage, later calls run untraced, registration fails
 * with -EIO until mfgraph is reloaded (here: revived by the test hook).
 */
static void mfg_hook_kill_switch(struct kunit *test)
{
	unsigned long ip = (unsigned long)mfg_target_add;
	struct mfg_probe *p = mfg_new_probe(test, &ip, 1);
	struct mfg_probe *late = mfg_new_probe(test, &ip, 1);

	p->ops.entryfunc = mfg_corrupting_entry;
	KUNIT_ASSERT_EQ(test, mfg_register(&p->ops), 0);
	KUNIT_EXPECT_EQ(test, mfg_target_add(2, 2), 4);
	KUNIT_EXPECT_EQ(test, atomic_read(&p->entries), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&p->returns), 0);
	KUNIT_EXPECT_EQ(test, mfg_target_add(3, 3), 6);
	KUNIT_EXPECT_EQ(test, atomic_read(&p->entries), 1);
	KUNIT_EXPECT_EQ(test, mfg_register(&late->ops), -EIO);
	mfg_unregister(&p->ops);
	mfg_free_filter(&p->ops);
	KUNIT_EXPECT_EQ(test, mfg_test_revive(), 0);
	mfg_register_probe(test, late);
	KUNIT_EXPECT_EQ(test, mfg_target_add(1, 1), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&late->returns), 1);
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
	KUNIT_CASE(mfg_hook_unregister_in_flight),
	KUNIT_CASE(mfg_hook_stack_trace_in_return),
	KUNIT_CASE(mfg_hook_stack_trace_nested),
	KUNIT_CASE(mfg_hook_irq_nesting),
	KUNIT_CASE(mfg_hook_nmi_nesting),
	KUNIT_CASE(mfg_hook_callbacks_run_untraced),
	KUNIT_CASE(mfg_hook_data_attribution),
	KUNIT_CASE(mfg_hook_graph_pause),
	KUNIT_CASE(mfg_hook_kill_switch),
	KUNIT_CASE(mfg_hook_task_exit_frees_stack),
	KUNIT_CASE(mfg_hook_task_reuse_gets_fresh_stack),
	KUNIT_CASE_SLOW(mfg_hook_stress),
	{}
};

static struct kunit_suite mfg_hook_suite = {
	.name = "mfgraph_hook",
	.test_cases = mfg_hook_cases,
};

kunit_test_suite(mfg_hook_suite);

MFG_IMPORT_INTERNAL();
MODULE_DESCRIPTION("mfgraph: KUnit suite for live hooking");
MODULE_LICENSE("GPL");
