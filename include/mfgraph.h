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
 * A user fills in a zeroed struct mfg_ops (see mfgraph_abi.h), selects its
 * functions with a filter, and registers.
 */
#ifndef MFGRAPH_H
#define MFGRAPH_H

#include <linux/types.h>

#include "mfgraph_abi.h"

struct task_struct;

/* Registration */

/**
 * mfg_register() - start calling a user's callbacks
 * @ops: the user; its filter selects the functions (empty: none)
 *
 * Context: process context, may sleep.
 * Return: 0; -EINVAL for NULL @ops, no callback at all or unknown flags
 * in @ops->flags; -EBUSY when
 * already registered; -ENOSPC when all MFG_MAX_USERS slots are taken;
 * -ENOMEM; -EIO when mfgraph stopped tracing for good after finding its
 * state inconsistent (logged; reload the module).
 */
int mfg_register(struct mfg_ops *ops);

/**
 * mfg_unregister() - stop calling a user's callbacks, for good
 * @ops: a registered user
 *
 * When this returns, no callback of @ops runs or will ever run again, not
 * even for calls it saw enter that have not returned yet: @ops may be freed
 * and its module unloaded. A later user of the same slot never sees those
 * calls' returns. The filter stays (see mfg_free_filter()).
 *
 * Context: process context, may sleep.
 */
void mfg_unregister(struct mfg_ops *ops);

/* Filters */

/**
 * mfg_set_filter() - select the functions a user traces, by name or glob
 * @ops: the user
 * @glob: a function name or a set_ftrace_filter glob; "*" is every
 *        traceable function
 * @reset: true to replace the filter, false to add to it
 *
 * An empty filter traces nothing. Works before and while @ops is registered.
 *
 * A module's functions leave the filter when the module unloads (or fails
 * to load), and its init functions when its init is done, whether @ops is
 * registered or not; a filter left empty then traces nothing. A module
 * loaded later, even at the same address, is not traced until a filter
 * names its functions again. A module on its way out matches nothing.
 *
 * Context: process context, may sleep.
 * Return: 0; -EINVAL for bad arguments or a function ftrace cannot trace;
 * -ENOENT when nothing of that name exists; -ENOMEM.
 */
int mfg_set_filter(struct mfg_ops *ops, const char *glob, bool reset);

/**
 * mfg_set_filter_ips() - select the functions a user traces, by address
 * @ops: the user
 * @ips: function addresses (a function's start or its ftrace location)
 * @n: how many
 * @remove: true to remove them from the filter
 * @reset: true to clear the filter first
 *
 * The addresses of a module's functions leave the filter when the module
 * unloads, as with mfg_set_filter(); an address in a module on its way out
 * is not added.
 *
 * Context: process context, may sleep.
 * Return: 0; -EINVAL for bad arguments or an address ftrace cannot trace;
 * -ENOENT when removing an address not in the filter; -ENOMEM.
 */
int mfg_set_filter_ips(struct mfg_ops *ops, unsigned long *ips, unsigned int n, bool remove,
		       bool reset);

/**
 * mfg_free_filter() - free a user's filter
 * @ops: the user, not registered
 *
 * A filter never freed is freed, with a warning, when mfgraph unloads.
 *
 * Context: process context, may sleep.
 */
void mfg_free_filter(struct mfg_ops *ops);

/**
 * mfg_func_ip() - the ftrace location of one function
 * @name: a function name (not a pattern), or NULL
 * @addr: the function's address, or 0; give exactly one of @name and @addr
 * @ip: set to the address mfgraph reports as &mfg_entry.func for it
 *
 * Context: process context, may sleep.
 * Return: 0; -ENOENT when no function has that name; -EINVAL for bad
 * arguments or a function ftrace cannot trace; -EADDRNOTAVAIL when the name
 * is not unique; -ENOMEM.
 */
int mfg_func_ip(const char *name, unsigned long addr, unsigned long *ip);

/* Per-call and per-task data */

/**
 * mfg_reserve_data() - per-call data for the calling user, on the shadow stack
 * @size: bytes, at most MFG_MAX_DATA_WORDS words in all for one call
 *
 * Context: an entry callback of a user with a return callback.
 * Return: the data, kept until the return callback; NULL when too large,
 * out of room, or called elsewhere.
 */
void *mfg_reserve_data(int size);

/**
 * mfg_retrieve_data() - the data the entry callback reserved for this call
 * @size: set to its size in bytes (whole words)
 *
 * Context: a return callback.
 * Return: the data, or NULL when none was reserved.
 */
void *mfg_retrieve_data(int *size);

/**
 * mfg_retrieve_parent_data() - the calling user's data of an enclosing call
 * @depth: 0 for the current call, 1 for the enclosing traced call, ...
 * @size: set to its size in bytes
 *
 * Context: an entry or return callback.
 * Return: the data, or NULL when that frame holds none for this user.
 */
void *mfg_retrieve_parent_data(int depth, int *size);

/**
 * mfg_task_var() - one word of current's, for a user
 * @ops: a registered user
 *
 * The word starts at 0 for each task and each registration.
 *
 * Context: a callback of @ops (preemption disabled).
 * Return: the word, or NULL when @ops is not registered or current has no
 * shadow stack and none could be had.
 */
unsigned long *mfg_task_var(struct mfg_ops *ops);

/* Unwinding */

/**
 * mfg_ret_addr() - the real return address behind a trampoline address
 * @task: the task being unwound (current, or one the caller pins)
 * @idx: unwinder state, 0 at the start of an unwind
 * @ret: a return address the unwinder found
 * @retp: where it found it (x86_64: the stack slot; arm64: the frame
 *        pointer of that frame), or NULL to go by order
 *
 * Context: any.
 * Return: the original return address if @ret is mfgraph's trampoline,
 * else @ret.
 */
unsigned long mfg_ret_addr(struct task_struct *task, int *idx, unsigned long ret,
			   unsigned long *retp);

/**
 * mfg_stack_trace_save() - stack_trace_save() with real return addresses
 * @store: the trace
 * @size: its capacity
 * @skipnr: entries to skip at the top
 *
 * Return addresses mfgraph swapped for its trampoline appear as the real
 * ones, including those of enclosing traced calls still in progress, and
 * those the kernel's kretprobes and fprobes took over on the same calls.
 *
 * Context: any.
 * Return: the number of entries stored.
 */
unsigned int mfg_stack_trace_save(unsigned long *store, unsigned int size, unsigned int skipnr);

/* Introspection */

/**
 * mfg_get_stats() - engine-wide counters
 * @stats: filled in
 *
 * Context: any context.
 */
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
