// SPDX-License-Identifier: GPL-2.0
/*
 * Traced target for the unwind tests (see unwind_targets.h). This object
 * keeps its fentry / patchable function entries: see Kbuild.
 */
#include "unwind_targets.h"

__attribute__((__noipa__)) int mfg_unwind_target(long a, long b, long c, long d, long e, long f,
						 int (*fn)(void *arg), void *arg)
{
	return fn(arg) + a + b + c + d + e + f;
}
