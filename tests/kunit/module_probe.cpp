// SPDX-License-Identifier: GPL-2.0
//
// The C++ half of the mfgraph_module suite: what this module's own compile
// of the core headers says, and the core's scope guards driven from C++.
#include "module_probe.h"

#include "../../fgraph/registry.h"
#include "../../fgraph/shadow_stack.h"
#include "../../fgraph/task_stack.h"

extern "C" void mfg_probe_expected_info(struct mfg_core_info *info)
{
	info->max_users = mfg::Registry<>::kSlots;
	info->stack_bytes = MFG_SHADOW_STACK_BYTES;
	info->stack_words = mfg::TaskStack::Frames::kWords;
	info->max_depth = mfg::TaskStack::Frames::kMaxDepth;
	info->max_data_words = MFG_MAX_DATA_WORDS;
	info->header_words = mfg::kHeaderWords;
	info->cplusplus = __cplusplus;
}

extern "C" void mfg_probe_under_guards(void (*fn)(void *arg), void *arg)
{
	mfg::ktl::PreemptGuard no_preempt;
	mfg::ktl::RcuReadGuard rcu;
	fn(arg);
}
