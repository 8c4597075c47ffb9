// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "mfgraph_unwind": what the kernel's own unwinder sees from
 * inside a traced call whose return address mfgraph swapped for its
 * trampoline (see "Unwinding" in docs/design.md).
 *
 * Each case takes the same traces twice through one call site: once with
 * nobody tracing, once with a user that asked for the traced function's
 * return, so that the frame is outstanding while the traces are taken.
 */
#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/kallsyms.h>
#include <linux/module.h>
#include <linux/stacktrace.h>
#include <linux/string.h>
#ifdef CONFIG_UNWINDER_ORC
#include <asm/unwind.h>
#endif

#include <mfgraph.h>

#include "test_util.h"
#include "unwind_targets.h"

#define MFG_UNWIND_MAX 64

/* Everything taken from inside mfg_unwind_target(). */
struct mfg_unwind_trace {
	unsigned long plain[MFG_UNWIND_MAX];	/* stack_trace_save() */
	unsigned int n_plain;
	unsigned long real[MFG_UNWIND_MAX];	/* mfg_stack_trace_save() */
	unsigned int n_real;
	unsigned long mapped[MFG_UNWIND_MAX];	/* plain through mfg_ret_addr() */
	int reliable;				/* the reliable walk's verdict */
};

#ifdef CONFIG_UNWINDER_ORC
/*
 * What arch_stack_walk_reliable() decides for current, through the ORC
 * unwinder's exported API: neither it nor stack_trace_save_tsk_reliable()
 * is exported in 6.12, but livepatch's consistency check is exactly this.
 */
static noinline int mfg_unwind_walk_reliable(void)
{
	struct unwind_state state;

	for (unwind_start(&state, current, NULL, NULL);
	     !unwind_done(&state) && !unwind_error(&state); unwind_next_frame(&state)) {
		if (unwind_get_entry_regs(&state, NULL))
			return -EINVAL;
		if (!unwind_get_return_address(&state))
			return -EINVAL;
	}
	return unwind_error(&state) ? -EINVAL : 0;
}
#else
static int mfg_unwind_walk_reliable(void)
{
	return -EOPNOTSUPP;
}
#endif

static noinline int mfg_unwind_take(void *arg)
{
	struct mfg_unwind_trace *t = arg;
	unsigned int i;
	int idx = 0;

	t->n_plain = stack_trace_save(t->plain, MFG_UNWIND_MAX, 0);
	t->n_real = mfg_stack_trace_save(t->real, MFG_UNWIND_MAX, 0);
	/* By order: the unwinder meets our frames innermost first. */
	for (i = 0; i < t->n_plain; i++)
		t->mapped[i] = mfg_ret_addr(current, &idx, t->plain[i], NULL);
	t->reliable = mfg_unwind_walk_reliable();
	return 0;
}

static noinline int mfg_unwind_through(struct mfg_unwind_trace *t)
{
	int r = mfg_unwind_target(0, 0, 0, 0, 0, 1, mfg_unwind_take, t);

	/* Not a tail call: this frame must be in the trace. */
	barrier_data(&r);
	return r;
}

struct mfg_unwind_user {
	struct mfg_ops ops;
	atomic_t returns;
};

static int mfg_unwind_entry(const struct mfg_entry *trace, struct mfg_ops *ops,
			    struct ftrace_regs *fregs)
{
	return 1;
}

static void mfg_unwind_return(const struct mfg_return *trace, struct mfg_ops *ops,
			      struct ftrace_regs *fregs)
{
	atomic_inc(&container_of(ops, struct mfg_unwind_user, ops)->returns);
}

static void mfg_unwind_unregister(void *ops)
{
	mfg_unregister(ops);
	mfg_free_filter(ops);
}

/* @base with nobody tracing, then @traced with mfg_unwind_target()'s return outstanding. */
static void mfg_unwind_take_both(struct kunit *test, struct mfg_unwind_trace *base,
				 struct mfg_unwind_trace *traced)
{
	struct mfg_unwind_user *u = kunit_kzalloc(test, sizeof(*u), GFP_KERNEL);
	unsigned long ip = (unsigned long)mfg_unwind_target;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, u);
	u->ops.entryfunc = mfg_unwind_entry;
	u->ops.retfunc = mfg_unwind_return;
	KUNIT_ASSERT_EQ(test, mfg_set_filter_ips(&u->ops, &ip, 1, false, true), 0);
	/* One call site for both, so that the traces can be equal. */
	for (i = 0; i < 2; i++) {
		if (i == 1) {
			KUNIT_ASSERT_EQ(test, mfg_register(&u->ops), 0);
			KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, mfg_unwind_unregister,
									&u->ops), 0);
		}
		KUNIT_ASSERT_EQ(test, mfg_unwind_through(i ? traced : base), 1);
	}
	KUNIT_ASSERT_EQ(test, atomic_read(&u->returns), 1);
}

/* Does @addr name a symbol (not "0x...")? */
static bool mfg_unwind_named(unsigned long addr)
{
	char buf[KSYM_SYMBOL_LEN];

	sprint_symbol(buf, addr);
	return strncmp(buf, "0x", 2) != 0;
}

/* Is @addr the trampoline's first byte, the return address mfgraph swaps in? */
static bool mfg_unwind_is_trampoline(unsigned long addr)
{
	static const char name[] = "mfg_return_trampoline+0x0/";
	char buf[KSYM_SYMBOL_LEN];

	sprint_symbol(buf, addr);
	return !strncmp(buf, name, sizeof(name) - 1);
}

/* Where the caller of mfg_unwind_target() is in a trace taken with nothing outstanding. */
static unsigned int mfg_unwind_caller_index(struct kunit *test, const unsigned long *e,
					    unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (mfg_test_symbol_is(e[i], "mfg_unwind_through"))
			break;
	KUNIT_ASSERT_LT_MSG(test, i, n, "mfg_unwind_through not in the trace");
	KUNIT_ASSERT_GE(test, i, 2U);
	KUNIT_EXPECT_TRUE(test, mfg_test_symbol_is(e[i - 1], "mfg_unwind_target"));
	return i;
}

/*
 * Are @a and @b the same frame? The compiler may give the two calls in
 * mfg_unwind_take_both()'s loop each its own site.
 */
static bool mfg_unwind_same(unsigned long a, unsigned long b)
{
	return a == b || (mfg_test_symbol_is(a, "mfg_unwind_take_both") &&
			  mfg_test_symbol_is(b, "mfg_unwind_take_both"));
}

static void mfg_unwind_print(struct kunit *test, const char *what,
			     const unsigned long *e, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		kunit_info(test, "%s[%u] %pS\n", what, i, (void *)e[i]);
}

/*
 * stack_trace_save() from inside a traced call: the same as with nothing
 * outstanding up to the trampoline address, which stands where the real
 * caller's address was. x86_64 (ORC): nothing after it, since the unwinder
 * cannot know the frame behind it. Elsewhere (frame records): the real
 * callers after it.
 */
static void mfg_unwind_plain_trace(struct kunit *test)
{
	struct mfg_unwind_trace *base = kunit_kzalloc(test, sizeof(*base), GFP_KERNEL);
	struct mfg_unwind_trace *traced = kunit_kzalloc(test, sizeof(*traced), GFP_KERNEL);
	unsigned int i, t;

	KUNIT_ASSERT_NOT_NULL(test, base);
	KUNIT_ASSERT_NOT_NULL(test, traced);
	mfg_unwind_take_both(test, base, traced);
	t = mfg_unwind_caller_index(test, base->plain, base->n_plain);

	for (i = 0; i < base->n_plain; i++)
		KUNIT_EXPECT_TRUE_MSG(test, mfg_unwind_named(base->plain[i]), "base %u", i);
	for (i = 0; i < traced->n_plain; i++)
		KUNIT_EXPECT_TRUE_MSG(test, mfg_unwind_named(traced->plain[i]),
				      "traced %u: %lx", i, traced->plain[i]);

	KUNIT_ASSERT_GT(test, traced->n_plain, t);
	for (i = 0; i < t; i++)
		KUNIT_EXPECT_EQ_MSG(test, traced->plain[i], base->plain[i], "entry %u", i);
	KUNIT_EXPECT_TRUE_MSG(test, mfg_unwind_is_trampoline(traced->plain[t]),
			      "entry %u is %pS", t, (void *)traced->plain[t]);
	/* The real address is there to be had while the call is in progress. */
	KUNIT_EXPECT_EQ(test, traced->mapped[t], base->plain[t]);

	if (IS_ENABLED(CONFIG_UNWINDER_ORC)) {
		/* Stopped at the trampoline: no frame invented past it. */
		KUNIT_EXPECT_EQ(test, traced->n_plain, t + 1);
	} else {
		/* The frame records past it are the real callers'. */
		KUNIT_EXPECT_EQ(test, traced->n_plain, base->n_plain);
		for (i = t + 1; i < min(traced->n_plain, base->n_plain); i++)
			KUNIT_EXPECT_TRUE_MSG(test,
					      mfg_unwind_same(traced->plain[i], base->plain[i]),
					      "entry %u", i);
	}
	if (test->status == KUNIT_FAILURE) {
		mfg_unwind_print(test, "base", base->plain, base->n_plain);
		mfg_unwind_print(test, "traced", traced->plain, traced->n_plain);
	}
}

/* mfg_stack_trace_save() from inside a traced call: the whole real trace. */
static void mfg_unwind_real_trace(struct kunit *test)
{
	struct mfg_unwind_trace *base = kunit_kzalloc(test, sizeof(*base), GFP_KERNEL);
	struct mfg_unwind_trace *traced = kunit_kzalloc(test, sizeof(*traced), GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, base);
	KUNIT_ASSERT_NOT_NULL(test, traced);
	mfg_unwind_take_both(test, base, traced);
	mfg_unwind_caller_index(test, base->real, base->n_real);
	KUNIT_EXPECT_EQ(test, traced->n_real, base->n_real);
	for (i = 0; i < min(traced->n_real, base->n_real); i++)
		KUNIT_EXPECT_TRUE_MSG(test, mfg_unwind_same(traced->real[i], base->real[i]),
				      "entry %u: %pS, not %pS", i, (void *)traced->real[i],
				      (void *)base->real[i]);
}

/*
 * The reliable walk (livepatch's check that a task is not inside a function
 * being patched): it must call a trace through the trampoline unreliable,
 * and succeed without one.
 */
static void mfg_unwind_reliable(struct kunit *test)
{
	struct mfg_unwind_trace *base = kunit_kzalloc(test, sizeof(*base), GFP_KERNEL);
	struct mfg_unwind_trace *traced = kunit_kzalloc(test, sizeof(*traced), GFP_KERNEL);

	if (!IS_ENABLED(CONFIG_UNWINDER_ORC))
		kunit_skip(test, "no reliable stack trace on this arch in 6.12");
	KUNIT_ASSERT_NOT_NULL(test, base);
	KUNIT_ASSERT_NOT_NULL(test, traced);
	mfg_unwind_take_both(test, base, traced);
	KUNIT_EXPECT_EQ(test, base->reliable, 0);
	KUNIT_EXPECT_EQ(test, traced->reliable, -EINVAL);
}

static struct kunit_case mfg_unwind_cases[] = {
	KUNIT_CASE(mfg_unwind_plain_trace),
	KUNIT_CASE(mfg_unwind_real_trace),
	KUNIT_CASE(mfg_unwind_reliable),
	{}
};

static struct kunit_suite mfg_unwind_suite = {
	.name = "mfgraph_unwind",
	.test_cases = mfg_unwind_cases,
};

kunit_test_suite(mfg_unwind_suite);

MODULE_DESCRIPTION("mfgraph KUnit tests: the kernel's unwinder at the trampoline");
MODULE_LICENSE("GPL");
