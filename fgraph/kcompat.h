/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel API differences across versions, in one place. Everything in the C
 * glue that depends on the kernel version goes through here.
 */
#ifndef MFG_KCOMPAT_H
#define MFG_KCOMPAT_H

#include <linux/context_tracking.h>
#include <linux/export.h>
#include <linux/ftrace.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/version.h>

/*
 * The engine's internal symbols (the C++ core's kernel interface) are
 * exported to mfgraph's own test modules only, in a symbol namespace.
 * Namespaces became string literals in 6.13.
 */
#if KERNEL_VERSION(6, 13, 0) <= LINUX_VERSION_CODE
#define EXPORT_SYMBOL_MFG_INTERNAL(sym) EXPORT_SYMBOL_NS_GPL(sym, "MFGRAPH_INTERNAL")
#define MFG_IMPORT_INTERNAL() MODULE_IMPORT_NS("MFGRAPH_INTERNAL")
#else
#define EXPORT_SYMBOL_MFG_INTERNAL(sym) EXPORT_SYMBOL_NS_GPL(sym, MFGRAPH_INTERNAL)
#define MFG_IMPORT_INTERNAL() MODULE_IMPORT_NS(MFGRAPH_INTERNAL)
#endif

/*
 * A user's filter is a private ftrace_ops that is never registered: ftrace
 * resolves names, globs and addresses into its filter hash, and we read the
 * functions back from there (mfg_ftrace_ops_ips(), mfg_ftrace_ops_count()).
 * struct ftrace_hash is private to kernel/trace: its layout, checked at
 * load and read without faulting, is in ftrace_hash.c.
 */
#include "ftrace_hash.h"

/*
 * Is RCU watching this CPU? rcu_is_watching() is an out-of-line call that
 * disables preemption around one per-CPU read; where context tracking
 * keeps that state (every TREE_RCU kernel), read it inline.
 * Context: preemption disabled.
 */
static __always_inline bool mfg_rcu_is_watching_here(void)
{
#ifdef CONFIG_CONTEXT_TRACKING_IDLE
	return rcu_is_watching_curr_cpu();
#else
	return rcu_is_watching();
#endif
}

/*
 * Has @task's graph tracing been paused (pause_graph_tracing(): around
 * suspend to RAM and hibernation, where return addresses must not change)?
 * The kernel's graph tracer then pushes no frame; neither do we.
 */
static __always_inline bool mfg_graph_paused(struct task_struct *task)
{
#ifdef CONFIG_FUNCTION_GRAPH_TRACER
	return unlikely(atomic_read(&task->tracing_graph_pause));
#else
	return false;
#endif
}

#endif /* MFG_KCOMPAT_H */
