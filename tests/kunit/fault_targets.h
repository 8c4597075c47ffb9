/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Functions the fault injection suite traces (fault_targets.c): built with
 * ftrace instrumentation and kept out of the compiler's inter-procedural
 * reach, so that each call really happens. Nothing else calls them.
 */
#ifndef MFG_FAULT_TARGETS_H
#define MFG_FAULT_TARGETS_H

int mfg_fault_a(int x);
int mfg_fault_b(int x);
int mfg_fault_c(int x);

#endif /* MFG_FAULT_TARGETS_H */
