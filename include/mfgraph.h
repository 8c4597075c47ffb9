/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mfgraph: a multi-user function-graph tracing engine.
 *
 * The public C API other kernel modules compile against. Several independent
 * users hook function entry and return at once; each return is delivered
 * through a per-task shadow stack to exactly the users that asked for it,
 * and never to a user that unregistered since, nor to a later user of the
 * same registry slot.
 *
 * A user fills in a zeroed struct mfg_ops (see mfgraph_abi.h), selects
 * functions with mfg_set_filter() or mfg_set_filter_ips(), and registers.
 */
#ifndef MFGRAPH_H
#define MFGRAPH_H

#include <linux/types.h>

#include "mfgraph_abi.h"

struct task_struct;

int mfg_register(struct mfg_ops *ops);
void mfg_unregister(struct mfg_ops *ops);

int mfg_set_filter(struct mfg_ops *ops, const char *glob, bool reset);
int mfg_set_filter_ips(struct mfg_ops *ops, unsigned long *ips, unsigned int n, bool remove,
		       bool reset);
void mfg_free_filter(struct mfg_ops *ops);

void *mfg_reserve_data(int size);
void *mfg_retrieve_data(int *size);
void *mfg_retrieve_parent_data(int depth, int *size);
unsigned long *mfg_task_var(struct mfg_ops *ops);

unsigned long mfg_ret_addr(struct task_struct *task, int *idx, unsigned long ret,
			   unsigned long *retp);
unsigned int mfg_stack_trace_save(unsigned long *store, unsigned int size, unsigned int skipnr);

void mfg_get_stats(struct mfg_stats *stats);

/**
 * mfg_get_core_info() - describe the engine's build-time layout
 * @info: filled in with the limits the loaded engine was compiled with
 *
 * Lets a client check that it was built against the same layout as the
 * mfgraph.ko it runs with (shadow stack size, user slots, data limits).
 *
 * Context: Any context.
 */
void mfg_get_core_info(struct mfg_core_info *info);

#endif /* MFGRAPH_H */
