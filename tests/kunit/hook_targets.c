// SPDX-License-Identifier: GPL-2.0
/*
 * Traced targets for the hook tests (see hook_targets.h). This object keeps
 * its fentry / patchable function entries: see Kbuild.
 */
#include <linux/compiler.h>
#include <linux/completion.h>

#include "hook_targets.h"

#define MFG_TARGET __attribute__((__noipa__))

MFG_TARGET int mfg_target_add(int a, int b)
{
	return a + b;
}

MFG_TARGET int mfg_target_other(int a)
{
	return a * 3;
}

MFG_TARGET int mfg_target_leaf(int x)
{
	return x + 1;
}

MFG_TARGET int mfg_target_recurse(int depth)
{
	int (*self)(int depth) = mfg_target_recurse;

	if (depth <= 0)
		return mfg_target_leaf(0);
	/* Hidden from GCC, which turns plain self-recursion into a loop. */
	OPTIMIZER_HIDE_VAR(self);
	return 1 + self(depth - 1);
}

MFG_TARGET int mfg_target_call(int (*fn)(void *arg), void *arg)
{
	return fn(arg) + 1;
}

MFG_TARGET int mfg_target_outer(int (*fn)(void *arg), void *arg)
{
	return mfg_target_call(fn, arg) + 1;
}

MFG_TARGET int mfg_target_sleep(struct completion *wake)
{
	wait_for_completion(wake);
	return 42;
}
