/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Included first (-include, Kbuild) in every KUnit suite's source when the
 * kernel has no KUnit (distribution kernels: make check-distro). Where
 * kunit_test_suites() would only put the suites in a section no KUnit
 * reads, it makes them the module's init: mfg_kunit_shim.ko runs them and
 * prints the KTAP KUnit prints, so one test source runs, and is judged
 * (tests/qemu/run.py), on both kinds of kernel. An empty exit lets the
 * module unload again.
 */
#ifndef MFG_KUNIT_SHIM_H
#define MFG_KUNIT_SHIM_H

#include <kunit/test.h>
#include <linux/init.h>
#include <linux/module.h>

int mfg_kunit_shim_run(struct kunit_suite * const *suites, int n, struct module *mod);

/*
 * Before 6.5 (MFG_HAVE_KUNIT_ACTIONS unset, Kbuild probes the headers)
 * KUnit has no deferred actions and no KUNIT_CASE_SLOW: the shim provides
 * them, so the suites need no version tests of their own.
 */
#ifndef MFG_HAVE_KUNIT_ACTIONS
typedef void (kunit_action_t)(void *);
int mfg_kunit_shim_add_action(struct kunit *test, kunit_action_t *action, void *ctx);
#define kunit_add_action_or_reset mfg_kunit_shim_add_action
#endif
#ifndef KUNIT_CASE_SLOW
#define KUNIT_CASE_SLOW(test_name) KUNIT_CASE(test_name)
#endif

/* The rest is for the suites' modules, not for the runner. */
#ifndef MFG_KUNIT_SHIM_RUNNER

/* Defined by kunit_test_suites(), once in each suite's module. */
extern struct kunit_suite *mfg_kunit_shim_suites[];
extern const int mfg_kunit_shim_nr_suites;

static int __init mfg_kunit_shim_init(void)
{
	return mfg_kunit_shim_run(mfg_kunit_shim_suites, mfg_kunit_shim_nr_suites, THIS_MODULE);
}

static void __exit mfg_kunit_shim_exit(void)
{
}

#undef kunit_test_suites
#define kunit_test_suites(...)							\
	struct kunit_suite *mfg_kunit_shim_suites[] = { __VA_ARGS__ };		\
	const int mfg_kunit_shim_nr_suites = ARRAY_SIZE(mfg_kunit_shim_suites);	\
	module_init(mfg_kunit_shim_init);					\
	module_exit(mfg_kunit_shim_exit)

#endif /* !MFG_KUNIT_SHIM_RUNNER */
#endif /* MFG_KUNIT_SHIM_H */
