/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Wait until no CPU and no task can still be executing mfgraph's return
 * path, as ftrace does before it frees a dynamic trampoline
 * (ftrace_shutdown()). The caller has made sure no new frame can be pushed
 * and none is left to pop.
 *
 * Rude RCU (a schedule on every CPU) waits out code that runs with
 * preemption disabled where RCU is not watching (idle entry and exit, early
 * interrupt entry), which synchronize_rcu() does not see. Tasks RCU waits
 * for every task to switch voluntarily or run in user space: a task
 * preempted in the trampoline or in the handler's tail, after its last
 * frame popped, has done neither. Without PREEMPTION no task can be
 * preempted there and synchronize_rcu_tasks() is synchronize_rcu().
 * FUNCTION_TRACER selects TASKS_RUDE_RCU since 5.8; before that, do what
 * it does.
 */
#ifndef MFG_WRAPPER_TRAMPOLINE_USERS_H
#define MFG_WRAPPER_TRAMPOLINE_USERS_H

#include <linux/rcupdate.h>
#include <linux/workqueue.h>

#ifndef CONFIG_TASKS_RUDE_RCU
static inline void mfg_noop_work(struct work_struct *work)
{
}
#endif

/* Context: process context, may sleep (for seconds). */
static inline void mfg_wait_trampoline_users(void)
{
#ifdef CONFIG_TASKS_RUDE_RCU
	synchronize_rcu_tasks_rude();
#else
	schedule_on_each_cpu(mfg_noop_work);
#endif
	synchronize_rcu_tasks();
}

#endif /* MFG_WRAPPER_TRAMPOLINE_USERS_H */
