/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Functions the hook tests trace. They live in their own object, the only
 * one of ours built with ftrace instrumentation, and are kept out of the
 * compiler's inter-procedural reach so that each call really happens.
 */
#ifndef MFG_HOOK_TARGETS_H
#define MFG_HOOK_TARGETS_H

#include <linux/completion.h>

int mfg_target_add(int a, int b);
int mfg_target_other(int a);
int mfg_target_leaf(int x);
int mfg_target_recurse(int depth);
int mfg_target_call(int (*fn)(void *arg), void *arg);
int mfg_target_outer(int (*fn)(void *arg), void *arg);
int mfg_target_sleep(struct completion *wake);

#endif /* MFG_HOOK_TARGETS_H */
