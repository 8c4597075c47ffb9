// SPDX-License-Identifier: GPL-2.0
/*
 * Traced targets for the fault injection suite (see fault_targets.h). This
 * object keeps its fentry / patchable function entries: see Kbuild.
 */
#include <linux/compiler.h>

#include "fault_targets.h"

#define MFG_TARGET __attribute__((__noipa__))

MFG_TARGET int mfg_fault_a(int x)
{
	return x + 1;
}

MFG_TARGET int mfg_fault_b(int x)
{
	return x + 2;
}

MFG_TARGET int mfg_fault_c(int x)
{
	return x + 3;
}
