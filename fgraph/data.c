// SPDX-License-Identifier: GPL-2.0
/*
 * The per-call and per-task data API: thin wrappers that pin the CPU and
 * hand the engine current's context.
 */
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/sched.h>

#include "hook.h"

/*
 * What the data API needs of current's context: the CPU and interrupt
 * context whose running callback it asks for. Not whether RCU watches:
 * callbacks only run where it does.
 */
static __always_inline void mfg_data_ctx(struct mfg_core_ctx *ctx)
{
	ctx->task = current;
	ctx->cpu = raw_smp_processor_id();
	ctx->irq_ctx = mfg_irq_ctx();
}

/* See include/mfgraph.h. */
void *mfg_reserve_data(int size)
{
	struct mfg_core_ctx ctx;
	void *data;

	/* Preemption is off in a callback; outside one this keeps us honest. */
	preempt_disable_notrace();
	mfg_data_ctx(&ctx);
	data = mfg_core_reserve_data(&ctx, size);
	preempt_enable_notrace();
	return data;
}
EXPORT_SYMBOL_GPL(mfg_reserve_data);

/* See include/mfgraph.h. */
void *mfg_retrieve_data(int *size)
{
	struct mfg_core_ctx ctx;
	void *data;

	preempt_disable_notrace();
	mfg_data_ctx(&ctx);
	data = mfg_core_retrieve_data(&ctx, size);
	preempt_enable_notrace();
	return data;
}
EXPORT_SYMBOL_GPL(mfg_retrieve_data);

/* See include/mfgraph.h. */
void *mfg_retrieve_parent_data(int depth, int *size)
{
	struct mfg_core_ctx ctx;
	void *data;

	preempt_disable_notrace();
	mfg_data_ctx(&ctx);
	data = mfg_core_retrieve_parent_data(&ctx, depth, size);
	preempt_enable_notrace();
	return data;
}
EXPORT_SYMBOL_GPL(mfg_retrieve_parent_data);

/* See include/mfgraph.h. */
unsigned long *mfg_task_var(struct mfg_ops *ops)
{
	struct mfg_core_ctx ctx;
	unsigned long *var;

	/*
	 * Preemption is off in a callback; outside one this keeps the
	 * per-CPU stack cache written by its own CPU only.
	 */
	preempt_disable_notrace();
	mfg_ctx_of(&ctx, current, raw_smp_processor_id());
	var = mfg_core_task_var(&ctx, ops);
	preempt_enable_notrace();
	return var;
}
EXPORT_SYMBOL_GPL(mfg_task_var);

