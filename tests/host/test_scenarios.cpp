// SPDX-License-Identifier: GPL-2.0
//
// The shared core scenarios (tests/core/scenarios.cpp) as GoogleTest cases:
// one test per scenario, the same code the KUnit suite runs in the kernel.
#include <gtest/gtest.h>

#include <string>

#include "../core/check.h"

namespace {

void report(void *, const char *file, int line, const char *what)
{
	ADD_FAILURE_AT(file, line) << what;
}

class CoreScenario : public ::testing::TestWithParam<unsigned> {};

TEST_P(CoreScenario, Passes)
{
	mfg_check check{report, nullptr, 0};
	mfg_core_scenario_run(GetParam(), &check);
	EXPECT_EQ(check.failures, 0u);
}

INSTANTIATE_TEST_SUITE_P(Core, CoreScenario, ::testing::Range(0u, mfg_core_scenario_count()),
			 [](const ::testing::TestParamInfo<unsigned> &info) {
				 return std::string(mfg_core_scenario_name(info.param));
			 });

TEST(CoreScenarioTable, NamesAreUniqueAndPresent)
{
	const unsigned n = mfg_core_scenario_count();
	ASSERT_GE(n, 10u);
	for (unsigned i = 0; i < n; i++) {
		ASSERT_NE(mfg_core_scenario_name(i), nullptr);
		for (unsigned j = 0; j < i; j++)
			EXPECT_STRNE(mfg_core_scenario_name(i), mfg_core_scenario_name(j));
	}
	EXPECT_EQ(mfg_core_scenario_name(n), nullptr);
}

} // namespace
