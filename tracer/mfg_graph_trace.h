/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The trace events of mfg_graph: one per traced entry and one per traced
 * return, written to the top-level ring buffer as any trace event is, so
 * that `cat trace`, trace-cmd and perf read them as they are.
 *
 * Timestamps are trace_clock_local() (the ring buffer's default "local"
 * clock), in ns.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM mfgraph

#if !defined(MFG_GRAPH_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define MFG_GRAPH_TRACE_H

#include <linux/tracepoint.h>

TRACE_EVENT(graph_entry,
	    TP_PROTO(unsigned int instance, unsigned int depth, unsigned long func),
	    TP_ARGS(instance, depth, func),
	    TP_STRUCT__entry(__field(unsigned int, instance)
			     __field(unsigned int, depth)
			     __field(unsigned long, func)),
	    TP_fast_assign(__entry->instance = instance;
			   __entry->depth = depth;
			   __entry->func = func;),
	    TP_printk("inst=%u depth=%u %ps",
		      __entry->instance, __entry->depth, (void *)__entry->func)
);

TRACE_EVENT(graph_return,
	    TP_PROTO(unsigned int instance, unsigned int depth, unsigned long func,
		     unsigned long retval, unsigned int has_retval, u64 calltime, u64 rettime),
	    TP_ARGS(instance, depth, func, retval, has_retval, calltime, rettime),
	    TP_STRUCT__entry(__field(unsigned int, instance)
			     __field(unsigned int, depth)
			     __field(unsigned long, func)
			     __field(unsigned long, retval)
			     __field(unsigned int, has_retval)
			     __field(u64, calltime)
			     __field(u64, rettime)),
	    TP_fast_assign(__entry->instance = instance;
			   __entry->depth = depth;
			   __entry->func = func;
			   __entry->retval = retval;
			   __entry->has_retval = has_retval;
			   __entry->calltime = calltime;
			   __entry->rettime = rettime;),
	    TP_printk("inst=%u depth=%u %ps dur=%llu ns ret=0x%lx has_ret=%u",
		      __entry->instance, __entry->depth, (void *)__entry->func,
		      __entry->rettime - __entry->calltime, __entry->retval,
		      __entry->has_retval)
);

#endif /* MFG_GRAPH_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE mfg_graph_trace
#include <trace/define_trace.h>
