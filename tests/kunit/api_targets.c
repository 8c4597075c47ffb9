// SPDX-License-Identifier: GPL-2.0
/*
 * Traced targets for the API suite (see api_targets.h). This object keeps
 * its fentry / patchable function entries: see Kbuild.
 */
#include <linux/compiler.h>

#include "api_targets.h"

#define MFG_TARGET __attribute__((__noipa__))

MFG_TARGET int mfg_api_a(int x)
{
	return x + 1;
}

MFG_TARGET int mfg_api_b(int x)
{
	return x + 2;
}

MFG_TARGET int mfg_api_c(int x)
{
	return x + 3;
}

#define MFG_API_GLOB(n)				\
	MFG_TARGET static int mfg_api_g_##n(int x)	\
	{					\
		return x + (n);		\
	}
MFG_API_GLOB(0)
MFG_API_GLOB(1)
MFG_API_GLOB(2)
MFG_API_GLOB(3)
MFG_API_GLOB(4)
MFG_API_GLOB(5)
MFG_API_GLOB(6)
MFG_API_GLOB(7)

int (*const mfg_api_glob_fns[MFG_API_NR_GLOB])(int x) = {
	mfg_api_g_0, mfg_api_g_1, mfg_api_g_2, mfg_api_g_3,
	mfg_api_g_4, mfg_api_g_5, mfg_api_g_6, mfg_api_g_7,
};

MFG_TARGET int mfg_api_call(int (*fn)(void *arg), void *arg)
{
	return fn(arg) + 1;
}

MFG_TARGET int mfg_api_outer(int (*fn)(void *arg), void *arg)
{
	return mfg_api_call(fn, arg) + 1;
}

MFG_TARGET static int mfg_api_dup(int x)
{
	return x + 10;
}

MFG_TARGET int mfg_api_dup_here(int x)
{
	return mfg_api_dup(x);
}
