/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the C glue's files share. Each file says one thing:
 *
 *   hook.c       the tracing path: the ftrace_ops callback, the return handler
 *   filter.c     users' filters and the hook's own ftrace filter
 *   register.c   registration, unregistration, the users' statistics
 *   lifecycle.c  per-task stacks: pool refill, task exit, drain
 *   data.c       the per-call and per-task data API
 *   unwind.c     the unwinder API
 *   main.c       module load and unload, debugfs
 *
 * Locking: mfg_mutex serialises registration, filters and the lifecycle.
 */
#ifndef MFG_HOOK_H
#define MFG_HOOK_H

#include <linux/ftrace.h>
#include <linux/mutex.h>
#include <linux/preempt.h>
#include <linux/sched.h>

#include <mfgraph.h>

#include "core.h"
#include "kcompat.h"

extern struct mutex mfg_mutex;
/* The drain is handing frames back: see lifecycle.c and unwind.c. */
extern bool mfg_releasing;
/* Live users, by slot; mfg_mutex. */
extern struct mfg_ops *mfg_users[MFG_MAX_USERS];
extern unsigned int mfg_nr_users;

/* hook.c */
extern struct ftrace_ops mfg_hook_ops;
/* arch/<arch>/return_trampoline.S: where swapped returns go. */
void mfg_return_trampoline(void);

/* The interrupt context we run in: see mfg_core_ctx.irq_ctx. */
static __always_inline unsigned int mfg_irq_ctx(void)
{
	return preempt_count() & (NMI_MASK | HARDIRQ_MASK | SOFTIRQ_OFFSET);
}

/* Context: preemption disabled (the RCU state read is the local CPU's). */
static __always_inline void mfg_ctx_of(struct mfg_core_ctx *ctx, struct task_struct *task,
				       unsigned int cpu)
{
	ctx->task = task;
	ctx->cpu = cpu;
	ctx->irq_ctx = mfg_irq_ctx();
	ctx->rcu_watching = mfg_rcu_is_watching_here();
}

/* filter.c; mfg_mutex held */
int mfg_update_hook_locked(void);
bool mfg_is_registered(struct mfg_ops *ops);
void mfg_filter_describe(struct mfg_ops *ops, bool *all, unsigned long *size);
bool mfg_hook_is_registered(bool *all);
int mfg_filters_init(void);
void mfg_filters_exit(void);

/* lifecycle.c */
void mfg_request_refill(void);	/* tracing path */
int mfg_start_locked(void);
void mfg_stop_locked(void);
void mfg_lifecycle_init(void);
void mfg_lifecycle_exit(void);

/* register.c: a snapshot for debugfs, copied under mfg_mutex. */
struct mfg_hook_user {
	bool live;
	void *entryfunc;	/* copies: @ops may be gone once the lock drops */
	void *retfunc;
	unsigned long long generation;
	bool filter_all;
	unsigned long filter_size;
	struct mfg_core_stats counts;
};

struct mfg_hook_stats {
	unsigned int nr_users;
	bool hook_registered;
	bool hook_all;
	bool started;
	unsigned int functions;	/* in the published function map */
	struct mfg_hook_user users[MFG_MAX_USERS];
};

/* May sleep. */
void mfg_hook_stats(struct mfg_hook_stats *st);
/* For mfgraph's own tests (MFGRAPH_INTERNAL): undo a kill, no user left. */
int mfg_test_revive(void);

int mfg_hook_init(void);
void mfg_hook_exit(void);

#endif /* MFG_HOOK_H */
