// SPDX-License-Identifier: GPL-2.0
/*
 * Traced targets for the hook tests (see hook_targets.h). This object keeps
 * its fentry / patchable function entries: see Kbuild.
 */
#include <linux/compiler.h>
#include <linux/completion.h>

#include "hook_targets.h"

#define MFG_TARGET __attribute__((__noipa__))

int mfg_target_recurse(int depth);

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

/* Called through a volatile pointer: GCC turns plain self-recursion into a loop. */
static int (*volatile mfg_recurse_fn)(int depth) = mfg_target_recurse;

MFG_TARGET int mfg_target_recurse(int depth)
{
	if (depth <= 0)
		return mfg_target_leaf(0);
	return 1 + mfg_recurse_fn(depth - 1);
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
