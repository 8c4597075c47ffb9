// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "mfgraph_kretprobe": mfg_kretprobe against the scenarios the
 * kernel checks of its own kretprobes (a probe with entry and return
 * handlers, a batch on two functions, stack traces from a return handler,
 * the nested case), and what the mfgraph design adds: several probes on one
 * function with inline and pooled instances, no misses for inline probes
 * under any concurrency next to the kernel's kretprobe, no stale returns,
 * no pool kept once no call can give its instances back, and a miss counted
 * for every call mfgraph had no frame for.
 */
#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/sched/task_stack.h>
#include <linux/stacktrace.h>

#include <mfgraph.h>
#include <mfg_kretprobe.h>

#include "krp_targets.h"
#include "test_util.h"

#define KRP_MAGIC 0x6b72707275ULL

static bool krp_on_current_stack(unsigned long sp)
{
	unsigned long base = (unsigned long)task_stack_page(current);

	return sp >= base && sp < base + THREAD_SIZE;
}

/* ------------------------------------------------------------ one probe */

static atomic_t krp_entries, krp_returns, krp_bad;
static unsigned long krp_last_ret_addr, krp_last_retval;

static int krp_entry(struct mfg_kretprobe_instance *ri, struct pt_regs *regs)
{
	*(u64 *)ri->data = KRP_MAGIC + regs_get_kernel_argument(regs, 0);
	atomic_inc(&krp_entries);
	return 0;
}

static int krp_return(struct mfg_kretprobe_instance *ri, struct pt_regs *regs)
{
	unsigned long arg = *(u64 *)ri->data - KRP_MAGIC;

	if (regs_return_value(regs) != 2 * arg + 1 || instruction_pointer(regs) != ri->ret_addr ||
	    ri->task != current || !krp_on_current_stack(kernel_stack_pointer(regs)))
		atomic_inc(&krp_bad);
	krp_last_ret_addr = instruction_pointer(regs);
	krp_last_retval = regs_return_value(regs);
	atomic_inc(&krp_returns);
	return 0;
}

static void krp_reset(void)
{
	atomic_set(&krp_entries, 0);
	atomic_set(&krp_returns, 0);
	atomic_set(&krp_bad, 0);
}

static void krp_single(struct kunit *test)
{
	struct mfg_kretprobe rp = {
		.symbol_name = "krp_target_value",
		.handler = krp_return,
		.entry_handler = krp_entry,
		.data_size = sizeof(u64),
	};

	krp_reset();
	KUNIT_ASSERT_EQ(test, mfg_register_kretprobe(&rp), 0);
	KUNIT_EXPECT_EQ(test, krp_target_value(20), 41);
	mfg_unregister_kretprobe(&rp);
	KUNIT_EXPECT_EQ(test, atomic_read(&krp_entries), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&krp_returns), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&krp_bad), 0);
	KUNIT_EXPECT_EQ(test, krp_last_retval, 41UL);
	KUNIT_EXPECT_TRUE(test, mfg_test_symbol_is(krp_last_ret_addr, "krp_single"));
	KUNIT_EXPECT_EQ(test, rp.nmissed, 0);
	/* Unregistered: nothing more. */
	krp_target_value(1);
	KUNIT_EXPECT_EQ(test, atomic_read(&krp_entries), 1);
}

/* ------------------------------------------------------------ a batch */

static atomic_t krp_other_returns;

static int krp_other_return(struct mfg_kretprobe_instance *ri, struct pt_regs *regs)
{
	if (regs_return_value(regs) == 3)
		atomic_inc(&krp_other_returns);
	return 0;
}

static void krp_batch(struct kunit *test)
{
	struct mfg_kretprobe a = {
		.symbol_name = "krp_target_value", .handler = krp_return,
		.entry_handler = krp_entry, .data_size = sizeof(u64),
	};
	struct mfg_kretprobe b = { .addr = krp_target_other, .handler = krp_other_return };
	struct mfg_kretprobe bad = { .symbol_name = "krp_no_such_target", .handler = krp_return };
	struct mfg_kretprobe *rps[] = { &a, &b, &bad };

	krp_reset();
	atomic_set(&krp_other_returns, 0);
	/* All or nothing: the third fails, so the first two are not left behind. */
	KUNIT_EXPECT_EQ(test, mfg_register_kretprobes(rps, 3), -ENOENT);
	krp_target_value(1);
	krp_target_other(10);
	KUNIT_EXPECT_EQ(test, atomic_read(&krp_entries), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&krp_other_returns), 0);

	KUNIT_ASSERT_EQ(test, mfg_register_kretprobes(rps, 2), 0);
	KUNIT_EXPECT_EQ(test, krp_target_value(2), 5);
	KUNIT_EXPECT_EQ(test, krp_target_other(10), 3);
	mfg_unregister_kretprobes(rps, 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&krp_returns), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&krp_other_returns), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&krp_bad), 0);
}

/* ------------------------------------------------------------ stack traces */

#define KRP_TRACE 32

static unsigned long krp_trace[KRP_TRACE];
static unsigned int krp_trace_n;
static unsigned long krp_outer_ret, krp_inner_ret;
static atomic_t krp_trace_calls;

static int krp_trace_return(struct mfg_kretprobe_instance *ri, struct pt_regs *regs)
{
	krp_inner_ret = ri->ret_addr;
	krp_trace_n = stack_trace_save(krp_trace, KRP_TRACE, 0);
	atomic_inc(&krp_trace_calls);
	return 0;
}

static bool krp_trace_has(unsigned long addr)
{
	unsigned int i;

	for (i = 0; i < krp_trace_n; i++)
		if (krp_trace[i] == addr)
			return true;
	return false;
}

static void krp_stacktrace(struct kunit *test)
{
	struct mfg_kretprobe rp = {
		.symbol_name = "krp_target_value", .handler = krp_trace_return,
	};

	atomic_set(&krp_trace_calls, 0);
	KUNIT_ASSERT_EQ(test, mfg_register_kretprobe(&rp), 0);
	krp_target_value(3);
	mfg_unregister_kretprobe(&rp);
	KUNIT_EXPECT_EQ(test, atomic_read(&krp_trace_calls), 1);
	/* The probed function's real return address, not the trampoline's. */
	KUNIT_EXPECT_TRUE(test, mfg_test_symbol_is(krp_inner_ret, "krp_stacktrace"));
	KUNIT_EXPECT_TRUE(test, krp_trace_has(krp_inner_ret));
}

static int krp_return_nop(struct mfg_kretprobe_instance *ri, struct pt_regs *regs);

static int krp_outer_entry(struct mfg_kretprobe_instance *ri, struct pt_regs *regs)
{
	krp_outer_ret = ri->ret_addr;
	return 0;
}

static int krp_nested_return(struct mfg_kretprobe_instance *ri, struct pt_regs *regs)
{
	krp_inner_ret = ri->ret_addr;
	/* The outer call's return address is still swapped at this point. */
	krp_trace_n = mfg_stack_trace_save(krp_trace, KRP_TRACE, 0);
	atomic_inc(&krp_trace_calls);
	return 0;
}

static int krp_return_nop(struct mfg_kretprobe_instance *ri, struct pt_regs *regs)
{
	return 0;
}

static int krp_nop(void *arg)
{
	return 0;
}

static void krp_stacktrace_nested(struct kunit *test)
{
	struct mfg_kretprobe outer = {
		.symbol_name = "krp_target_outer", .entry_handler = krp_outer_entry,
		.handler = krp_return_nop,
	};
	struct mfg_kretprobe inner = {
		.symbol_name = "krp_target_inner", .handler = krp_nested_return,
	};

	atomic_set(&krp_trace_calls, 0);
	KUNIT_ASSERT_EQ(test, mfg_register_kretprobe(&outer), 0);
	KUNIT_ASSERT_EQ(test, mfg_register_kretprobe(&inner), 0);
	KUNIT_EXPECT_EQ(test, krp_target_outer(krp_nop, NULL), 2);
	mfg_unregister_kretprobe(&inner);
	mfg_unregister_kretprobe(&outer);
	KUNIT_EXPECT_EQ(test, atomic_read(&krp_trace_calls), 1);
	KUNIT_EXPECT_TRUE(test, mfg_test_symbol_is(krp_inner_ret, "krp_target_outer"));
	KUNIT_EXPECT_TRUE(test, mfg_test_symbol_is(krp_outer_ret, "krp_stacktrace_nested"));
	KUNIT_EXPECT_TRUE(test, krp_trace_has(krp_inner_ret));
	KUNIT_EXPECT_TRUE(test, krp_trace_has(krp_outer_ret));
}

/* ------------------------------------------------------------ several probes, one function */

struct krp_multi {
	struct mfg_kretprobe rp;
	u8 fill;
	int skip;			/* entry handler answer */
	atomic_t entries;
	atomic_t returns;
	atomic_t bad;
};

static int krp_multi_entry(struct mfg_kretprobe_instance *ri, struct pt_regs *regs)
{
	struct krp_multi *m = container_of(ri->rp, struct krp_multi, rp);

	memset(ri->data, m->fill, m->rp.data_size);
	atomic_inc(&m->entries);
	return m->skip;
}

static int krp_multi_return(struct mfg_kretprobe_instance *ri, struct pt_regs *regs)
{
	struct krp_multi *m = container_of(ri->rp, struct krp_multi, rp);
	size_t i;

	for (i = 0; i < m->rp.data_size; i++)
		if ((u8)ri->data[i] != m->fill)
			atomic_inc(&m->bad);
	if (regs_return_value(regs) != 2 * 5 + 1)
		atomic_inc(&m->bad);
	atomic_inc(&m->returns);
	return 0;
}

static void krp_several_on_one(struct kunit *test)
{
	static const size_t sizes[] = { 8, 48, 200, 16 };
	struct krp_multi *m = kunit_kcalloc(test, ARRAY_SIZE(sizes), sizeof(*m), GFP_KERNEL);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, m);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		m[i].rp.symbol_name = "krp_target_value";
		m[i].rp.entry_handler = krp_multi_entry;
		m[i].rp.handler = krp_multi_return;
		m[i].rp.data_size = sizes[i];
		m[i].fill = 0x11 * (i + 1);
		/* The last one skips every return from its entry handler. */
		m[i].skip = i == 3;
		KUNIT_ASSERT_EQ(test, mfg_register_kretprobe(&m[i].rp), 0);
	}
	/* 8 and 48 bytes live on the shadow stack; 200 bytes need the pool. */
	KUNIT_EXPECT_TRUE(test, m[0].rp.inline_instance);
	KUNIT_EXPECT_TRUE(test, m[1].rp.inline_instance);
	KUNIT_EXPECT_FALSE(test, m[2].rp.inline_instance);

	KUNIT_EXPECT_EQ(test, krp_target_value(5), 11);
	KUNIT_EXPECT_EQ(test, mfg_disable_kretprobe(&m[1].rp), 0);
	KUNIT_EXPECT_EQ(test, krp_target_value(5), 11);
	KUNIT_EXPECT_EQ(test, mfg_enable_kretprobe(&m[1].rp), 0);
	KUNIT_EXPECT_EQ(test, krp_target_value(5), 11);
	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		mfg_unregister_kretprobe(&m[i].rp);

	KUNIT_EXPECT_EQ(test, atomic_read(&m[0].returns), 3);
	KUNIT_EXPECT_EQ(test, atomic_read(&m[1].entries), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&m[1].returns), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&m[2].returns), 3);
	KUNIT_EXPECT_EQ(test, atomic_read(&m[3].entries), 3);
	KUNIT_EXPECT_EQ(test, atomic_read(&m[3].returns), 0);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		KUNIT_EXPECT_EQ_MSG(test, atomic_read(&m[i].bad), 0, "probe %d", i);
		KUNIT_EXPECT_EQ_MSG(test, m[i].rp.nmissed, 0, "probe %d", i);
	}
}

/* ------------------------------------------------------------ concurrency */

struct krp_race {
	atomic_t stop;
	atomic_t running;
	atomic_t calls;
	atomic_t ours, ours_bad;
	atomic_t kernels, kernels_bad;
};

static struct krp_race *krp_race_now;

static int krp_race_entry(struct mfg_kretprobe_instance *ri, struct pt_regs *regs)
{
	*(long *)ri->data = regs_get_kernel_argument(regs, 0);
	return 0;
}

static int krp_race_return(struct mfg_kretprobe_instance *ri, struct pt_regs *regs)
{
	struct krp_race *r = READ_ONCE(krp_race_now);

	if (!r)
		return 0;
	atomic_inc(&r->ours);
	if ((int)regs_return_value(regs) != 3 * (int)*(long *)ri->data)
		atomic_inc(&r->ours_bad);
	return 0;
}

static int krp_kernel_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	*(long *)ri->data = regs_get_kernel_argument(regs, 0);
	return 0;
}

static int krp_kernel_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct krp_race *r = READ_ONCE(krp_race_now);

	if (!r)
		return 0;
	atomic_inc(&r->kernels);
	if ((int)regs_return_value(regs) != 3 * (int)*(long *)ri->data)
		atomic_inc(&r->kernels_bad);
	return 0;
}

static int krp_race_worker(void *arg)
{
	struct krp_race *r = arg;
	int i = 0;

	while (!atomic_read(&r->stop)) {
		if (krp_target_nap(i) != 3 * i)
			atomic_inc(&r->ours_bad);
		atomic_inc(&r->calls);
		i++;
	}
	atomic_dec(&r->running);
	return 0;
}

static void krp_concurrency(struct kunit *test)
{
	struct mfg_kretprobe ours = {
		.symbol_name = "krp_target_nap", .entry_handler = krp_race_entry,
		.handler = krp_race_return, .data_size = sizeof(long),
	};
	struct kretprobe *kernels = kunit_kzalloc(test, sizeof(*kernels), GFP_KERNEL);
	struct krp_race *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	int threads = 16 * num_online_cpus(), i, started = 0;

	KUNIT_ASSERT_NOT_NULL(test, kernels);
	KUNIT_ASSERT_NOT_NULL(test, r);
	kernels->kp.symbol_name = "krp_target_nap";
	kernels->entry_handler = krp_kernel_entry;
	kernels->handler = krp_kernel_return;
	kernels->data_size = sizeof(long);
	/* maxactive 0: the kernel's default, max(10, 2 x possible CPUs). */
	KUNIT_ASSERT_EQ(test, register_kretprobe(kernels), 0);
	KUNIT_ASSERT_EQ(test, mfg_register_kretprobe(&ours), 0);
	KUNIT_EXPECT_TRUE(test, ours.inline_instance);
	WRITE_ONCE(krp_race_now, r);
	for (i = 0; i < threads; i++) {
		struct task_struct *t = kthread_create(krp_race_worker, r, "krp_race/%d", i);

		if (IS_ERR(t))
			break;
		kthread_bind(t, i % num_online_cpus());
		atomic_inc(&r->running);
		wake_up_process(t);
		started++;
	}
	msleep(3000);
	atomic_set(&r->stop, 1);
	while (atomic_read(&r->running))
		msleep(20);
	mfg_unregister_kretprobe(&ours);
	unregister_kretprobe(kernels);
	WRITE_ONCE(krp_race_now, NULL);

	kunit_info(test, "%d threads, %d calls; mfg_kretprobe: %d returns, %d missed; kretprobe (maxactive %d): %d returns, %d missed\n",
		   started, atomic_read(&r->calls), atomic_read(&r->ours), ours.nmissed,
		   kernels->maxactive, atomic_read(&r->kernels), kernels->nmissed);
	KUNIT_EXPECT_EQ(test, started, threads);
	/*
	 * The kernel's kretprobe, with far more calls in flight than its
	 * instances, is here for comparison only (its misses are printed
	 * above): how it fares is the kernel's business, not ours. The
	 * inline probe never runs out of instances: every call is delivered
	 * or counted. Only a thread's first traced call can
	 * miss, when 32 threads starting at once empty their CPU's pool of
	 * shadow stacks before the refill comes: at most one per thread.
	 */
	KUNIT_EXPECT_EQ(test, atomic_read(&r->ours) + ours.nmissed, atomic_read(&r->calls));
	KUNIT_EXPECT_LE(test, ours.nmissed, started);
	KUNIT_EXPECT_EQ(test, atomic_read(&r->ours_bad), 0);
	/* What the kernel's probe saw next to ours is right, though. */
	KUNIT_EXPECT_EQ(test, atomic_read(&r->kernels_bad), 0);
}

/* ------------------------------------------------------------ calls in flight */

struct krp_sleeper {
	struct completion wake, done;
	int result;
};

static int krp_sleeper_fn(void *arg)
{
	struct krp_sleeper *s = arg;

	s->result = krp_target_wait(&s->wake);
	complete(&s->done);
	return 0;
}

static atomic_t krp_wait_entries, krp_wait_returns;

static int krp_wait_entry(struct mfg_kretprobe_instance *ri, struct pt_regs *regs)
{
	atomic_inc(&krp_wait_entries);
	return 0;
}

static int krp_wait_return(struct mfg_kretprobe_instance *ri, struct pt_regs *regs)
{
	atomic_inc(&krp_wait_returns);
	return 0;
}

/* A pooled probe on krp_target_wait. */
static void krp_wait_probe(struct mfg_kretprobe *rp)
{
	memset(rp, 0, sizeof(*rp));
	rp->symbol_name = "krp_target_wait";
	rp->entry_handler = krp_wait_entry;
	rp->handler = krp_wait_return;
	rp->data_size = 300;
	atomic_set(&krp_wait_entries, 0);
	atomic_set(&krp_wait_returns, 0);
}

/* A thread asleep in krp_target_wait(), once @entries counted its entry. */
static struct krp_sleeper *krp_start_sleeper_counted_by(struct kunit *test, atomic_t *entries)
{
	struct krp_sleeper *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	struct task_struct *t;

	KUNIT_ASSERT_NOT_NULL(test, s);
	init_completion(&s->wake);
	init_completion(&s->done);
	t = kthread_run(krp_sleeper_fn, s, "krp_sleeper");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	KUNIT_ASSERT_TRUE(test, mfg_test_wait_for(entries, 1));
	return s;
}

/* A thread asleep in krp_target_wait(), its entry seen by a registered probe. */
static struct krp_sleeper *krp_start_sleeper(struct kunit *test)
{
	struct krp_sleeper *s = krp_start_sleeper_counted_by(test, &krp_wait_entries);

	KUNIT_ASSERT_EQ(test, atomic_read(&krp_wait_entries), 1);
	return s;
}

static void krp_finish_sleeper(struct krp_sleeper *s)
{
	complete(&s->wake);
	wait_for_completion(&s->done);
}

/*
 * Expect mfg_kretprobe to hold @npools pools beyond those of @base, of
 * which @nretired are retired; with no pool beyond, no instance either.
 */
static void krp_expect_pools(struct kunit *test, const struct mfg_kretprobe_stats *base,
			     unsigned int npools, unsigned int nretired, const char *when)
{
	struct mfg_kretprobe_stats st;

	mfg_kretprobe_get_stats(&st);
	KUNIT_EXPECT_EQ_MSG(test, st.pools, base->pools + npools, "pools %s", when);
	KUNIT_EXPECT_EQ_MSG(test, st.retired_pools, base->retired_pools + nretired,
			    "retired pools %s", when);
	if (!npools)
		KUNIT_EXPECT_EQ_MSG(test, st.instances, base->instances, "instances %s", when);
}

static void krp_unregister_in_flight(struct kunit *test)
{
	struct mfg_kretprobe rp;
	struct mfg_kretprobe_stats base;
	struct krp_sleeper *s;

	mfg_kretprobe_get_stats(&base);
	krp_wait_probe(&rp);
	KUNIT_ASSERT_EQ(test, mfg_register_kretprobe(&rp), 0);
	KUNIT_EXPECT_FALSE(test, rp.inline_instance);
	krp_expect_pools(test, &base, 1, 0, "when registered");
	s = krp_start_sleeper(test);
	/*
	 * The last probe goes while the call sleeps: the call's return can
	 * never come back to mfg_kretprobe, so its instance and pool go now.
	 */
	mfg_unregister_kretprobe(&rp);
	krp_expect_pools(test, &base, 0, 0, "once unregistered with a call in flight");
	/* The same probe comes back. */
	KUNIT_ASSERT_EQ(test, mfg_register_kretprobe(&rp), 0);
	krp_expect_pools(test, &base, 1, 0, "when registered again");
	krp_finish_sleeper(s);
	mfg_unregister_kretprobe(&rp);
	KUNIT_EXPECT_EQ(test, s->result, 99);
	/* Neither the old registration nor the new one saw that return. */
	KUNIT_EXPECT_EQ(test, atomic_read(&krp_wait_returns), 0);
	krp_expect_pools(test, &base, 0, 0, "at the end");
}

/*
 * Another probe keeps mfg_kretprobe's mfgraph user registered: the old
 * call's return does come back, and must reach neither registration of the
 * probe, and give its instance back so that the old pool goes.
 */
static void krp_unregister_in_flight_others(struct kunit *test)
{
	struct mfg_kretprobe keeper = {
		.symbol_name = "krp_target_value", .handler = krp_return_nop,
	};
	struct mfg_kretprobe rp;
	struct mfg_kretprobe_stats base;
	struct completion done;
	struct krp_sleeper *s;

	mfg_kretprobe_get_stats(&base);
	KUNIT_ASSERT_EQ(test, mfg_register_kretprobe(&keeper), 0);
	krp_wait_probe(&rp);
	KUNIT_ASSERT_EQ(test, mfg_register_kretprobe(&rp), 0);
	s = krp_start_sleeper(test);
	mfg_unregister_kretprobe(&rp);
	/* Kept for the call in flight. */
	krp_expect_pools(test, &base, 1, 1, "kept for the call in flight");
	KUNIT_ASSERT_EQ(test, mfg_register_kretprobe(&rp), 0);
	krp_expect_pools(test, &base, 2, 1, "when registered again");
	krp_finish_sleeper(s);
	KUNIT_EXPECT_EQ(test, s->result, 99);
	KUNIT_EXPECT_EQ(test, atomic_read(&krp_wait_returns), 0);
	/* The old call's instance came back: its pool is gone. */
	krp_expect_pools(test, &base, 1, 0, "once the old call returned");
	/* The new registration works, its instance comes and goes. */
	init_completion(&done);
	complete(&done);
	KUNIT_EXPECT_EQ(test, krp_target_wait(&done), 99);
	KUNIT_EXPECT_EQ(test, atomic_read(&krp_wait_returns), 1);
	mfg_unregister_kretprobe(&rp);
	mfg_unregister_kretprobe(&keeper);
	krp_expect_pools(test, &base, 0, 0, "at the end");
}

/*
 * The probe goes with a call in flight while another probe keeps the user
 * registered, then that one goes too: the return can no longer come back,
 * and the kept pool must go with the last probe.
 */
static void krp_unregister_all_in_flight(struct kunit *test)
{
	struct mfg_kretprobe keeper = {
		.symbol_name = "krp_target_value", .handler = krp_return_nop,
	};
	struct mfg_kretprobe rp;
	struct mfg_kretprobe_stats base;
	struct krp_sleeper *s;

	mfg_kretprobe_get_stats(&base);
	KUNIT_ASSERT_EQ(test, mfg_register_kretprobe(&keeper), 0);
	krp_wait_probe(&rp);
	KUNIT_ASSERT_EQ(test, mfg_register_kretprobe(&rp), 0);
	s = krp_start_sleeper(test);
	mfg_unregister_kretprobe(&rp);
	krp_expect_pools(test, &base, 1, 1, "kept for the call in flight");
	mfg_unregister_kretprobe(&keeper);
	krp_expect_pools(test, &base, 0, 0, "once the last probe went");
	krp_finish_sleeper(s);
	KUNIT_EXPECT_EQ(test, s->result, 99);
	KUNIT_EXPECT_EQ(test, atomic_read(&krp_wait_returns), 0);
	krp_expect_pools(test, &base, 0, 0, "at the end");
}

/*
 * mfg_kretprobe's own stale filter: a return is delivered only to the
 * probes whose serial its record names and that are still on the
 * function. The cases above take the function's last probe away (or
 * bring it back as a new function); here the function keeps a probe, so
 * the old call's return finds the function with probes on it, and only the
 * serials tell which of them saw its entry.
 */
struct krp_counted {
	struct mfg_kretprobe rp;
	atomic_t entries, returns;
};

static int krp_counted_entry(struct mfg_kretprobe_instance *ri, struct pt_regs *regs)
{
	atomic_inc(&container_of(ri->rp, struct krp_counted, rp)->entries);
	return 0;
}

static int krp_counted_return(struct mfg_kretprobe_instance *ri, struct pt_regs *regs)
{
	atomic_inc(&container_of(ri->rp, struct krp_counted, rp)->returns);
	return 0;
}

static void krp_counted_init(struct krp_counted *c, size_t data_size)
{
	memset(c, 0, sizeof(*c));
	c->rp.symbol_name = "krp_target_wait";
	c->rp.entry_handler = krp_counted_entry;
	c->rp.handler = krp_counted_return;
	c->rp.data_size = data_size;
}

/* A thread asleep in krp_target_wait(), its entry seen by @c. */
static struct krp_sleeper *krp_start_counted_sleeper(struct kunit *test, struct krp_counted *c)
{
	return krp_start_sleeper_counted_by(test, &c->entries);
}

/* Two probes on one function, one inline and one pooled; @leave goes mid-call. */
static void krp_one_of_two_in_flight(struct kunit *test, bool pooled_leaves)
{
	struct krp_counted *stay = kunit_kzalloc(test, sizeof(*stay), GFP_KERNEL);
	struct krp_counted *leave = kunit_kzalloc(test, sizeof(*leave), GFP_KERNEL);
	struct mfg_kretprobe_stats base;
	struct completion done;
	struct krp_sleeper *s;

	KUNIT_ASSERT_NOT_NULL(test, stay);
	KUNIT_ASSERT_NOT_NULL(test, leave);
	mfg_kretprobe_get_stats(&base);
	krp_counted_init(stay, pooled_leaves ? 8 : 300);
	krp_counted_init(leave, pooled_leaves ? 300 : 8);
	KUNIT_ASSERT_EQ(test, mfg_register_kretprobe(&stay->rp), 0);
	KUNIT_ASSERT_EQ(test, mfg_register_kretprobe(&leave->rp), 0);
	KUNIT_EXPECT_EQ(test, leave->rp.inline_instance, !pooled_leaves);
	s = krp_start_counted_sleeper(test, leave);
	KUNIT_EXPECT_EQ(test, atomic_read(&stay->entries), 1);
	mfg_unregister_kretprobe(&leave->rp);
	krp_expect_pools(test, &base, 1, pooled_leaves, "one probe gone, its call in flight");
	krp_finish_sleeper(s);
	KUNIT_EXPECT_EQ(test, s->result, 99);
	/* The probe that stayed got its return; the one that went did not. */
	KUNIT_EXPECT_EQ(test, atomic_read(&stay->returns), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&leave->returns), 0);
	krp_expect_pools(test, &base, !pooled_leaves, 0, "once the call returned");
	/* The function still works for the probe that stayed. */
	init_completion(&done);
	complete(&done);
	KUNIT_EXPECT_EQ(test, krp_target_wait(&done), 99);
	KUNIT_EXPECT_EQ(test, atomic_read(&stay->returns), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&leave->entries), 1);
	mfg_unregister_kretprobe(&stay->rp);
	krp_expect_pools(test, &base, 0, 0, "at the end");
}

static void krp_one_of_two_in_flight_pooled(struct kunit *test)
{
	krp_one_of_two_in_flight(test, true);
}

static void krp_one_of_two_in_flight_inline(struct kunit *test)
{
	krp_one_of_two_in_flight(test, false);
}

/*
 * The same structure is registered again on the same function while its
 * old call sleeps, and another probe kept the function all along: the old
 * return must reach the probe that stayed and not the new registration,
 * although it finds a probe at the same address on the same function.
 */
static void krp_reregistered_in_flight(struct kunit *test)
{
	struct krp_counted *stay = kunit_kzalloc(test, sizeof(*stay), GFP_KERNEL);
	struct krp_counted *again = kunit_kzalloc(test, sizeof(*again), GFP_KERNEL);
	struct mfg_kretprobe_stats base;
	struct completion done;
	struct krp_sleeper *s;

	KUNIT_ASSERT_NOT_NULL(test, stay);
	KUNIT_ASSERT_NOT_NULL(test, again);
	mfg_kretprobe_get_stats(&base);
	krp_counted_init(stay, 8);
	krp_counted_init(again, 8);
	KUNIT_ASSERT_EQ(test, mfg_register_kretprobe(&stay->rp), 0);
	KUNIT_ASSERT_EQ(test, mfg_register_kretprobe(&again->rp), 0);
	s = krp_start_counted_sleeper(test, again);
	mfg_unregister_kretprobe(&again->rp);
	KUNIT_ASSERT_EQ(test, mfg_register_kretprobe(&again->rp), 0);
	krp_finish_sleeper(s);
	KUNIT_EXPECT_EQ(test, s->result, 99);
	KUNIT_EXPECT_EQ(test, atomic_read(&stay->returns), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&again->returns), 0);
	/* Its new registration sees its own calls. */
	init_completion(&done);
	complete(&done);
	KUNIT_EXPECT_EQ(test, krp_target_wait(&done), 99);
	KUNIT_EXPECT_EQ(test, atomic_read(&again->entries), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&again->returns), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&stay->returns), 2);
	mfg_unregister_kretprobe(&again->rp);
	mfg_unregister_kretprobe(&stay->rp);
	krp_expect_pools(test, &base, 0, 0, "at the end");
}

/* ------------------------------------------------------------ misses */

static atomic_t krp_deep_entries, krp_deep_returns;

static int krp_deep_entry(struct mfg_kretprobe_instance *ri, struct pt_regs *regs)
{
	atomic_inc(&krp_deep_entries);
	return 0;
}

static int krp_deep_return(struct mfg_kretprobe_instance *ri, struct pt_regs *regs)
{
	atomic_inc(&krp_deep_returns);
	return 0;
}

static void krp_filler_return(const struct mfg_return *trace, struct mfg_ops *ops,
			      struct ftrace_regs *fregs)
{
}

/*
 * Recursion deeper than the shadow stack holds: the calls that got no frame
 * ran untraced, and nmissed counts each of them, as the kernel's kretprobe
 * counts a call it could not probe. A second mfgraph user wants every
 * return too, so frames keep coming after the probe's own data no longer
 * fits, until mfgraph has no room for a frame at all.
 */
static void krp_nmissed_no_frame(struct kunit *test)
{
	struct mfg_kretprobe rp = {
		.symbol_name = "krp_target_recurse", .entry_handler = krp_deep_entry,
		.handler = krp_deep_return, .data_size = sizeof(u64),
	};
	struct mfg_ops *filler = kunit_kzalloc(test, sizeof(*filler), GFP_KERNEL);
	struct mfg_core_info info;
	int calls;

	KUNIT_ASSERT_NOT_NULL(test, filler);
	filler->retfunc = krp_filler_return;
	mfg_get_core_info(&info);
	/* A frame holds at least its header: never more than max_depth frames. */
	calls = info.max_depth + 16;
	atomic_set(&krp_deep_entries, 0);
	atomic_set(&krp_deep_returns, 0);
	KUNIT_ASSERT_EQ(test, mfg_set_filter(filler, "krp_target_recurse", true), 0);
	KUNIT_ASSERT_EQ(test, mfg_register(filler), 0);
	KUNIT_ASSERT_EQ(test, mfg_register_kretprobe(&rp), 0);
	KUNIT_EXPECT_TRUE(test, rp.inline_instance);
	KUNIT_EXPECT_EQ(test, krp_target_recurse(calls - 1), calls);
	mfg_unregister_kretprobe(&rp);
	mfg_unregister(filler);
	mfg_free_filter(filler);
	kunit_info(test, "%d calls, max_depth %u: %d entries, %d returns, %d missed\n", calls,
		   info.max_depth, atomic_read(&krp_deep_entries),
		   atomic_read(&krp_deep_returns), rp.nmissed);
	KUNIT_EXPECT_GT(test, rp.nmissed, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&krp_deep_entries) + rp.nmissed, calls);
	KUNIT_EXPECT_EQ(test, atomic_read(&krp_deep_returns), atomic_read(&krp_deep_entries));
}

/* ------------------------------------------------------------ bad input */

static void krp_bad_input(struct kunit *test)
{
	/* Static: seven probes would not fit a kernel stack frame under KASAN. */
	static struct mfg_kretprobe rp = {
		.symbol_name = "krp_target_value", .handler = krp_return_nop,
	};
	static struct mfg_kretprobe unknown = {
		.symbol_name = "krp_no_such_function", .handler = krp_return_nop,
	};
	static struct mfg_kretprobe untraceable = {
		.symbol_name = "mfg_register", .handler = krp_return_nop,
	};
	static struct mfg_kretprobe offset = { .symbol_name = "krp_target_value", .offset = 4,
					.handler = krp_return_nop };
	static struct mfg_kretprobe no_handler = { .symbol_name = "krp_target_value" };
	static struct mfg_kretprobe both = {
		.symbol_name = "krp_target_value", .addr = krp_target_value,
		.handler = krp_return_nop,
	};
	static struct mfg_kretprobe neither = { .handler = krp_return_nop };

	KUNIT_EXPECT_EQ(test, mfg_register_kretprobe(NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, mfg_register_kretprobe(&unknown), -ENOENT);
	KUNIT_EXPECT_EQ(test, mfg_register_kretprobe(&untraceable), -EINVAL);
	KUNIT_EXPECT_EQ(test, mfg_register_kretprobe(&offset), -EINVAL);
	KUNIT_EXPECT_EQ(test, mfg_register_kretprobe(&no_handler), -EINVAL);
	KUNIT_EXPECT_EQ(test, mfg_register_kretprobe(&both), -EINVAL);
	KUNIT_EXPECT_EQ(test, mfg_register_kretprobe(&neither), -EINVAL);
	KUNIT_ASSERT_EQ(test, mfg_register_kretprobe(&rp), 0);
	KUNIT_EXPECT_EQ(test, mfg_register_kretprobe(&rp), -EBUSY);
	mfg_unregister_kretprobe(&rp);
	KUNIT_EXPECT_EQ(test, mfg_disable_kretprobe(&rp), -EINVAL);
	KUNIT_EXPECT_EQ(test, mfg_enable_kretprobe(&rp), -EINVAL);
}

/* ------------------------------------------------------------ maxactive */

/*
 * Wait until @rp counted @calls calls of krp_target_wait() since
 * krp_wait_probe(): each either got an instance (an entry) or missed.
 */
static bool krp_wait_counted(struct mfg_kretprobe *rp, int calls)
{
	int i;

	for (i = 0; i < 500; i++) {
		if (atomic_read(&krp_wait_entries) + READ_ONCE(rp->nmissed) >= calls)
			return true;
		msleep(20);
	}
	return false;
}

/*
 * Round @round of a crowd: @n + @k sleepers inside krp_target_wait() at
 * once, released together. A pool of @n instances serves @n of them and
 * misses @k; what was counted before this round is (@round - 1) times that.
 */
static void krp_crowd_round(struct kunit *test, struct mfg_kretprobe *rp, int n, int k, int round)
{
	struct krp_sleeper **s = kunit_kcalloc(test, n + k, sizeof(*s), GFP_KERNEL);
	int i, missed, ok = 0;

	KUNIT_ASSERT_NOT_NULL(test, s);
	for (i = 0; i < n + k; i++) {
		struct task_struct *t;

		s[i] = kunit_kzalloc(test, sizeof(*s[i]), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, s[i]);
		init_completion(&s[i]->wake);
		init_completion(&s[i]->done);
		t = kthread_run(krp_sleeper_fn, s[i], "krp_crowd/%d", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	}
	/* Every sleeper is inside (or missed): nobody returned yet. */
	KUNIT_EXPECT_TRUE(test, krp_wait_counted(rp, round * (n + k)));
	missed = READ_ONCE(rp->nmissed);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&krp_wait_entries), round * n, "round %d", round);
	KUNIT_EXPECT_EQ_MSG(test, missed, round * k, "round %d", round);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&krp_wait_returns), (round - 1) * n,
			    "round %d", round);
	for (i = 0; i < n + k; i++)
		complete(&s[i]->wake);
	for (i = 0; i < n + k; i++) {
		wait_for_completion(&s[i]->done);
		ok += s[i]->result == 99;
	}
	KUNIT_EXPECT_EQ(test, ok, n + k);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&krp_wait_entries), round * n, "round %d", round);
	missed = READ_ONCE(rp->nmissed);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&krp_wait_returns), round * n, "round %d", round);
	KUNIT_EXPECT_EQ_MSG(test, missed, round * k, "round %d", round);
}

/* A pooled probe with @maxactive; @n instances expected, @k calls over. */
static void krp_maxactive_check(struct kunit *test, int maxactive, int n, int k)
{
	struct mfg_kretprobe *rp = kunit_kzalloc(test, sizeof(*rp), GFP_KERNEL);
	struct mfg_kretprobe_stats base, st;

	KUNIT_ASSERT_NOT_NULL(test, rp);
	mfg_kretprobe_get_stats(&base);
	krp_wait_probe(rp);
	rp->maxactive = maxactive;
	KUNIT_ASSERT_EQ(test, mfg_register_kretprobe(rp), 0);
	KUNIT_EXPECT_FALSE(test, rp->inline_instance);
	/* As documented: the pool's size is written back. */
	KUNIT_EXPECT_EQ(test, rp->maxactive, n);
	mfg_kretprobe_get_stats(&st);
	KUNIT_EXPECT_EQ(test, st.pools, base.pools + 1);
	KUNIT_EXPECT_EQ(test, st.instances, base.instances + n);
	krp_crowd_round(test, rp, n, k, 1);
	/* All came back: the second round gets the whole pool again. */
	krp_crowd_round(test, rp, n, k, 2);
	mfg_unregister_kretprobe(rp);
	krp_expect_pools(test, &base, 0, 0, "at the end");
}

static void krp_maxactive_exact(struct kunit *test)
{
	krp_maxactive_check(test, 3, 3, 2);
}

static void krp_maxactive_default(struct kunit *test)
{
	/* The documented default: max(10, 2 x possible CPUs). */
	krp_maxactive_check(test, 0, max(10, 2 * (int)num_possible_cpus()), 1);
}

/* Expect @rp refused with @err; unregister it if it was not, for the next cases. */
static void krp_expect_refused(struct kunit *test, struct mfg_kretprobe *rp, int err,
			       const char *what)
{
	int ret = mfg_register_kretprobe(rp);

	KUNIT_EXPECT_EQ_MSG(test, ret, err, "%s", what);
	if (!ret)
		mfg_unregister_kretprobe(rp);
}

/* Each refused with its errno, leaving nothing registered. */
static void krp_bad_limits(struct kunit *test)
{
	static const struct {
		int maxactive;
		size_t data_size;
		int err;
	} bad[] = {
		{ -1, 300, -EINVAL },
		{ INT_MIN, 300, -EINVAL },
		{ -1, 8, -EINVAL },	/* an inline probe's maxactive is checked too */
		{ MFG_KRETPROBE_MAXACTIVE_MAX + 1, 300, -E2BIG },
		{ INT_MAX, 300, -E2BIG },
		{ 1, MFG_KRETPROBE_MAX_DATA + 1, -E2BIG },
		{ 1, SIZE_MAX, -E2BIG },
		{ 1, (size_t)INT_MAX + 1, -E2BIG },
	};
	struct mfg_kretprobe *rp = kunit_kzalloc(test, sizeof(*rp), GFP_KERNEL);
	struct mfg_kretprobe_stats base;
	struct completion done;
	char what[16];
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, rp);
	mfg_kretprobe_get_stats(&base);
	init_completion(&done);
	complete_all(&done);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		krp_wait_probe(rp);
		rp->maxactive = bad[i].maxactive;
		rp->data_size = bad[i].data_size;
		snprintf(what, sizeof(what), "case %u", i);
		krp_expect_refused(test, rp, bad[i].err, what);
		krp_expect_pools(test, &base, 0, 0, "after a refusal");
		KUNIT_EXPECT_EQ(test, krp_target_wait(&done), 99);
		KUNIT_EXPECT_EQ_MSG(test, atomic_read(&krp_wait_entries), 0, "case %u", i);
		KUNIT_EXPECT_EQ_MSG(test, atomic_read(&krp_wait_returns), 0, "case %u", i);
	}
	/* The limits themselves are allowed. */
	krp_wait_probe(rp);
	rp->maxactive = MFG_KRETPROBE_MAXACTIVE_MAX;
	KUNIT_ASSERT_EQ(test, mfg_register_kretprobe(rp), 0);
	KUNIT_EXPECT_EQ(test, krp_target_wait(&done), 99);
	KUNIT_EXPECT_EQ(test, atomic_read(&krp_wait_returns), 1);
	mfg_unregister_kretprobe(rp);
	krp_wait_probe(rp);
	rp->maxactive = 1;
	rp->data_size = MFG_KRETPROBE_MAX_DATA;
	KUNIT_ASSERT_EQ(test, mfg_register_kretprobe(rp), 0);
	KUNIT_EXPECT_EQ(test, krp_target_wait(&done), 99);
	KUNIT_EXPECT_EQ(test, atomic_read(&krp_wait_returns), 1);
	mfg_unregister_kretprobe(rp);
	krp_expect_pools(test, &base, 0, 0, "at the end");
}

/* ------------------------------------------------------------ -ENOSPC */

/*
 * The documented frame budget: MFG_MAX_DATA_WORDS words per call; an inline
 * record takes 1 + its instance's words, a pooled one 2. Two inline probes
 * with MFG_KRETPROBE_INLINE_DATA bytes, then pooled ones fill the frame; the
 * next probe, of either kind, gets -ENOSPC and nothing of it stays.
 */
static void krp_enospc(struct kunit *test)
{
	const unsigned int inline_words = 1 +
		DIV_ROUND_UP(sizeof(struct mfg_kretprobe_instance) + MFG_KRETPROBE_INLINE_DATA,
			     sizeof(unsigned long));
	const unsigned int npooled = (MFG_MAX_DATA_WORDS - 2 * inline_words) / 2;
	const unsigned int nfit = 2 + npooled;
	struct krp_counted *c;
	struct mfg_kretprobe_stats base, st;
	struct completion done;
	unsigned int i;

	/* The layout this case is written for must leave room for both kinds. */
	KUNIT_ASSERT_GE(test, MFG_MAX_DATA_WORDS, 2 * inline_words + 2);
	c = kunit_kcalloc(test, nfit + 2, sizeof(*c), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	mfg_kretprobe_get_stats(&base);
	for (i = 0; i < nfit + 2; i++)
		krp_counted_init(&c[i], i < 2 || i == nfit + 1 ? MFG_KRETPROBE_INLINE_DATA : 300);
	for (i = 0; i < nfit; i++)
		KUNIT_ASSERT_EQ_MSG(test, mfg_register_kretprobe(&c[i].rp), 0, "probe %u", i);
	KUNIT_EXPECT_TRUE(test, c[0].rp.inline_instance && c[1].rp.inline_instance);
	KUNIT_EXPECT_FALSE(test, c[2].rp.inline_instance);
	/* Full: a pooled probe, then an inline one (too big for the frame either way). */
	krp_expect_refused(test, &c[nfit].rp, -ENOSPC, "a pooled probe over");
	krp_expect_refused(test, &c[nfit + 1].rp, -ENOSPC, "an inline probe over");
	mfg_kretprobe_get_stats(&st);
	KUNIT_EXPECT_EQ(test, st.pools, base.pools + npooled);
	init_completion(&done);
	complete_all(&done);
	KUNIT_EXPECT_EQ(test, krp_target_wait(&done), 99);
	for (i = 0; i < nfit + 2; i++) {
		KUNIT_EXPECT_EQ_MSG(test, atomic_read(&c[i].returns), (int)(i < nfit),
				    "probe %u", i);
		KUNIT_EXPECT_EQ_MSG(test, c[i].rp.nmissed, 0, "probe %u", i);
	}
	/* One goes: a pooled probe fits again, and only one. */
	mfg_unregister_kretprobe(&c[nfit - 1].rp);
	KUNIT_EXPECT_EQ(test, mfg_register_kretprobe(&c[nfit].rp), 0);
	krp_expect_refused(test, &c[nfit - 1].rp, -ENOSPC, "full again");
	KUNIT_EXPECT_EQ(test, krp_target_wait(&done), 99);
	KUNIT_EXPECT_EQ(test, atomic_read(&c[nfit].returns), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&c[nfit - 1].returns), 1);
	mfg_unregister_kretprobe(&c[nfit].rp);
	for (i = 0; i < nfit - 1; i++)
		mfg_unregister_kretprobe(&c[i].rp);
	krp_expect_pools(test, &base, 0, 0, "at the end");
}

/* ------------------------------------------------------------ pool exhaustion */

/* The entry handler skips the return of calls waiting on this completion. */
static struct completion *krp_skip_wake;

static int krp_skip_entry(struct mfg_kretprobe_instance *ri, struct pt_regs *regs)
{
	atomic_inc(&krp_wait_entries);
	return regs_get_kernel_argument(regs, 0) == (unsigned long)READ_ONCE(krp_skip_wake);
}

/*
 * An entry handler that returns non-zero gives its pooled instance back at
 * once: with one instance, a call skipped while asleep leaves it to the next
 * call, and neither is a miss.
 */
static void krp_entry_skip(struct kunit *test)
{
	struct mfg_kretprobe *rp = kunit_kzalloc(test, sizeof(*rp), GFP_KERNEL);
	struct mfg_kretprobe_stats base;
	struct krp_sleeper *skipped, *kept;

	KUNIT_ASSERT_NOT_NULL(test, rp);
	mfg_kretprobe_get_stats(&base);
	krp_wait_probe(rp);
	rp->entry_handler = krp_skip_entry;
	rp->maxactive = 1;
	KUNIT_ASSERT_EQ(test, mfg_register_kretprobe(rp), 0);
	KUNIT_EXPECT_FALSE(test, rp->inline_instance);
	skipped = kunit_kzalloc(test, sizeof(*skipped), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, skipped);
	init_completion(&skipped->wake);
	init_completion(&skipped->done);
	WRITE_ONCE(krp_skip_wake, &skipped->wake);
	KUNIT_ASSERT_FALSE(test, IS_ERR(kthread_run(krp_sleeper_fn, skipped, "krp_skipped")));
	KUNIT_ASSERT_TRUE(test, mfg_test_wait_for(&krp_wait_entries, 1));
	/* Its entry callback, which gives the instance back, has finished. */
	synchronize_rcu();
	kept = krp_start_sleeper_counted_by(test, &krp_wait_entries);
	KUNIT_EXPECT_TRUE(test, mfg_test_wait_for(&krp_wait_entries, 2));
	KUNIT_EXPECT_EQ(test, rp->nmissed, 0);
	krp_finish_sleeper(skipped);
	krp_finish_sleeper(kept);
	KUNIT_EXPECT_EQ(test, skipped->result, 99);
	KUNIT_EXPECT_EQ(test, kept->result, 99);
	KUNIT_EXPECT_EQ(test, atomic_read(&krp_wait_entries), 2);
	/* Only the call that was not skipped got its return handler. */
	KUNIT_EXPECT_EQ(test, atomic_read(&krp_wait_returns), 1);
	KUNIT_EXPECT_EQ(test, rp->nmissed, 0);
	WRITE_ONCE(krp_skip_wake, NULL);
	mfg_unregister_kretprobe(rp);
	krp_expect_pools(test, &base, 0, 0, "at the end");
}

/* A call of krp_target_inner() from a hard interrupt or another CPU. */
struct krp_irq_call {
	struct hrtimer timer;
	atomic_t fired;
	int result;
	bool in_irq;
};

static int krp_irq_nop(void *arg)
{
	return 41;
}

static void krp_irq_call_fn(void *arg)
{
	struct krp_irq_call *c = arg;

	c->in_irq = in_hardirq();
	c->result = krp_target_inner(krp_irq_nop, NULL);
	atomic_inc(&c->fired);
}

static enum hrtimer_restart krp_irq_timer_fn(struct hrtimer *timer)
{
	krp_irq_call_fn(container_of(timer, struct krp_irq_call, timer));
	return HRTIMER_NORESTART;
}

/* Call it from a timer interrupt that lands on current, spinning here. */
static bool krp_call_from_irq(struct krp_irq_call *c)
{
	unsigned long deadline = jiffies + 5 * HZ;

	atomic_set(&c->fired, 0);
	c->result = 0;
	c->in_irq = false;
	hrtimer_init(&c->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_HARD);
	c->timer.function = krp_irq_timer_fn;
	preempt_disable();
	hrtimer_start(&c->timer, ns_to_ktime(100 * NSEC_PER_USEC), HRTIMER_MODE_REL_PINNED_HARD);
	while (!atomic_read(&c->fired) && time_before(jiffies, deadline))
		cpu_relax();
	preempt_enable();
	hrtimer_cancel(&c->timer);
	return atomic_read(&c->fired) == 1 && c->in_irq && c->result == 42;
}

static int krp_inner_wait(void *arg)
{
	wait_for_completion(arg);
	return 98;
}

static int krp_inner_sleeper_fn(void *arg)
{
	struct krp_sleeper *s = arg;

	s->result = krp_target_inner(krp_inner_wait, &s->wake);
	complete(&s->done);
	return 0;
}

/*
 * One instance, held by a sleeping call: a call from a hard interrupt and
 * one from another CPU find the pool empty, each counts one miss and runs
 * on unharmed; once the sleeper returned, the interrupt's call gets the
 * instance.
 */
static void krp_pool_empty_in_irq(struct kunit *test)
{
	struct krp_counted *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	struct krp_irq_call *irq = kunit_kzalloc(test, sizeof(*irq), GFP_KERNEL);
	struct krp_sleeper *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	struct mfg_kretprobe_stats base;
	int cpu, other, misses = 1;

	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_ASSERT_NOT_NULL(test, irq);
	KUNIT_ASSERT_NOT_NULL(test, s);
	mfg_kretprobe_get_stats(&base);
	krp_counted_init(c, 300);
	c->rp.symbol_name = "krp_target_inner";
	c->rp.maxactive = 1;
	KUNIT_ASSERT_EQ(test, mfg_register_kretprobe(&c->rp), 0);
	KUNIT_EXPECT_FALSE(test, c->rp.inline_instance);
	/* A call from here first: this task has a shadow stack for the interrupts. */
	KUNIT_EXPECT_EQ(test, krp_target_inner(krp_irq_nop, NULL), 42);
	KUNIT_EXPECT_EQ(test, atomic_read(&c->returns), 1);
	init_completion(&s->wake);
	init_completion(&s->done);
	KUNIT_ASSERT_FALSE(test, IS_ERR(kthread_run(krp_inner_sleeper_fn, s, "krp_holder")));
	KUNIT_ASSERT_TRUE(test, mfg_test_wait_for(&c->entries, 2));

	KUNIT_EXPECT_TRUE(test, krp_call_from_irq(irq));
	KUNIT_EXPECT_EQ(test, c->rp.nmissed, 1);
	cpu = get_cpu();
	other = cpumask_any_but(cpu_online_mask, cpu);
	put_cpu();
	if (other < nr_cpu_ids) {
		atomic_set(&irq->fired, 0);
		KUNIT_EXPECT_EQ(test, smp_call_function_single(other, krp_irq_call_fn, irq, 1), 0);
		KUNIT_EXPECT_EQ(test, atomic_read(&irq->fired), 1);
		KUNIT_EXPECT_EQ(test, irq->result, 42);
		misses++;
		KUNIT_EXPECT_EQ(test, c->rp.nmissed, 2);
	} else {
		kunit_info(test, "one CPU online: no call from another CPU\n");
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&c->entries), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&c->returns), 1);

	krp_finish_sleeper(s);
	KUNIT_EXPECT_EQ(test, s->result, 99);
	KUNIT_EXPECT_EQ(test, atomic_read(&c->returns), 2);
	/* The instance is back: the interrupt's call gets it now. */
	KUNIT_EXPECT_TRUE(test, krp_call_from_irq(irq));
	KUNIT_EXPECT_EQ(test, atomic_read(&c->entries), 3);
	KUNIT_EXPECT_EQ(test, atomic_read(&c->returns), 3);
	KUNIT_EXPECT_EQ(test, c->rp.nmissed, misses);
	mfg_unregister_kretprobe(&c->rp);
	krp_expect_pools(test, &base, 0, 0, "at the end");
}

/* ------------------------------------------------------------ task exit */

static atomic_t krp_graph_entries, krp_graph_returns;

static int krp_graph_entry(const struct mfg_entry *trace, struct mfg_ops *ops,
			   struct ftrace_regs *fregs)
{
	atomic_inc(&krp_graph_entries);
	return 1;
}

static void krp_graph_return(const struct mfg_return *trace, struct mfg_ops *ops,
			     struct ftrace_regs *fregs)
{
	atomic_inc(&krp_graph_returns);
}

struct krp_exiter {
	struct completion inside, go;
	int result;
};

static int krp_exit_fn(void *arg)
{
	struct krp_exiter *e = arg;

	complete(&e->inside);
	wait_for_completion(&e->go);
	/* kthread_exit() is not exported by 6.1. */
	kthread_complete_and_exit(NULL, 0);
}

static int krp_exiter_fn(void *arg)
{
	struct krp_exiter *e = arg;

	/* Never stored: the thread exits inside krp_target_exit(). */
	e->result = krp_target_exit(krp_exit_fn, e);
	return e->result;
}

static int krp_exit_nop(void *arg)
{
	return 1;
}

/* Wait up to 10 s for mfg_kretprobe to have reclaimed @n instances since @base. */
static bool krp_wait_reclaimed(const struct mfg_kretprobe_stats *base, unsigned int n)
{
	struct mfg_kretprobe_stats st;
	int i;

	for (i = 0; i < 500; i++) {
		/* The task is freed in an RCU callback after it is reaped. */
		rcu_barrier();
		mfg_kretprobe_get_stats(&st);
		if (st.reclaimed - base->reclaimed >= n)
			return st.reclaimed - base->reclaimed == n;
		msleep(20);
	}
	return false;
}

/*
 * A kthread exits inside krp_target_exit(), which an mfgraph user traces
 * (return wanted) and a pooled probe with one instance probes, while an
 * inline probe elsewhere keeps mfg_kretprobe's user registered. No return
 * callback runs for that call; when the task is freed its instance comes
 * back: to the pool, or, @retired (its probe went while the call was in
 * flight), to the count that frees the retired pool.
 */
static void krp_exit_in_call(struct kunit *test, bool retired)
{
	struct mfg_kretprobe keeper = {
		.symbol_name = "krp_target_value", .handler = krp_return_nop,
	};
	struct mfg_ops *graph = kunit_kzalloc(test, sizeof(*graph), GFP_KERNEL);
	struct krp_exiter *e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);
	struct krp_counted *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	struct mfg_kretprobe_stats base;

	KUNIT_ASSERT_NOT_NULL(test, graph);
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_ASSERT_NOT_NULL(test, c);
	mfg_kretprobe_get_stats(&base);
	atomic_set(&krp_graph_entries, 0);
	atomic_set(&krp_graph_returns, 0);
	graph->entryfunc = krp_graph_entry;
	graph->retfunc = krp_graph_return;
	KUNIT_ASSERT_EQ(test, mfg_set_filter(graph, "krp_target_exit", true), 0);
	KUNIT_ASSERT_EQ(test, mfg_register(graph), 0);
	KUNIT_ASSERT_EQ(test, mfg_register_kretprobe(&keeper), 0);
	krp_counted_init(c, 300);
	c->rp.symbol_name = "krp_target_exit";
	c->rp.maxactive = 1;
	KUNIT_ASSERT_EQ(test, mfg_register_kretprobe(&c->rp), 0);
	KUNIT_EXPECT_FALSE(test, c->rp.inline_instance);

	init_completion(&e->inside);
	init_completion(&e->go);
	KUNIT_ASSERT_FALSE(test, IS_ERR(kthread_run(krp_exiter_fn, e, "krp_exiter")));
	wait_for_completion(&e->inside);
	KUNIT_EXPECT_EQ(test, atomic_read(&c->entries), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&krp_graph_entries), 1);
	if (retired) {
		mfg_unregister_kretprobe(&c->rp);
		krp_expect_pools(test, &base, 1, 1, "kept for the call in flight");
	}
	complete(&e->go);
	KUNIT_EXPECT_TRUE(test, krp_wait_reclaimed(&base, 1));
	/* No return callback for a call whose task exited inside it. */
	KUNIT_EXPECT_EQ(test, atomic_read(&c->returns), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&krp_graph_returns), 0);
	KUNIT_EXPECT_EQ(test, c->rp.nmissed, 0);
	if (retired) {
		/* The last instance came back: the retired pool is freed. */
		krp_expect_pools(test, &base, 0, 0, "once the task was freed");
	} else {
		/* The pool's one instance serves the next call. */
		KUNIT_EXPECT_EQ(test, krp_target_exit(krp_exit_nop, NULL), 6);
		KUNIT_EXPECT_EQ(test, atomic_read(&c->entries), 2);
		KUNIT_EXPECT_EQ(test, atomic_read(&c->returns), 1);
		KUNIT_EXPECT_EQ(test, c->rp.nmissed, 0);
		KUNIT_EXPECT_EQ(test, atomic_read(&krp_graph_returns), 1);
		mfg_unregister_kretprobe(&c->rp);
		/* Every instance was in: nothing is kept for a call in flight. */
		krp_expect_pools(test, &base, 0, 0, "once unregistered");
	}
	mfg_unregister_kretprobe(&keeper);
	mfg_unregister(graph);
	mfg_free_filter(graph);
	krp_expect_pools(test, &base, 0, 0, "at the end");
}

static void krp_exit_in_call_pooled(struct kunit *test)
{
	krp_exit_in_call(test, false);
}

static void krp_exit_in_call_retired(struct kunit *test)
{
	krp_exit_in_call(test, true);
}

static struct kunit_case krp_cases[] = {
	KUNIT_CASE(krp_single),
	KUNIT_CASE(krp_batch),
	KUNIT_CASE(krp_stacktrace),
	KUNIT_CASE(krp_stacktrace_nested),
	KUNIT_CASE(krp_several_on_one),
	KUNIT_CASE_SLOW(krp_concurrency),
	KUNIT_CASE(krp_unregister_in_flight),
	KUNIT_CASE(krp_unregister_in_flight_others),
	KUNIT_CASE(krp_unregister_all_in_flight),
	KUNIT_CASE(krp_one_of_two_in_flight_pooled),
	KUNIT_CASE(krp_one_of_two_in_flight_inline),
	KUNIT_CASE(krp_reregistered_in_flight),
	KUNIT_CASE(krp_nmissed_no_frame),
	KUNIT_CASE(krp_bad_input),
	KUNIT_CASE(krp_maxactive_exact),
	KUNIT_CASE(krp_maxactive_default),
	KUNIT_CASE(krp_bad_limits),
	KUNIT_CASE(krp_enospc),
	KUNIT_CASE(krp_entry_skip),
	KUNIT_CASE(krp_pool_empty_in_irq),
	KUNIT_CASE(krp_exit_in_call_pooled),
	KUNIT_CASE(krp_exit_in_call_retired),
	{}
};

static struct kunit_suite krp_suite = {
	.name = "mfgraph_kretprobe",
	.test_cases = krp_cases,
};

kunit_test_suite(krp_suite);

MODULE_DESCRIPTION("mfgraph: KUnit suite for mfg_kretprobe");
MODULE_LICENSE("GPL");
