/* SPDX-License-Identifier: GPL-2.0 */
/* Functions the kretprobe tests probe (see krp_targets.c). */
#ifndef MFG_KRP_TARGETS_H
#define MFG_KRP_TARGETS_H

#include <linux/completion.h>

int krp_target_value(int x);
int krp_target_other(int x);
int krp_target_inner(int (*fn)(void *arg), void *arg);
int krp_target_outer(int (*fn)(void *arg), void *arg);
int krp_target_nap(int x);
int krp_target_wait(struct completion *wake);
int krp_target_recurse(int n);
int krp_target_exit(int (*fn)(void *arg), void *arg);

#endif /* MFG_KRP_TARGETS_H */
