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
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/workqueue.h>
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

/* Where a module's code was: its core and init text. */
struct mfg_module_text {
	unsigned long base[2];
	unsigned long size[2];
};

static inline void mfg_module_text_of(struct mfg_module_text *t, const struct module *mod)
{
#if KERNEL_VERSION(6, 4, 0) <= LINUX_VERSION_CODE
	t->base[0] = (unsigned long)mod->mem[MOD_TEXT].base;
	t->size[0] = mod->mem[MOD_TEXT].size;
	t->base[1] = (unsigned long)mod->mem[MOD_INIT_TEXT].base;
	t->size[1] = mod->mem[MOD_INIT_TEXT].size;
#else
	t->base[0] = (unsigned long)mod->core_layout.base;
	t->size[0] = mod->core_layout.text_size;
	t->base[1] = (unsigned long)mod->init_layout.base;
	t->size[1] = mod->init_layout.text_size;
#endif
}

static inline bool mfg_module_text_has(const struct mfg_module_text *t, unsigned long addr)
{
	return addr - t->base[0] < t->size[0] || addr - t->base[1] < t->size[1];
}

static inline bool mfg_module_text_overlaps(const struct mfg_module_text *t,
					    const struct module *mod)
{
	struct mfg_module_text m;
	int i, j;

	mfg_module_text_of(&m, mod);
	for (i = 0; i < 2; i++)
		for (j = 0; j < 2; j++)
			if (t->size[i] && m.size[j] && t->base[i] < m.base[j] + m.size[j] &&
			    m.base[j] < t->base[i] + t->size[i])
				return true;
	return false;
}

#ifndef CONFIG_TASKS_RUDE_RCU
static inline void mfg_noop_work(struct work_struct *work)
{
}
#endif

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
 *
 * Context: process context, may sleep (for seconds).
 */
static inline void mfg_wait_trampoline_users(void)
{
#ifdef CONFIG_TASKS_RUDE_RCU
	synchronize_rcu_tasks_rude();
#else
	schedule_on_each_cpu(mfg_noop_work);
#endif
	synchronize_rcu_tasks();
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
