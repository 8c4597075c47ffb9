// SPDX-License-Identifier: GPL-2.0
/*
 * mfg_kunit_shim: the part of KUnit's API mfgraph's suites use, for kernels
 * built without KUnit (CONFIG_KUNIT off: Debian's), and a runner that
 * prints the KTAP KUnit prints. Each case runs in a kthread of its own, as
 * in KUnit, so that a failed assertion or kunit_skip() can end it; the
 * suite's exit and the case's deferred actions run after it in another.
 * One case runs at a time.
 */
#include <kunit/test.h>
#include <kunit/resource.h>
#include <linux/completion.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#define MFG_KUNIT_SHIM_RUNNER
#include "kunit_shim.h"

#ifdef MFG_HAVE_KUNIT_ACTIONS
/* KUnit's own name for it (kunit_shim.h maps the name the other way before 6.5). */
#define mfg_kunit_shim_add_action kunit_add_action_or_reset
#endif

struct mfg_shim_action {
	struct list_head node;
	kunit_action_t *fn;
	void *ctx;
};

/* The case running now, and how its thread tells it ended. */
static DEFINE_MUTEX(mfg_shim_mutex);
static struct task_struct *mfg_shim_thread;
static struct completion mfg_shim_done;

/*
 * The assertion formats only identify the kind of assertion here: KUnit's
 * string_stream is private to KUnit. __kunit_do_failed_assertion() prints.
 */
void kunit_fail_assert_format(const struct kunit_assert *assert,
			      const struct va_format *message, struct string_stream *stream)
{
}
EXPORT_SYMBOL_GPL(kunit_fail_assert_format);

void kunit_unary_assert_format(const struct kunit_assert *assert,
			       const struct va_format *message, struct string_stream *stream)
{
}
EXPORT_SYMBOL_GPL(kunit_unary_assert_format);

void kunit_ptr_not_err_assert_format(const struct kunit_assert *assert,
				     const struct va_format *message,
				     struct string_stream *stream)
{
}
EXPORT_SYMBOL_GPL(kunit_ptr_not_err_assert_format);

void kunit_binary_assert_format(const struct kunit_assert *assert,
				const struct va_format *message, struct string_stream *stream)
{
}
EXPORT_SYMBOL_GPL(kunit_binary_assert_format);

void kunit_binary_ptr_assert_format(const struct kunit_assert *assert,
				    const struct va_format *message, struct string_stream *stream)
{
}
EXPORT_SYMBOL_GPL(kunit_binary_ptr_assert_format);

void kunit_binary_str_assert_format(const struct kunit_assert *assert,
				    const struct va_format *message, struct string_stream *stream)
{
}
EXPORT_SYMBOL_GPL(kunit_binary_str_assert_format);

static void mfg_shim_describe(const struct kunit_assert *assert, assert_format_t format)
{
	if (format == kunit_binary_assert_format) {
		const struct kunit_binary_assert *a =
			container_of(assert, struct kunit_binary_assert, assert);

		pr_info("    Expected %s %s %s, but\n        %s == %lld (0x%llx)\n        %s == %lld (0x%llx)\n",
			a->text->left_text, a->text->operation, a->text->right_text,
			a->text->left_text, a->left_value, a->left_value,
			a->text->right_text, a->right_value, a->right_value);
	} else if (format == kunit_binary_ptr_assert_format) {
		const struct kunit_binary_ptr_assert *a =
			container_of(assert, struct kunit_binary_ptr_assert, assert);

		pr_info("    Expected %s %s %s, but\n        %s == %p\n        %s == %p\n",
			a->text->left_text, a->text->operation, a->text->right_text,
			a->text->left_text, a->left_value, a->text->right_text, a->right_value);
	} else if (format == kunit_binary_str_assert_format) {
		const struct kunit_binary_str_assert *a =
			container_of(assert, struct kunit_binary_str_assert, assert);

		pr_info("    Expected %s %s %s, but\n        %s == \"%s\"\n        %s == \"%s\"\n",
			a->text->left_text, a->text->operation, a->text->right_text,
			a->text->left_text, a->left_value, a->text->right_text, a->right_value);
	} else if (format == kunit_unary_assert_format) {
		const struct kunit_unary_assert *a =
			container_of(assert, struct kunit_unary_assert, assert);

		pr_info("    Expected %s to be %s\n", a->condition,
			a->expected_true ? "true" : "false");
	} else if (format == kunit_ptr_not_err_assert_format) {
		const struct kunit_ptr_not_err_assert *a =
			container_of(assert, struct kunit_ptr_not_err_assert, assert);

		pr_info("    Expected %s is not error, but is: %ld\n", a->text,
			IS_ERR(a->value) ? PTR_ERR(a->value) : 0L);
	}
}

static void mfg_shim_failed(struct kunit *test, const struct kunit_loc *loc,
			    enum kunit_assert_type type, const struct kunit_assert *assert,
			    assert_format_t assert_format, const char *fmt, va_list *args)
{
	kunit_set_failure(test);
	pr_info("    # %s: %s FAILED at %s:%d\n", test->name,
		type == KUNIT_ASSERTION ? "ASSERTION" : "EXPECTATION", loc->file, loc->line);
	mfg_shim_describe(assert, assert_format);
	if (fmt) {
		struct va_format vaf = { .fmt = fmt, .va = args };

		pr_info("    %pV\n", &vaf);
	}
}

/* End the case: its thread stops here (KUnit's try-catch throw). */
static void __noreturn mfg_shim_abort(void)
{
	if (current == mfg_shim_thread)
		kthread_complete_and_exit(&mfg_shim_done, 0);
	/*
	 * Another kthread of the test: the failure is recorded; end it
	 * (kthread_exit() itself is not exported in 6.1).
	 */
	kthread_complete_and_exit(NULL, 0);
}

void __noreturn kunit_try_catch_throw(struct kunit_try_catch *try_catch)
{
	mfg_shim_abort();
}
EXPORT_SYMBOL_GPL(kunit_try_catch_throw);

#ifdef MFG_HAVE_KUNIT_ACTIONS
/* 6.5 on: reporting and aborting are two calls. */
void __kunit_do_failed_assertion(struct kunit *test, const struct kunit_loc *loc,
				 enum kunit_assert_type type, const struct kunit_assert *assert,
				 assert_format_t assert_format, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	mfg_shim_failed(test, loc, type, assert, assert_format, fmt, &args);
	va_end(args);
}
EXPORT_SYMBOL_GPL(__kunit_do_failed_assertion);

void __noreturn __kunit_abort(struct kunit *test)
{
	mfg_shim_abort();
}
EXPORT_SYMBOL_GPL(__kunit_abort);
#else
/* Before: one call, which ends the case on a failed assertion. */
void kunit_do_failed_assertion(struct kunit *test, const struct kunit_loc *loc,
			       enum kunit_assert_type type, const struct kunit_assert *assert,
			       assert_format_t assert_format, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	mfg_shim_failed(test, loc, type, assert, assert_format, fmt, &args);
	va_end(args);
	if (type == KUNIT_ASSERTION)
		mfg_shim_abort();
}
EXPORT_SYMBOL_GPL(kunit_do_failed_assertion);
#endif

/* kunit_log() has printed the line already: there is no log to keep. */
#ifdef MFG_HAVE_KUNIT_ACTIONS
void kunit_log_append(struct string_stream *log, const char *fmt, ...)
#else
void kunit_log_append(char *log, const char *fmt, ...)
#endif
{
}
EXPORT_SYMBOL_GPL(kunit_log_append);

/* kunit_add_action_or_reset() (6.5 on; kunit_shim.h maps it here before). */
int mfg_kunit_shim_add_action(struct kunit *test, kunit_action_t *action, void *ctx)
{
	struct mfg_shim_action *a = kmalloc(sizeof(*a), GFP_KERNEL);
	unsigned long flags;

	if (!a) {
		action(ctx);
		return -ENOMEM;
	}
	a->fn = action;
	a->ctx = ctx;
	spin_lock_irqsave(&test->lock, flags);
	list_add(&a->node, &test->resources);
	spin_unlock_irqrestore(&test->lock, flags);
	return 0;
}
EXPORT_SYMBOL_GPL(mfg_kunit_shim_add_action);

static void mfg_shim_kfree(void *p)
{
	kfree(p);
}

void *kunit_kmalloc_array(struct kunit *test, size_t n, size_t size, gfp_t gfp)
{
	void *p = kmalloc_array(n, size, gfp);

	if (p && kunit_add_action_or_reset(test, mfg_shim_kfree, p))
		return NULL;
	return p;
}
EXPORT_SYMBOL_GPL(kunit_kmalloc_array);

/* Newest first, as KUnit releases resources. */
static void mfg_shim_run_actions(struct kunit *test)
{
	struct mfg_shim_action *a;
	unsigned long flags;

	for (;;) {
		spin_lock_irqsave(&test->lock, flags);
		a = list_first_entry_or_null(&test->resources, struct mfg_shim_action, node);
		if (a)
			list_del(&a->node);
		spin_unlock_irqrestore(&test->lock, flags);
		if (!a)
			return;
		a->fn(a->ctx);
		kfree(a);
	}
}

struct mfg_shim_case {
	struct kunit_suite *suite;
	struct kunit_case *c;
	struct kunit *test;
	bool exit_phase;
};

static int mfg_shim_thread_fn(void *data)
{
	struct mfg_shim_case *sc = data;
	struct kunit *test = sc->test;

	if (sc->exit_phase) {
		if (sc->suite->exit)
			sc->suite->exit(test);
		mfg_shim_run_actions(test);
	} else if (sc->suite->init && sc->suite->init(test)) {
		kunit_set_failure(test);
		pr_info("    # %s: initialization failed\n", test->name);
	} else {
		sc->c->run_case(test);
	}
	kthread_complete_and_exit(&mfg_shim_done, 0);
}

static void mfg_shim_in_thread(struct mfg_shim_case *sc)
{
	struct task_struct *t;

	init_completion(&mfg_shim_done);
	t = kthread_create(mfg_shim_thread_fn, sc, "kunit_try_catch");
	if (IS_ERR(t)) {
		kunit_set_failure(sc->test);
		return;
	}
	mfg_shim_thread = t;
	wake_up_process(t);
	wait_for_completion(&mfg_shim_done);
	mfg_shim_thread = NULL;
}

/* Run one case (or one parameter of one) on a fresh struct kunit. */
static enum kunit_status mfg_shim_run_one(struct kunit_suite *suite, struct kunit_case *c,
					  const void *param, int index, char *comment)
{
	struct kunit *test = kzalloc(sizeof(*test), GFP_KERNEL);
	struct mfg_shim_case sc = { .suite = suite, .c = c, .test = test };
	enum kunit_status status;

	if (!test)
		return KUNIT_FAILURE;
	test->name = c->name;
	test->param_value = param;
	test->param_index = index;
	test->status = KUNIT_SUCCESS;
	spin_lock_init(&test->lock);
	INIT_LIST_HEAD(&test->resources);
	mfg_shim_in_thread(&sc);
	sc.exit_phase = true;
	mfg_shim_in_thread(&sc);
	status = READ_ONCE(test->status);
	strscpy(comment, test->status_comment, KUNIT_STATUS_COMMENT_SIZE);
	kfree(test);
	return status;
}

static void mfg_shim_result(int indent, enum kunit_status status, int n, const char *name,
			    const char *comment)
{
	if (status == KUNIT_SKIPPED)
		pr_info("%*sok %d %s # SKIP %s\n", indent, "", n, name, comment);
	else
		pr_info("%*s%s %d %s\n", indent, "", status == KUNIT_FAILURE ? "not ok" : "ok", n,
			name);
}

static enum kunit_status mfg_shim_run_suite(struct kunit_suite *suite, struct module *mod,
					    char *comment, char *desc)
{
	enum kunit_status suite_status = KUNIT_SKIPPED;
	struct kunit_case *c;
	int n = 0, i;

	for (c = suite->test_cases; c->run_case; c++)
		n++;
	pr_info("    KTAP version 1\n");
	pr_info("    # Subtest: %s\n", suite->name);
	pr_info("    # module: %s\n", mod->name);
	pr_info("    1..%d\n", n);
	if (suite->suite_init && suite->suite_init(suite)) {
		for (i = 1, c = suite->test_cases; c->run_case; c++, i++)
			mfg_shim_result(4, KUNIT_FAILURE, i, c->name, "");
		return KUNIT_FAILURE;
	}
	for (i = 1, c = suite->test_cases; c->run_case; c++, i++) {
		enum kunit_status status;

		if (!c->generate_params) {
			status = mfg_shim_run_one(suite, c, NULL, 0, comment);
		} else {
			const void *param = c->generate_params(NULL, desc);
			int p = 0;

			status = KUNIT_SKIPPED;
			pr_info("        KTAP version 1\n");
			pr_info("        # Subtest: %s\n", c->name);
			for (; param; param = c->generate_params(param, desc)) {
				enum kunit_status s;

				if (!desc[0])
					snprintf(desc, KUNIT_PARAM_DESC_SIZE, "param-%d", p);
				s = mfg_shim_run_one(suite, c, param, p, comment);
				mfg_shim_result(8, s, ++p, desc, comment);
				if (s == KUNIT_FAILURE)
					status = KUNIT_FAILURE;
				else if (s == KUNIT_SUCCESS && status == KUNIT_SKIPPED)
					status = KUNIT_SUCCESS;
				desc[0] = '\0';
			}
			comment[0] = '\0';
		}
		mfg_shim_result(4, status, i, c->name, comment);
		if (status == KUNIT_FAILURE)
			suite_status = KUNIT_FAILURE;
		else if (status == KUNIT_SUCCESS && suite_status == KUNIT_SKIPPED)
			suite_status = KUNIT_SUCCESS;
	}
	if (suite->suite_exit)
		suite->suite_exit(suite);
	return suite_status;
}

/**
 * mfg_kunit_shim_run() - run @mod's KUnit suites and print their KTAP
 * @suites: the suites
 * @n: how many
 * @mod: the module they are in
 *
 * Context: process context (module init), may sleep.
 * Return: 0 (failures are in the KTAP), or -ENOMEM.
 */
int mfg_kunit_shim_run(struct kunit_suite * const *suites, int n, struct module *mod)
{
	char *comment = kzalloc(KUNIT_STATUS_COMMENT_SIZE, GFP_KERNEL);
	char *desc = kzalloc(KUNIT_PARAM_DESC_SIZE, GFP_KERNEL);
	int i;

	if (!comment || !desc) {
		kfree(comment);
		kfree(desc);
		return -ENOMEM;
	}
	mutex_lock(&mfg_shim_mutex);
	pr_info("KTAP version 1\n");
	pr_info("1..%d\n", n);
	for (i = 0; i < n; i++) {
		enum kunit_status s = mfg_shim_run_suite(suites[i], mod, comment, desc);

		mfg_shim_result(0, s, i + 1, suites[i]->name, "");
	}
	mutex_unlock(&mfg_shim_mutex);
	kfree(comment);
	kfree(desc);
	return 0;
}
EXPORT_SYMBOL_GPL(mfg_kunit_shim_run);

MODULE_DESCRIPTION("KUnit's API and runner for mfgraph's suites on kernels without KUnit");
MODULE_LICENSE("GPL");
