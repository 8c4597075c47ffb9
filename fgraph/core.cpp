// SPDX-License-Identifier: GPL-2.0
//
// The engine's global state. Everything here is constant-initialised
// (constinit): a module runs no C++ constructors at load.
#include "core.h"

#include "func_map.h"
#include "registry.h"
#include "shadow_stack.h"

namespace mfg {
namespace {

constinit Registry<> g_registry;

} // namespace
} // namespace mfg

extern "C" void mfg_core_describe(struct mfg_core_info *info)
{
	using Stack = mfg::ShadowStack<>;
	info->max_users = mfg::Registry<>::kSlots;
	info->stack_bytes = MFG_SHADOW_STACK_BYTES;
	info->stack_words = Stack::kWords;
	info->max_depth = Stack::kMaxDepth;
	info->max_data_words = MFG_MAX_DATA_WORDS;
	info->header_words = mfg::kHeaderWords;
	info->cplusplus = __cplusplus;
}

extern "C" unsigned long long mfg_core_live_users(void)
{
	return mfg::g_registry.live_mask();
}
