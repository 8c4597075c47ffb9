// SPDX-License-Identifier: GPL-2.0
/*
 * Traced targets for the scheduling suite (see sched_targets.h). This
 * object keeps its fentry / patchable function entries: see Kbuild.
 */
#include <linux/compiler.h>

#include "sched_targets.h"

#define MFG_TARGET __attribute__((__noipa__))

MFG_TARGET int mfg_sched_call(int (*fn)(struct mfg_sched_rec *rec), struct mfg_sched_rec *rec)
{
	return fn(rec) + 1;
}

MFG_TARGET int mfg_sched_inner(int (*fn)(struct mfg_sched_rec *rec), struct mfg_sched_rec *rec)
{
	return fn(rec) + 2;
}

MFG_TARGET int mfg_sched_busy(int x, struct mfg_sched_rec *rec)
{
	return x * 3 + 1;
}
