/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Is RCU watching this CPU?
 *
 * rcu_is_watching() is an out-of-line call that disables preemption around
 * one per-CPU read; where context tracking keeps that state (every
 * TREE_RCU kernel), read it inline: rcu_is_watching_curr_cpu() where the
 * headers have it (probed), else !rcu_dynticks_curr_cpu_in_eqs() (6.1).
 */
#ifndef MFG_WRAPPER_RCU_H
#define MFG_WRAPPER_RCU_H

#include <linux/context_tracking.h>
#include <linux/rcupdate.h>

/* Context: preemption disabled. */
static __always_inline bool mfg_rcu_is_watching_here(void)
{
#if !defined(CONFIG_CONTEXT_TRACKING_IDLE)
	return rcu_is_watching();
#elif defined(MFG_HAVE_RCU_IS_WATCHING_CURR_CPU)
	return rcu_is_watching_curr_cpu();
#else
	return !rcu_dynticks_curr_cpu_in_eqs();
#endif
}

#endif /* MFG_WRAPPER_RCU_H */
