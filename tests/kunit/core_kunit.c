// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "mfgraph_core": the engine core's scenarios (tests/core/)
 * inside the kernel, compiled with the kernel's flags, one parameterised
 * case per scenario. The same scenarios run on the host under GoogleTest.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/string.h>

#include "../../fgraph/kcompat.h"
#include "../core/check.h"

static void mfg_kunit_fail(void *ctx, const char *file, int line, const char *what)
{
	struct kunit *test = ctx;

	KUNIT_FAIL(test, "%s:%d: expected: %s", file, line, what);
}

/* Parameters are scenario index + 1, so that index 0 is not a NULL end mark. */
static const void *mfg_scenario_gen(const void *prev, char *desc)
{
	unsigned long next = (unsigned long)prev;

	if (next >= mfg_core_scenario_count())
		return NULL;
	strscpy(desc, mfg_core_scenario_name(next), KUNIT_PARAM_DESC_SIZE);
	return (const void *)(next + 1);
}

static void mfg_core_scenario(struct kunit *test)
{
	unsigned int index = (unsigned long)test->param_value - 1;
	struct mfg_check check = { .fail = mfg_kunit_fail, .ctx = test };

	mfg_core_scenario_run(index, &check);
	KUNIT_EXPECT_EQ(test, check.failures, 0U);
}

static void mfg_core_scenarios_present(struct kunit *test)
{
	KUNIT_EXPECT_GE(test, mfg_core_scenario_count(), 10U);
	KUNIT_EXPECT_NULL(test, mfg_core_scenario_name(mfg_core_scenario_count()));
}

static struct kunit_case mfg_core_cases[] = {
	KUNIT_CASE(mfg_core_scenarios_present),
	KUNIT_CASE_PARAM(mfg_core_scenario, mfg_scenario_gen),
	{}
};

static struct kunit_suite mfg_core_suite = {
	.name = "mfgraph_core",
	.test_cases = mfg_core_cases,
};

kunit_test_suite(mfg_core_suite);

MFG_IMPORT_INTERNAL();
MODULE_DESCRIPTION("mfgraph: KUnit suite for the engine core");
MODULE_LICENSE("GPL");
