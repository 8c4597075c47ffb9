/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Has @task's graph tracing been paused (pause_graph_tracing(): around
 * suspend to RAM and hibernation, where return addresses must not change)?
 * The kernel's graph tracer then pushes no frame; neither do we.
 */
#ifndef MFG_WRAPPER_GRAPH_PAUSE_H
#define MFG_WRAPPER_GRAPH_PAUSE_H

#include <linux/atomic.h>
#include <linux/sched.h>

static __always_inline bool mfg_graph_paused(struct task_struct *task)
{
#ifdef CONFIG_FUNCTION_GRAPH_TRACER
	return unlikely(atomic_read(&task->tracing_graph_pause));
#else
	return false;
#endif
}

#endif /* MFG_WRAPPER_GRAPH_PAUSE_H */
