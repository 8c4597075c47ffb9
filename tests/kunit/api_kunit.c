// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "mfgraph_api": what the public API documents and the other
 * suites never call. Filters changed at runtime on registered users ("*",
 * globs, reset, remove, an absent address, an empty filter, an ftrace
 * location, changes while other CPUs run the functions), mfg_func_ip()'s
 * errors, mfg_ret_addr(), mfg_task_var(), mfg_free_filter() on a registered
 * user, users with and without timestamps on one call, the debugfs files,
 * and the kernel's own kretprobe and fprobe on the same functions at the
 * same time as mfgraph users and mfg_kretprobes, stack traces included.
 *
 * Runs after the other suites: it expects to be mfgraph's only user.
 */
#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/fprobe.h>
#include <linux/kprobes.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/sched/clock.h>
#include <linux/stacktrace.h>
#include <linux/string.h>

#include <mfgraph.h>
#include <mfg_kretprobe.h>

#include "../../fgraph/hook.h"
#include "api_targets.h"
#include "test_util.h"

/* The traced targets, by index: a, b, c, then the glob targets. */
#define API_A 0
#define API_B 1
#define API_C 2
#define API_G0 3
#define API_NR (API_G0 + MFG_API_NR_GLOB)

static unsigned long api_ip[API_NR];	/* ftrace locations (mfg_func_ip) */
static unsigned long api_start[API_NR];	/* function starts */

static int api_call(int i, int x)
{
	switch (i) {
	case API_A:
		return mfg_api_a(x);
	case API_B:
		return mfg_api_b(x);
	case API_C:
		return mfg_api_c(x);
	default:
		return mfg_api_glob_fns[i - API_G0](x);
	}
}

static int api_expect(int i, int x)
{
	return i < API_G0 ? x + i + 1 : x + i - API_G0;
}

static int api_index(unsigned long func)
{
	int i;

	for (i = 0; i < API_NR; i++)
		if (api_ip[i] == func)
			return i;
	return -1;
}

/* One test user: what its callbacks saw, per target and elsewhere. */
struct api_user {
	struct mfg_ops ops;
	atomic_t hits[API_NR];
	atomic_t returns[API_NR];
	atomic_t other;		/* entries of functions that are no target */
	atomic_t bad;
	int want_return;
	bool registered;
	struct mfg_return last_return;
};

static int api_entry(const struct mfg_entry *trace, struct mfg_ops *ops,
		     struct ftrace_regs *fregs)
{
	struct api_user *u = container_of(ops, struct api_user, ops);
	int i = api_index(trace->func);

	if (i < 0) {
		atomic_inc(&u->other);
		return 0;
	}
	atomic_inc(&u->hits[i]);
	return u->want_return;
}

static void api_return(const struct mfg_return *trace, struct mfg_ops *ops,
		       struct ftrace_regs *fregs)
{
	struct api_user *u = container_of(ops, struct api_user, ops);
	int i = api_index(trace->func);

	if (i < 0) {
		atomic_inc(&u->bad);
		return;
	}
	u->last_return = *trace;
	atomic_inc(&u->returns[i]);
}

static void api_user_action(void *arg)
{
	struct api_user *u = arg;

	if (u->registered)
		mfg_unregister(&u->ops);
	mfg_free_filter(&u->ops);
}

/* Give @u's end to the test: unregistered if registered, its filter freed. */
static void api_own_user(struct kunit *test, struct api_user *u)
{
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, api_user_action, u), 0);
}

static struct api_user *api_new_user(struct kunit *test, bool with_return)
{
	struct api_user *u = kunit_kzalloc(test, sizeof(*u), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, u);
	u->ops.entryfunc = api_entry;
	u->ops.retfunc = with_return ? api_return : NULL;
	u->want_return = 1;
	api_own_user(test, u);
	return u;
}

static void api_register(struct kunit *test, struct api_user *u)
{
	KUNIT_ASSERT_EQ(test, mfg_register(&u->ops), 0);
	u->registered = true;
}

static void api_unregister(struct api_user *u)
{
	mfg_unregister(&u->ops);
	u->registered = false;
}

static void api_clear(struct api_user *u)
{
	int i;

	for (i = 0; i < API_NR; i++) {
		atomic_set(&u->hits[i], 0);
		atomic_set(&u->returns[i], 0);
	}
	atomic_set(&u->other, 0);
	atomic_set(&u->bad, 0);
}

/* Call every target once; true if every result is right. */
static bool api_call_all(void)
{
	bool ok = true;
	int i;

	for (i = 0; i < API_NR; i++)
		ok &= api_call(i, 100) == api_expect(i, 100);
	return ok;
}

/* Expect exactly the targets in @mask to have been seen, once each. */
static void api_expect_hits(struct kunit *test, struct api_user *u, unsigned long mask,
			    const char *when)
{
	int i;

	for (i = 0; i < API_NR; i++)
		KUNIT_EXPECT_EQ_MSG(test, atomic_read(&u->hits[i]), (int)!!(mask & BIT(i)),
				    "target %d %s", i, when);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&u->bad), 0, "%s", when);
}

/* ------------------------------------------------------------ hook state */

/* mfgraph's own view (fgraph/register.c, namespace MFGRAPH_INTERNAL). */
static struct mfg_hook_stats *api_hook(struct kunit *test)
{
	struct mfg_hook_stats *st = kunit_kzalloc(test, sizeof(*st), GFP_KERNEL);

	if (st)
		mfg_hook_stats(st);
	return st;
}

/* The hook: "off", on for "all" functions, or "filtered". */
static bool api_hook_is(struct kunit *test, const char *want)
{
	struct mfg_hook_stats *st = api_hook(test);
	const char *is;

	if (!st)
		return false;
	is = !st->hook_registered ? "off" : st->hook_all ? "all" : "filtered";
	if (!strcmp(is, want))
		return true;
	kunit_info(test, "the hook is %s, not %s\n", is, want);
	return false;
}

/* How many functions @u's filter holds, as mfgraph describes it (-1: "*"). */
static long api_filter_size(struct kunit *test, struct api_user *u)
{
	struct mfg_hook_stats *st = api_hook(test);

	if (!st || u->ops.slot < 0 || u->ops.slot >= MFG_MAX_USERS || !st->users[u->ops.slot].live)
		return -2;
	return st->users[u->ops.slot].filter_all ? -1 : st->users[u->ops.slot].filter_size;
}

static unsigned int api_nr_users(struct kunit *test)
{
	struct mfg_hook_stats *st = api_hook(test);

	return st ? st->nr_users : ~0U;
}

static int api_suite_init(struct kunit_suite *suite)
{
	int i, ret;

	for (i = 0; i < API_NR; i++) {
		char name[32];

		if (i < API_G0)
			snprintf(name, sizeof(name), "mfg_api_%c", 'a' + i);
		else
			snprintf(name, sizeof(name), "mfg_api_g_%d", i - API_G0);
		ret = mfg_func_ip(name, 0, &api_ip[i]);
		if (ret)
			return ret;
	}
	api_start[API_A] = (unsigned long)mfg_api_a;
	api_start[API_B] = (unsigned long)mfg_api_b;
	api_start[API_C] = (unsigned long)mfg_api_c;
	for (i = 0; i < MFG_API_NR_GLOB; i++)
		api_start[API_G0 + i] = (unsigned long)mfg_api_glob_fns[i];
	return 0;
}

/* ------------------------------------------------------------ "*" */

static void api_filter_star(struct kunit *test)
{
	struct api_user *u = api_new_user(test, false);

	KUNIT_ASSERT_EQ(test, mfg_set_filter(&u->ops, "*", true), 0);
	api_register(test, u);
	KUNIT_EXPECT_TRUE(test, api_hook_is(test, "all"));
	KUNIT_EXPECT_TRUE(test, api_call_all());
	api_expect_hits(test, u, GENMASK(API_NR - 1, 0), "with \"*\"");
	/* Everything: the kernel's own functions too. */
	msleep(20);
	KUNIT_EXPECT_GT(test, atomic_read(&u->other), 0);

	/* Reset to one function while registered: nothing else any more. */
	KUNIT_ASSERT_EQ(test, mfg_set_filter(&u->ops, "mfg_api_b", true), 0);
	KUNIT_EXPECT_TRUE(test, api_hook_is(test, "filtered"));
	KUNIT_EXPECT_EQ(test, api_filter_size(test, u), 1L);
	api_clear(u);
	KUNIT_EXPECT_TRUE(test, api_call_all());
	msleep(20);
	api_expect_hits(test, u, BIT(API_B), "after a reset to mfg_api_b");
	KUNIT_EXPECT_EQ(test, atomic_read(&u->other), 0);

	/* "*" added to a filter: everything again. */
	KUNIT_ASSERT_EQ(test, mfg_set_filter(&u->ops, "*", false), 0);
	api_clear(u);
	KUNIT_EXPECT_TRUE(test, api_call_all());
	api_expect_hits(test, u, GENMASK(API_NR - 1, 0), "with \"*\" added");
}

/* ------------------------------------------------------------ globs */

static void api_filter_glob(struct kunit *test)
{
	struct api_user *u = api_new_user(test, true);
	struct api_user *other = api_new_user(test, true);
	unsigned long glob = GENMASK(API_G0 + MFG_API_NR_GLOB - 1, API_G0);
	int i;

	/* Registered first with one function, then a glob replaces it. */
	KUNIT_ASSERT_EQ(test, mfg_set_filter(&u->ops, "mfg_api_a", true), 0);
	api_register(test, u);
	KUNIT_ASSERT_EQ(test, mfg_set_filter(&u->ops, "mfg_api_g_*", true), 0);
	KUNIT_EXPECT_TRUE(test, api_call_all());
	api_expect_hits(test, u, glob, "with mfg_api_g_*");
	for (i = API_G0; i < API_NR; i++)
		KUNIT_EXPECT_EQ_MSG(test, atomic_read(&u->returns[i]), 1, "target %d", i);
	KUNIT_EXPECT_EQ(test, u->last_return.retval, (unsigned long)api_expect(API_NR - 1, 100));
	KUNIT_EXPECT_EQ(test, api_filter_size(test, u), (long)MFG_API_NR_GLOB);

	/* Character classes and '?', added to another user's filter. */
	KUNIT_ASSERT_EQ(test, mfg_set_filter(&other->ops, "mfg_api_c", true), 0);
	KUNIT_ASSERT_EQ(test, mfg_set_filter(&other->ops, "mfg_api_g_[13]", false), 0);
	KUNIT_ASSERT_EQ(test, mfg_set_filter(&other->ops, "mfg_ap?_g_6", false), 0);
	api_register(test, other);
	api_clear(u);
	KUNIT_EXPECT_TRUE(test, api_call_all());
	api_expect_hits(test, u, glob, "with another user");
	api_expect_hits(test, other, BIT(API_C) | BIT(API_G0 + 1) | BIT(API_G0 + 3) |
			BIT(API_G0 + 6), "the other user");
	KUNIT_EXPECT_EQ(test, api_filter_size(test, other), 4L);
	/* A glob that matches nothing changes nothing. */
	KUNIT_EXPECT_EQ(test, mfg_set_filter(&other->ops, "mfg_api_none_*", true), -ENOENT);
	api_clear(other);
	KUNIT_EXPECT_TRUE(test, api_call_all());
	api_expect_hits(test, other, BIT(API_C) | BIT(API_G0 + 1) | BIT(API_G0 + 3) |
			BIT(API_G0 + 6), "after a glob that matched nothing");
}

/* ------------------------------------------------------------ remove, reset */

static void api_filter_remove_registered(struct kunit *test)
{
	struct api_user *u = api_new_user(test, true);
	unsigned long ab[] = { api_ip[API_A], api_ip[API_B] };
	unsigned long c = api_ip[API_C];

	KUNIT_ASSERT_EQ(test, mfg_set_filter_ips(&u->ops, ab, 2, false, true), 0);
	api_register(test, u);
	KUNIT_EXPECT_TRUE(test, api_call_all());
	api_expect_hits(test, u, BIT(API_A) | BIT(API_B), "with a and b");

	KUNIT_EXPECT_EQ(test, mfg_set_filter_ips(&u->ops, &ab[1], 1, true, false), 0);
	api_clear(u);
	KUNIT_EXPECT_TRUE(test, api_call_all());
	api_expect_hits(test, u, BIT(API_A), "with b removed");

	/* Absent addresses: -ENOENT, and the filter is as it was. */
	KUNIT_EXPECT_EQ(test, mfg_set_filter_ips(&u->ops, &c, 1, true, false), -ENOENT);
	KUNIT_EXPECT_EQ(test, mfg_set_filter_ips(&u->ops, &ab[1], 1, true, false), -ENOENT);
	api_clear(u);
	KUNIT_EXPECT_TRUE(test, api_call_all());
	api_expect_hits(test, u, BIT(API_A), "after removing absent addresses");

	/* Reset by address, then by name, while registered. */
	KUNIT_EXPECT_EQ(test, mfg_set_filter_ips(&u->ops, &c, 1, false, true), 0);
	api_clear(u);
	KUNIT_EXPECT_TRUE(test, api_call_all());
	api_expect_hits(test, u, BIT(API_C), "after a reset to c");
	KUNIT_EXPECT_EQ(test, mfg_set_filter(&u->ops, "mfg_api_b", true), 0);
	api_clear(u);
	KUNIT_EXPECT_TRUE(test, api_call_all());
	api_expect_hits(test, u, BIT(API_B), "after a reset to b by name");
	KUNIT_EXPECT_EQ(test, atomic_read(&u->returns[API_B]), 1);
}

/*
 * An empty filter traces nothing: registered without one, emptied by
 * removing its last function, or reset to nothing. An empty ftrace filter
 * means "every function" to ftrace: the hook must go off instead.
 */
static void api_filter_empty_traces_nothing(struct kunit *test)
{
	struct api_user *u = api_new_user(test, true);
	struct api_user *bystander = api_new_user(test, true);
	unsigned long a = api_ip[API_A], c = api_ip[API_C];

	KUNIT_ASSERT_EQ(test, api_nr_users(test), 0U);
	/* Never given a filter at all. */
	api_register(test, u);
	KUNIT_EXPECT_TRUE(test, api_call_all());
	msleep(20);
	api_expect_hits(test, u, 0, "without a filter");
	KUNIT_EXPECT_EQ(test, atomic_read(&u->other), 0);
	KUNIT_EXPECT_TRUE(test, api_hook_is(test, "off"));
	KUNIT_EXPECT_EQ(test, api_filter_size(test, u), 0L);

	/* One function, then it is removed: the last one. */
	KUNIT_ASSERT_EQ(test, mfg_set_filter_ips(&u->ops, &a, 1, false, false), 0);
	KUNIT_EXPECT_TRUE(test, api_hook_is(test, "filtered"));
	KUNIT_EXPECT_TRUE(test, api_call_all());
	api_expect_hits(test, u, BIT(API_A), "with a");
	KUNIT_ASSERT_EQ(test, mfg_set_filter_ips(&u->ops, &a, 1, true, false), 0);
	KUNIT_EXPECT_TRUE(test, api_hook_is(test, "off"));
	KUNIT_EXPECT_EQ(test, api_filter_size(test, u), 0L);
	api_clear(u);
	KUNIT_EXPECT_TRUE(test, api_call_all());
	msleep(20);
	api_expect_hits(test, u, 0, "with the last function removed");
	KUNIT_EXPECT_EQ(test, atomic_read(&u->other), 0);

	/* The same beside another user's filter: the hook stays on for c only. */
	KUNIT_ASSERT_EQ(test, mfg_set_filter_ips(&bystander->ops, &c, 1, false, true), 0);
	api_register(test, bystander);
	KUNIT_ASSERT_EQ(test, mfg_set_filter_ips(&u->ops, &a, 1, false, true), 0);
	KUNIT_ASSERT_EQ(test, mfg_set_filter_ips(&u->ops, &a, 1, true, false), 0);
	KUNIT_EXPECT_TRUE(test, api_hook_is(test, "filtered"));
	KUNIT_EXPECT_EQ(test, api_filter_size(test, u), 0L);
	api_clear(u);
	KUNIT_EXPECT_TRUE(test, api_call_all());
	msleep(20);
	api_expect_hits(test, u, 0, "emptied beside another user");
	api_expect_hits(test, bystander, BIT(API_C), "the other user");
	KUNIT_EXPECT_EQ(test, atomic_read(&u->other), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&bystander->other), 0);

	/* Reset to no address at all. */
	KUNIT_ASSERT_EQ(test, mfg_set_filter_ips(&u->ops, &a, 1, false, true), 0);
	KUNIT_ASSERT_EQ(test, mfg_set_filter_ips(&u->ops, NULL, 0, false, true), 0);
	api_clear(u);
	KUNIT_EXPECT_TRUE(test, api_call_all());
	api_expect_hits(test, u, 0, "reset to nothing");
	/* Emptied from "*": nothing either. */
	KUNIT_ASSERT_EQ(test, mfg_set_filter(&u->ops, "*", true), 0);
	KUNIT_ASSERT_EQ(test, mfg_set_filter_ips(&u->ops, NULL, 0, false, true), 0);
	KUNIT_EXPECT_TRUE(test, api_hook_is(test, "filtered"));
	api_clear(u);
	KUNIT_EXPECT_TRUE(test, api_call_all());
	msleep(20);
	api_expect_hits(test, u, 0, "\"*\" reset to nothing");
	KUNIT_EXPECT_EQ(test, atomic_read(&u->other), 0);
}

/* ------------------------------------------------------------ ftrace locations */

static void api_filter_ftrace_location(struct kunit *test)
{
	struct api_user *u = api_new_user(test, true);
	unsigned long loc = 0, start = api_start[API_A], inside;

	KUNIT_ASSERT_EQ(test, mfg_func_ip(NULL, start, &loc), 0);
	KUNIT_EXPECT_EQ(test, loc, api_ip[API_A]);
	kunit_info(test, "mfg_api_a's ftrace location is %+ld bytes in\n", (long)(loc - start));
	/* By its ftrace location: reported as that location. */
	KUNIT_ASSERT_EQ(test, mfg_set_filter_ips(&u->ops, &loc, 1, false, true), 0);
	api_register(test, u);
	KUNIT_EXPECT_EQ(test, mfg_api_a(1), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&u->returns[API_A]), 1);
	KUNIT_EXPECT_EQ(test, u->last_return.func, loc);
	/* Added by its start, removed by its location: the same function. */
	KUNIT_ASSERT_EQ(test, mfg_set_filter_ips(&u->ops, &start, 1, false, true), 0);
	KUNIT_EXPECT_EQ(test, mfg_api_a(1), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&u->returns[API_A]), 2);
	KUNIT_EXPECT_EQ(test, u->last_return.func, loc);
	KUNIT_EXPECT_EQ(test, mfg_set_filter_ips(&u->ops, &loc, 1, true, false), 0);
	KUNIT_EXPECT_EQ(test, mfg_api_a(1), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&u->hits[API_A]), 2);
	/* Neither a start nor an ftrace location: refused. */
	inside = loc + MCOUNT_INSN_SIZE;
	KUNIT_EXPECT_EQ(test, mfg_set_filter_ips(&u->ops, &inside, 1, false, false), -EINVAL);
	KUNIT_EXPECT_EQ(test, mfg_func_ip(NULL, inside, &loc), -EINVAL);
}

/* ------------------------------------------------------------ changes under load */

/* At most this many changes, and for at most 10 s (the debug kernels are slow). */
#define API_CHANGES 150

struct api_load {
	atomic_t stop;
	atomic_t running;
	atomic_t calls;
	atomic_t wrong;
	struct completion done;
};

static int api_load_worker(void *arg)
{
	struct api_load *l = arg;
	int i = 0;

	while (!atomic_read(&l->stop)) {
		if (mfg_api_a(i) != i + 1 || mfg_api_b(i) != i + 2 || mfg_api_c(i) != i + 3)
			atomic_inc(&l->wrong);
		atomic_add(3, &l->calls);
		if (++i % 32 == 0)
			cond_resched();
	}
	if (atomic_dec_and_test(&l->running))
		complete(&l->done);
	return 0;
}

/* The steady user keeps its data in each frame: the call's argument. */
static int api_steady_entry(const struct mfg_entry *trace, struct mfg_ops *ops,
			    struct ftrace_regs *fregs)
{
	struct api_user *u = container_of(ops, struct api_user, ops);
	unsigned long *data = mfg_reserve_data(2 * sizeof(long));

	if (!data || trace->func != api_ip[API_A]) {
		atomic_inc(&u->bad);
		return 0;
	}
	data[0] = ftrace_regs_get_argument(fregs, 0);
	data[1] = trace->func;
	atomic_inc(&u->hits[API_A]);
	return 1;
}

static void api_steady_return(const struct mfg_return *trace, struct mfg_ops *ops,
			      struct ftrace_regs *fregs)
{
	struct api_user *u = container_of(ops, struct api_user, ops);
	int size = 0;
	unsigned long *data = mfg_retrieve_data(&size);

	atomic_inc(&u->returns[API_A]);
	if (!data || size != 2 * sizeof(long) || data[1] != trace->func ||
	    (int)trace->retval != (int)data[0] + 1)
		atomic_inc(&u->bad);
}

/*
 * Users change their filters, and with them the hook's (the union), while
 * every CPU runs the functions: ftrace rewrites their call sites under
 * load. A steady user on mfg_api_a sees each of its calls whole; the
 * changing user only ever sees functions its filter held at some point.
 */
static void api_filter_change_under_load(struct kunit *test)
{
	struct api_user *steady = api_new_user(test, true);
	struct api_user *churn = api_new_user(test, true);
	struct api_load *l = kunit_kzalloc(test, sizeof(*l), GFP_KERNEL);
	unsigned long a = api_ip[API_A], bc[] = { api_ip[API_B], api_ip[API_C] };
	int workers = 2 * num_online_cpus(), i, started = 0, changes = 0, errors = 0;
	int cpu = 0;
	unsigned long end;
	struct mfg_stats before, after;

	KUNIT_ASSERT_NOT_NULL(test, l);
	init_completion(&l->done);
	steady->ops.entryfunc = api_steady_entry;
	steady->ops.retfunc = api_steady_return;
	KUNIT_ASSERT_EQ(test, mfg_set_filter_ips(&steady->ops, &a, 1, false, true), 0);
	api_register(test, steady);
	api_register(test, churn);
	mfg_get_stats(&before);
	if (IS_ENABLED(CONFIG_X86_64))
		KUNIT_ASSERT_EQ(test, set_cpus_allowed_ptr(current, cpumask_of(cpu)), 0);
	atomic_set(&l->running, 1);
	for (i = 0; i < workers; i++) {
		struct task_struct *t = kthread_create(api_load_worker, l, "mfg_api_load/%d", i);

		if (IS_ERR(t))
			break;
		/*
		 * x86_64 guests under multi-threaded TCG have executed stale
		 * int3s at call sites ftrace had just rewritten on another
		 * vCPU (docs/design.md, "Test harness caveat"; this case hit
		 * it at once): there the workers and this thread share a
		 * CPU, and the torture suite's boot on one host thread
		 * covers other CPUs.
		 */
		kthread_bind(t, IS_ENABLED(CONFIG_X86_64) ? cpu : i % num_online_cpus());
		atomic_inc(&l->running);
		wake_up_process(t);
		started++;
	}
	end = jiffies + 10 * HZ;
	for (i = 0; i < API_CHANGES && time_before(jiffies, end); i++) {
		int ret;

		switch (i % 5) {
		case 0:
			ret = mfg_set_filter_ips(&churn->ops, bc, 1, false, true);
			break;
		case 1:
			ret = mfg_set_filter_ips(&churn->ops, &bc[1], 1, false, false);
			break;
		case 2:
			ret = mfg_set_filter_ips(&churn->ops, bc, 1, true, false);
			break;
		case 3:
			ret = mfg_set_filter(&churn->ops, "mfg_api_b", false);
			break;
		default:
			ret = mfg_set_filter_ips(&churn->ops, NULL, 0, false, true);
			break;
		}
		errors += ret != 0;
		changes++;
		usleep_range(1000, 3000);
	}
	atomic_set(&l->stop, 1);
	if (!atomic_dec_and_test(&l->running))
		wait_for_completion(&l->done);
	if (IS_ENABLED(CONFIG_X86_64))
		set_cpus_allowed_ptr(current, cpu_possible_mask);
	mfg_get_stats(&after);
	kunit_info(test, "%d workers, %d calls, %d filter changes; steady user: %d entries, %d returns; changing user: %d b, %d c\n",
		   started, atomic_read(&l->calls), changes, atomic_read(&steady->hits[API_A]),
		   atomic_read(&steady->returns[API_A]), atomic_read(&churn->hits[API_B]),
		   atomic_read(&churn->hits[API_C]));
	KUNIT_EXPECT_EQ(test, started, workers);
	/* Each of the five kinds of change twice at least (20 on a slow debug guest). */
	KUNIT_EXPECT_GE(test, changes, 10);
	KUNIT_EXPECT_EQ(test, errors, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&l->wrong), 0);
	/* Every call of mfg_api_a was seen whole: no frame lost in a change. */
	KUNIT_EXPECT_GT(test, atomic_read(&steady->hits[API_A]), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&steady->hits[API_A]),
			atomic_read(&steady->returns[API_A]));
	KUNIT_EXPECT_EQ(test, atomic_read(&steady->bad), 0);
	KUNIT_EXPECT_EQ(test, after.misses[MFG_MISS_MISMATCH], before.misses[MFG_MISS_MISMATCH]);
	/* The changing user never had mfg_api_a, and saw both of its functions. */
	KUNIT_EXPECT_EQ(test, atomic_read(&churn->hits[API_A]), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&churn->other), 0);
	KUNIT_EXPECT_GT(test, atomic_read(&churn->hits[API_B]), 0);
	KUNIT_EXPECT_GT(test, atomic_read(&churn->hits[API_C]), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&churn->bad), 0);
}

/* ------------------------------------------------------------ mfg_func_ip */

static void api_func_ip_errors(struct kunit *test)
{
	/* Past the ftrace call site: inside the function, no ftrace location. */
	unsigned long ip = 0, inside = api_ip[API_A] + MCOUNT_INSN_SIZE;
	unsigned long untraceable = (unsigned long)mfg_register;

	KUNIT_EXPECT_EQ(test, mfg_func_ip("mfg_api_b", 0, &ip), 0);
	KUNIT_EXPECT_EQ(test, ip, api_ip[API_B]);
	KUNIT_EXPECT_EQ(test, mfg_func_ip(NULL, api_start[API_B], &ip), 0);
	KUNIT_EXPECT_EQ(test, ip, api_ip[API_B]);
	/* Bad arguments. */
	KUNIT_EXPECT_EQ(test, mfg_func_ip(NULL, 0, &ip), -EINVAL);
	KUNIT_EXPECT_EQ(test, mfg_func_ip("mfg_api_b", api_start[API_B], &ip), -EINVAL);
	KUNIT_EXPECT_EQ(test, mfg_func_ip("mfg_api_b", 0, NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, mfg_func_ip("", 0, &ip), -EINVAL);
	KUNIT_EXPECT_EQ(test, mfg_func_ip("mfg_api_*", 0, &ip), -EINVAL);
	/* No such function. */
	KUNIT_EXPECT_EQ(test, mfg_func_ip("mfg_api_no_such_function", 0, &ip), -ENOENT);
	/* Not traceable, by name and by address. */
	KUNIT_EXPECT_EQ(test, mfg_func_ip("mfg_register", 0, &ip), -EINVAL);
	KUNIT_EXPECT_EQ(test, mfg_func_ip(NULL, untraceable, &ip), -EINVAL);
	KUNIT_EXPECT_EQ(test, mfg_func_ip(NULL, inside, &ip), -EINVAL);
	/* Two static functions share the name. */
	KUNIT_EXPECT_EQ(test, mfg_func_ip("mfg_api_dup", 0, &ip), -EADDRNOTAVAIL);
	KUNIT_EXPECT_EQ(test, mfg_api_dup_here(1) + mfg_api_dup_there(1), 32);
	/* ip is left alone on an error. */
	KUNIT_EXPECT_EQ(test, ip, api_ip[API_B]);
}

/* ------------------------------------------------------------ mfg_ret_addr */

#define API_TRACE_MAX 32

struct api_trace {
	unsigned long raw[API_TRACE_MAX];	/* stack_trace_save() */
	unsigned int nraw;
	unsigned long fixed[API_TRACE_MAX];	/* mfg_stack_trace_save() */
	unsigned int nfixed;
	unsigned long by_ret_addr[API_TRACE_MAX];	/* raw, through mfg_ret_addr() */
	unsigned long bogus;		/* mfg_ret_addr() of a non-trampoline address */
};

static noinline int api_take_trace(void *arg)
{
	struct api_trace *t = arg;
	unsigned int i;
	int idx = 0;

	t->nraw = stack_trace_save(t->raw, API_TRACE_MAX, 0);
	t->nfixed = mfg_stack_trace_save(t->fixed, API_TRACE_MAX, 0);
	for (i = 0; i < t->nraw; i++)
		t->by_ret_addr[i] = mfg_ret_addr(current, &idx, t->raw[i], NULL);
	idx = 0;
	t->bogus = mfg_ret_addr(current, &idx, (unsigned long)api_take_trace, NULL);
	return 0;
}

/* One call site for every trace, so that traces can be equal. */
static noinline int api_trace_through(struct api_trace *t)
{
	int r = mfg_api_outer(api_take_trace, t);

	/* Not a tail call: this frame must be in the trace. */
	barrier_data(&r);
	return r;
}

/* A user of mfg_api_outer and mfg_api_call: counts entries in ->other. */
static void api_coexist_return(const struct mfg_return *trace, struct mfg_ops *ops,
			       struct ftrace_regs *fregs)
{
	struct api_user *u = container_of(ops, struct api_user, ops);

	if (trace->retval != 1 && trace->retval != 2)
		atomic_inc(&u->bad);
}

static int api_coexist_entry(const struct mfg_entry *trace, struct mfg_ops *ops,
			     struct ftrace_regs *fregs)
{
	atomic_inc(&container_of(ops, struct api_user, ops)->other);
	return 1;
}

/* Is @addr a return trampoline: mfgraph's, or the kernel's? */
static bool api_is_trampoline(unsigned long addr)
{
	return mfg_test_symbol_is(addr, "mfg_return_trampoline") ||
	       mfg_test_symbol_is(addr, "return_to_handler") ||
	       mfg_test_symbol_is(addr, "arch_rethook_trampoline") ||
	       mfg_test_symbol_is(addr, "__kretprobe_trampoline");
}

/*
 * @got, a trace through api_trace_through(), is @want's: the same four
 * innermost entries (api_take_trace, mfg_api_call, mfg_api_outer,
 * api_trace_through), then it goes on to the end like @want, its caller's
 * call site aside, and no trampoline anywhere. Returns whether it is.
 */
static bool api_check_trace(struct kunit *test, const unsigned long *want, unsigned int nwant,
			    const unsigned long *got, unsigned int ngot, const char *what)
{
	bool ok = ngot >= 5 && ngot + 1 >= nwant && ngot <= nwant + 1;
	unsigned int i;

	for (i = 0; i < min(4U, min(nwant, ngot)); i++)
		ok &= got[i] == want[i];
	for (i = 0; i < ngot; i++)
		ok &= !api_is_trampoline(got[i]);
	if (ok)
		return true;
	kunit_info(test, "%s: %u entries, want %u:\n", what, ngot, nwant);
	for (i = 0; i < max(ngot, nwant); i++)
		kunit_info(test, "  %2u %-40pS want %pS\n", i, i < ngot ? (void *)got[i] : NULL,
			   i < nwant ? (void *)want[i] : NULL);
	return false;
}

static void api_expect_trace(struct kunit *test, const unsigned long *want, unsigned int nwant,
			     const unsigned long *got, unsigned int ngot, const char *what)
{
	KUNIT_EXPECT_TRUE_MSG(test, api_check_trace(test, want, nwant, got, ngot, what), "%s",
			      what);
}

static void api_ret_addr(struct kunit *test)
{
	struct api_trace *plain = kunit_kzalloc(test, sizeof(*plain), GFP_KERNEL);
	struct api_trace *traced = kunit_kzalloc(test, sizeof(*traced), GFP_KERNEL);
	struct api_user *u = api_new_user(test, true);
	unsigned long ips[] = { 0, 0 };
	unsigned int i, swapped = 0;

	KUNIT_ASSERT_NOT_NULL(test, plain);
	KUNIT_ASSERT_NOT_NULL(test, traced);
	u->ops.entryfunc = api_coexist_entry;
	u->ops.retfunc = api_coexist_return;
	KUNIT_ASSERT_EQ(test, mfg_func_ip("mfg_api_outer", 0, &ips[0]), 0);
	KUNIT_ASSERT_EQ(test, mfg_func_ip("mfg_api_call", 0, &ips[1]), 0);
	KUNIT_ASSERT_EQ(test, mfg_set_filter_ips(&u->ops, ips, 2, false, true), 0);
	/* One call site for both traces, so that they can be equal. */
	for (i = 0; i < 2; i++) {
		if (i)
			api_register(test, u);
		KUNIT_EXPECT_EQ(test, api_trace_through(i ? traced : plain), 2);
	}
	KUNIT_ASSERT_GE(test, plain->nraw, 4U);
	KUNIT_EXPECT_TRUE(test, mfg_test_symbol_is(plain->raw[1], "mfg_api_call"));
	KUNIT_EXPECT_TRUE(test, mfg_test_symbol_is(plain->raw[2], "mfg_api_outer"));
	/* The unwinder saw mfgraph's trampoline for the two traced calls ... */
	for (i = 0; i < traced->nraw; i++)
		swapped += traced->raw[i] != traced->by_ret_addr[i];
	kunit_info(test, "%u of %u entries were the trampoline\n", swapped, traced->nraw);
	/*
	 * ... unless it stops there (x86_64's ORC finds no unwind data for
	 * it); mfg_ret_addr() gives the real addresses back in order either
	 * way, and leaves every other address alone.
	 */
	if (traced->nraw == plain->nraw) {
		KUNIT_EXPECT_EQ(test, swapped, 2U);
		api_expect_trace(test, plain->raw, plain->nraw, traced->by_ret_addr,
				 traced->nraw, "through mfg_ret_addr");
	} else {
		KUNIT_EXPECT_LT(test, traced->nraw, plain->nraw);
		KUNIT_EXPECT_GE(test, swapped, 1U);
		for (i = 0; i < traced->nraw; i++)
			KUNIT_EXPECT_EQ_MSG(test, traced->by_ret_addr[i], plain->raw[i],
					    "entry %u through mfg_ret_addr", i);
	}
	KUNIT_EXPECT_EQ(test, traced->bogus, (unsigned long)api_take_trace);
	api_expect_trace(test, plain->fixed, plain->nfixed, traced->fixed, traced->nfixed,
			 "mfg_stack_trace_save");
	KUNIT_EXPECT_EQ(test, atomic_read(&u->other), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&u->bad), 0);
}

/* ------------------------------------------------------------ mfg_task_var */

static struct mfg_ops api_never_registered;

struct api_var_user {
	struct api_user u;
	atomic_t nonzero;	/* the word was not 0 on a task's first call */
	atomic_t null;
	atomic_t other_not_null;	/* another, unregistered user got a word */
};

static int api_var_entry(const struct mfg_entry *trace, struct mfg_ops *ops,
			 struct ftrace_regs *fregs)
{
	struct api_var_user *v = container_of(ops, struct api_var_user, u.ops);
	unsigned long *var = mfg_task_var(ops);

	if (!var) {
		atomic_inc(&v->null);
		return 0;
	}
	/* mfg_api_a: the first call of a task (or registration), checks 0. */
	if (trace->func == api_ip[API_A] && *var)
		atomic_inc(&v->nonzero);
	(*var)++;
	if (mfg_task_var(&api_never_registered) || mfg_task_var(NULL))
		atomic_inc(&v->other_not_null);
	atomic_inc(&v->u.hits[API_A]);
	return 0;
}

static int api_var_thread(void *arg)
{
	struct completion *done = arg;

	mfg_api_a(1);
	complete(done);
	return 0;
}

static void api_task_var(struct kunit *test)
{
	struct api_var_user *v = kunit_kzalloc(test, sizeof(*v), GFP_KERNEL);
	unsigned long ips[] = { api_ip[API_A], api_ip[API_B] };
	struct completion done;
	struct task_struct *t;

	KUNIT_ASSERT_NOT_NULL(test, v);
	v->u.ops.entryfunc = api_var_entry;
	api_own_user(test, &v->u);
	KUNIT_ASSERT_EQ(test, mfg_set_filter_ips(&v->u.ops, ips, 2, false, true), 0);
	api_register(test, &v->u);
	/* 0 at this task's first call, then counting. */
	KUNIT_EXPECT_EQ(test, mfg_api_a(1), 2);
	KUNIT_EXPECT_EQ(test, mfg_api_b(1), 3);
	KUNIT_EXPECT_EQ(test, mfg_api_b(1), 3);
	KUNIT_EXPECT_EQ(test, atomic_read(&v->nonzero), 0);
	KUNIT_EXPECT_EQ(test, mfg_api_a(1), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&v->nonzero), 1);
	/* Another task starts at 0. */
	init_completion(&done);
	t = kthread_run(api_var_thread, &done, "mfg_api_var");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	wait_for_completion(&done);
	KUNIT_EXPECT_EQ(test, atomic_read(&v->nonzero), 1);
	/* A new registration starts at 0 again, for the same task. */
	api_unregister(&v->u);
	api_register(test, &v->u);
	KUNIT_EXPECT_EQ(test, mfg_api_a(1), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&v->nonzero), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&v->u.hits[API_A]), 6);
	KUNIT_EXPECT_EQ(test, atomic_read(&v->null), 0);
	/* Never a word for a user that is not registered. */
	KUNIT_EXPECT_EQ(test, atomic_read(&v->other_not_null), 0);
	KUNIT_EXPECT_NULL(test, mfg_task_var(&api_never_registered));
	KUNIT_EXPECT_NULL(test, mfg_task_var(NULL));
}

/* ------------------------------------------------------------ free_filter */

static void api_free_filter_registered(struct kunit *test)
{
	struct api_user *u = api_new_user(test, true);
	unsigned long b = api_ip[API_B];

	KUNIT_ASSERT_EQ(test, mfg_set_filter_ips(&u->ops, &b, 1, false, true), 0);
	api_register(test, u);
	/* Refused (and logged): the filter stays, and so does the tracing. */
	mfg_free_filter(&u->ops);
	KUNIT_EXPECT_NOT_NULL(test, u->ops.filter);
	KUNIT_EXPECT_TRUE(test, api_call_all());
	api_expect_hits(test, u, BIT(API_B), "after mfg_free_filter() was refused");
	KUNIT_EXPECT_EQ(test, api_filter_size(test, u), 1L);
	/* Unregistered, it goes; registered again, the user traces nothing. */
	api_unregister(u);
	mfg_free_filter(&u->ops);
	KUNIT_EXPECT_NULL(test, u->ops.filter);
	mfg_free_filter(&u->ops);
	api_register(test, u);
	api_clear(u);
	KUNIT_EXPECT_TRUE(test, api_call_all());
	api_expect_hits(test, u, 0, "with the filter freed");
}

/* ------------------------------------------------------------ timestamps */

static void api_mixed_timestamps(struct kunit *test)
{
	struct api_user *stamped = api_new_user(test, true);
	struct api_user *plain = api_new_user(test, true);
	unsigned long a = api_ip[API_A];
	u64 before, after;

	stamped->ops.flags = MFG_OPS_FL_TIMESTAMPS;
	KUNIT_ASSERT_EQ(test, mfg_set_filter_ips(&stamped->ops, &a, 1, false, true), 0);
	KUNIT_ASSERT_EQ(test, mfg_set_filter_ips(&plain->ops, &a, 1, false, true), 0);
	api_register(test, plain);
	api_register(test, stamped);
	before = local_clock();
	KUNIT_EXPECT_EQ(test, mfg_api_a(1), 2);
	after = local_clock();
	KUNIT_EXPECT_EQ(test, atomic_read(&stamped->returns[API_A]), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&plain->returns[API_A]), 1);
	/* A call one user wants times for has them, for every user of the call. */
	KUNIT_EXPECT_LE(test, before, stamped->last_return.calltime);
	KUNIT_EXPECT_LE(test, stamped->last_return.calltime, stamped->last_return.rettime);
	KUNIT_EXPECT_LE(test, stamped->last_return.rettime, after);
	KUNIT_EXPECT_EQ(test, plain->last_return.calltime, stamped->last_return.calltime);
	KUNIT_EXPECT_EQ(test, plain->last_return.rettime, stamped->last_return.rettime);
	/* A call of a function only the plain user traces has none. */
	KUNIT_ASSERT_EQ(test, mfg_set_filter(&plain->ops, "mfg_api_b", false), 0);
	KUNIT_EXPECT_EQ(test, mfg_api_b(1), 3);
	KUNIT_EXPECT_EQ(test, atomic_read(&plain->returns[API_B]), 1);
	KUNIT_EXPECT_EQ(test, plain->last_return.calltime, 0ULL);
	KUNIT_EXPECT_EQ(test, plain->last_return.rettime, 0ULL);
	/* Nor a call of mfg_api_a once the stamped user left. */
	api_unregister(stamped);
	KUNIT_EXPECT_EQ(test, mfg_api_a(1), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&plain->returns[API_A]), 2);
	KUNIT_EXPECT_EQ(test, plain->last_return.calltime, 0ULL);
	KUNIT_EXPECT_EQ(test, plain->last_return.rettime, 0ULL);
}

/* ------------------------------------------------------------ coexistence */

#define API_COEXIST_CALLS 20

static atomic_t api_kern_returns, api_kern_bad;

static int api_kern_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	atomic_inc(&api_kern_returns);
	if (regs_return_value(regs) != 1 && regs_return_value(regs) != 2)
		atomic_inc(&api_kern_bad);
	return 0;
}

static atomic_t api_krp_returns, api_krp_bad;

static int api_krp_entry(struct mfg_kretprobe_instance *ri, struct pt_regs *regs)
{
	*(unsigned long *)ri->data = regs_get_kernel_argument(regs, 1);
	return 0;
}

static int api_krp_ret(struct mfg_kretprobe_instance *ri, struct pt_regs *regs)
{
	atomic_inc(&api_krp_returns);
	if ((regs_return_value(regs) != 1 && regs_return_value(regs) != 2) ||
	    instruction_pointer(regs) != ri->ret_addr)
		atomic_inc(&api_krp_bad);
	return 0;
}

struct api_coexist {
	struct kretprobe kern[2];
	struct mfg_kretprobe krp[2];
	struct api_user *u;
	struct api_trace plain, traced[2];
};

static void api_coexist_register_kernel(struct kunit *test, struct api_coexist *c)
{
	int i;

	for (i = 0; i < 2; i++) {
		memset(&c->kern[i], 0, sizeof(c->kern[i]));
		c->kern[i].kp.symbol_name = i ? "mfg_api_call" : "mfg_api_outer";
		c->kern[i].handler = api_kern_ret;
		KUNIT_ASSERT_EQ(test, register_kretprobe(&c->kern[i]), 0);
	}
}

static void api_coexist_register_ours(struct kunit *test, struct api_coexist *c)
{
	int i;

	for (i = 0; i < 2; i++) {
		memset(&c->krp[i], 0, sizeof(c->krp[i]));
		c->krp[i].symbol_name = i ? "mfg_api_call" : "mfg_api_outer";
		c->krp[i].entry_handler = api_krp_entry;
		c->krp[i].handler = api_krp_ret;
		/* One inline, one pooled. */
		c->krp[i].data_size = i ? 200 : sizeof(long);
		KUNIT_ASSERT_EQ(test, mfg_register_kretprobe(&c->krp[i]), 0);
	}
	KUNIT_ASSERT_EQ(test, mfg_set_filter(&c->u->ops, "mfg_api_outer", true), 0);
	KUNIT_ASSERT_EQ(test, mfg_set_filter(&c->u->ops, "mfg_api_call", false), 0);
	api_register(test, c->u);
}

static void api_coexist_unregister(struct api_coexist *c, bool kernel, bool ours)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (kernel)
			unregister_kretprobe(&c->kern[i]);
		if (ours)
			mfg_unregister_kretprobe(&c->krp[i]);
	}
	if (ours)
		api_unregister(c->u);
}

/*
 * Calls with every kind of return probe on the same two functions. On
 * x86_64 the return probe registered last swaps its trampoline in last; on
 * arm64 a kretprobe always swaps first (its BRK is at the function's first
 * instruction, before ftrace's call site). Either way the trace is the
 * plain one: mfg_stack_trace_save() sees through rethooks over ours (x86_64)
 * and kretprobes under ours (arm64).
 */
static void api_coexist_calls(struct kunit *test, struct api_coexist *c, struct api_trace *t,
			      const char *order)
{
	int i, wrong = 0;

	atomic_set(&api_kern_returns, 0);
	atomic_set(&api_krp_returns, 0);
	api_clear(c->u);
	for (i = 0; i < API_COEXIST_CALLS; i++)
		wrong += api_trace_through(t) != 2;
	KUNIT_EXPECT_EQ_MSG(test, wrong, 0, "%s", order);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&api_kern_returns), 2 * API_COEXIST_CALLS,
			    "kernel kretprobes, %s", order);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&api_krp_returns), 2 * API_COEXIST_CALLS,
			    "mfg_kretprobes, %s", order);
	KUNIT_EXPECT_EQ_MSG(test, c->krp[0].nmissed + c->krp[1].nmissed, 0, "%s", order);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&c->u->other), 2 * API_COEXIST_CALLS,
			    "mfgraph user entries, %s", order);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&c->u->bad), 0, "%s", order);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&api_kern_bad) + atomic_read(&api_krp_bad), 0,
			    "%s", order);
	/* The stack trace, taken with all those returns outstanding. */
	if (!api_check_trace(test, c->plain.fixed, c->plain.nfixed, t->fixed, t->nfixed, order))
		KUNIT_FAIL(test, "%s: the stack trace is wrong", order);
}

/*
 * The kernel's kretprobes and mfgraph's users and mfg_kretprobes on the
 * same functions at once, registered in both orders: whoever swapped a
 * return address last, every handler sees every return, and a stack trace
 * taken with both kinds of trampoline outstanding is the plain one.
 */
static void api_coexist_kretprobe(struct kunit *test)
{
	struct api_coexist *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, c);
	atomic_set(&api_kern_bad, 0);
	atomic_set(&api_krp_bad, 0);
	c->u = api_new_user(test, true);
	c->u->ops.entryfunc = api_coexist_entry;
	c->u->ops.retfunc = api_coexist_return;
	KUNIT_EXPECT_EQ(test, api_trace_through(&c->plain), 2);

	/* mfgraph first: the kernel's kretprobes swap return addresses first. */
	api_coexist_register_ours(test, c);
	api_coexist_register_kernel(test, c);
	/* (ftrace calls the ops registered last first.) */
	api_coexist_calls(test, c, &c->traced[0], "mfgraph registered first");
	api_coexist_unregister(c, true, true);

	/* The kernel's first. */
	api_coexist_register_kernel(test, c);
	api_coexist_register_ours(test, c);
	api_coexist_calls(test, c, &c->traced[1], "kernel kretprobes registered first");
	api_coexist_unregister(c, true, true);
	kunit_info(test, "kernel kretprobes missed %d and %d\n", c->kern[0].nmissed,
		   c->kern[1].nmissed);
}

#ifdef CONFIG_FPROBE
static atomic_t api_fp_entries, api_fp_exits, api_fp_bad;

static int api_fp_entry(struct fprobe *fp, unsigned long entry_ip, unsigned long ret_ip,
			struct pt_regs *regs, void *data)
{
	atomic_inc(&api_fp_entries);
	return 0;
}

static void api_fp_exit(struct fprobe *fp, unsigned long entry_ip, unsigned long ret_ip,
			struct pt_regs *regs, void *data)
{
	atomic_inc(&api_fp_exits);
	if (regs_return_value(regs) != 1 && regs_return_value(regs) != 2)
		atomic_inc(&api_fp_bad);
}

/* An fprobe (entry and exit) with mfgraph users and mfg_kretprobes. */
static void api_coexist_fprobe(struct kunit *test)
{
	struct api_coexist *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	struct fprobe *fp = kunit_kzalloc(test, sizeof(*fp), GFP_KERNEL);
	unsigned long ips[2];
	int round, i, wrong;

	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_ASSERT_NOT_NULL(test, fp);
	KUNIT_ASSERT_EQ(test, mfg_func_ip("mfg_api_outer", 0, &ips[0]), 0);
	KUNIT_ASSERT_EQ(test, mfg_func_ip("mfg_api_call", 0, &ips[1]), 0);
	c->u = api_new_user(test, true);
	c->u->ops.entryfunc = api_coexist_entry;
	c->u->ops.retfunc = api_coexist_return;
	KUNIT_EXPECT_EQ(test, api_trace_through(&c->plain), 2);
	for (round = 0; round < 2; round++) {
		const char *order = round ? "fprobe first" : "mfgraph first";

		memset(fp, 0, sizeof(*fp));
		fp->entry_handler = api_fp_entry;
		fp->exit_handler = api_fp_exit;
		atomic_set(&api_fp_entries, 0);
		atomic_set(&api_fp_exits, 0);
		atomic_set(&api_fp_bad, 0);
		if (round)
			KUNIT_ASSERT_EQ(test, register_fprobe_ips(fp, ips, 2), 0);
		api_coexist_register_ours(test, c);
		if (!round)
			KUNIT_ASSERT_EQ(test, register_fprobe_ips(fp, ips, 2), 0);
		atomic_set(&api_krp_returns, 0);
		api_clear(c->u);
		for (i = 0, wrong = 0; i < API_COEXIST_CALLS; i++)
			wrong += api_trace_through(&c->traced[round]) != 2;
		KUNIT_EXPECT_EQ_MSG(test, wrong, 0, "%s", order);
		unregister_fprobe(fp);
		api_coexist_unregister(c, false, true);
		KUNIT_EXPECT_EQ_MSG(test, atomic_read(&api_fp_entries), 2 * API_COEXIST_CALLS,
				    "%s", order);
		KUNIT_EXPECT_EQ_MSG(test, atomic_read(&api_fp_exits), 2 * API_COEXIST_CALLS,
				    "%s", order);
		KUNIT_EXPECT_EQ_MSG(test, atomic_read(&api_fp_bad), 0, "%s", order);
		KUNIT_EXPECT_EQ_MSG(test, atomic_read(&api_krp_returns), 2 * API_COEXIST_CALLS,
				    "%s", order);
		KUNIT_EXPECT_EQ_MSG(test, atomic_read(&c->u->other), 2 * API_COEXIST_CALLS,
				    "%s", order);
		KUNIT_EXPECT_EQ_MSG(test, atomic_read(&c->u->bad), 0, "%s", order);
		/* fprobe's exit handler swaps in a rethook too (see api_coexist_calls()). */
		if (!api_check_trace(test, c->plain.fixed, c->plain.nfixed, c->traced[round].fixed,
				     c->traced[round].nfixed, order))
			KUNIT_FAIL(test, "%s: the stack trace is wrong", order);
	}
}
#else
static void api_coexist_fprobe(struct kunit *test)
{
	kunit_skip(test, "CONFIG_FPROBE is off in this kernel (the arm64 test kernels)");
}
#endif

static struct kunit_case api_cases[] = {
	KUNIT_CASE(api_func_ip_errors),
	KUNIT_CASE_SLOW(api_filter_empty_traces_nothing),
	KUNIT_CASE_SLOW(api_filter_star),
	KUNIT_CASE(api_filter_glob),
	KUNIT_CASE(api_filter_remove_registered),
	KUNIT_CASE(api_filter_ftrace_location),
	KUNIT_CASE(api_ret_addr),
	KUNIT_CASE(api_task_var),
	KUNIT_CASE(api_free_filter_registered),
	KUNIT_CASE(api_mixed_timestamps),
	KUNIT_CASE(api_coexist_kretprobe),
	KUNIT_CASE(api_coexist_fprobe),
	KUNIT_CASE_SLOW(api_filter_change_under_load),
	{}
};

static struct kunit_suite api_suite = {
	.name = "mfgraph_api",
	.suite_init = api_suite_init,
	.test_cases = api_cases,
};

kunit_test_suite(api_suite);

MFG_IMPORT_INTERNAL();
MODULE_DESCRIPTION("mfgraph: KUnit suite for the API no other suite calls");
MODULE_LICENSE("GPL");
