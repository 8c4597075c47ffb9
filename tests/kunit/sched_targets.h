/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Functions the scheduling suite traces (sched_targets.c): built with
 * ftrace instrumentation and kept out of the compiler's inter-procedural
 * reach, so that each call really happens. Each takes the caller's record
 * as its second argument, for the entry callbacks to find.
 */
#ifndef MFG_SCHED_TARGETS_H
#define MFG_SCHED_TARGETS_H

struct mfg_sched_rec;

/* fn(rec) + 1: the outer traced call. */
int mfg_sched_call(int (*fn)(struct mfg_sched_rec *rec), struct mfg_sched_rec *rec);
/* fn(rec) + 2: a traced call nested in mfg_sched_call(). */
int mfg_sched_inner(int (*fn)(struct mfg_sched_rec *rec), struct mfg_sched_rec *rec);
/* x * 3 + 1: what the busy threads call in a loop. */
int mfg_sched_busy(int x, struct mfg_sched_rec *rec);

#endif /* MFG_SCHED_TARGETS_H */
