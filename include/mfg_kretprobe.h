/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mfg_kretprobe: kretprobe rebuilt as one mfgraph user.
 *
 * The structures mirror the kernel's struct kretprobe and struct
 * kretprobe_instance, so probe code ports by renaming. All mfg_kretprobes
 * share one mfgraph user slot. A function with several probes gets one
 * shadow-stack frame; each probe that wants the return keeps a record there:
 * its identity and, when it fits, the whole instance with its data. Only a
 * probe whose instance does not fit uses a pool of maxactive instances, and
 * only such a probe can miss for lack of instances.
 *
 * The inline limit: a probe's instance lives on the shadow stack when its
 * data_size is at most MFG_KRETPROBE_INLINE_DATA bytes and the records of
 * the function's probes fit in one frame's MFG_MAX_DATA_WORDS words, as
 * decided when the probe registers; otherwise it uses the pool.
 *
 * A probe on a function of a module that unloads is gone, as the kernel's
 * kprobe_gone() says: its handlers never run again, a module loaded later
 * at that address is not probed, and it still has to be unregistered.
 */
#ifndef MFG_KRETPROBE_H
#define MFG_KRETPROBE_H

#include <linux/compiler.h>
#include <linux/list.h>
#include <linux/ptrace.h>
#include <linux/types.h>

#include "mfgraph_abi.h"

/* The largest per-call data a probe may keep on the shadow stack. */
#define MFG_KRETPROBE_INLINE_DATA 64
/* The largest data_size and maxactive (the kernel's own limits). */
#define MFG_KRETPROBE_MAX_DATA 4096
#define MFG_KRETPROBE_MAXACTIVE_MAX 4096

struct mfg_kretprobe;
struct mfg_krp_pool;
struct task_struct;

/**
 * struct mfg_kretprobe_instance - one call of a probed function
 * @rp: the probe
 * @ret_addr: the original return address of the call
 * @task: the task that made the call
 * @data: the probe's data_size bytes, shared by its entry and return handler
 */
struct mfg_kretprobe_instance {
	struct mfg_kretprobe *rp;
	unsigned long ret_addr;
	struct task_struct *task;
	/* private: */
	struct mfg_krp_pool *pool;	/* NULL when the instance is inline */
	/* public: */
	char data[];
};

/**
 * typedef mfg_kretprobe_handler_t - an entry or return handler
 * @ri: the instance of this call
 * @regs: at entry, the entry registers (arguments, stack pointer, ip),
 *        as ftrace_partial_regs() gives them (x86_64: cs, ss and flags
 *        are 0); at return, regs_return_value(), instruction_pointer() (the original
 *        return address) and kernel_stack_pointer() are valid
 *
 * Context: preemption disabled; any context the probed function runs in.
 * Return: for an entry handler, non-zero to skip the return handler of this
 * call; ignored for a return handler.
 */
typedef int (*mfg_kretprobe_handler_t)(struct mfg_kretprobe_instance *ri, struct pt_regs *regs);

/**
 * struct mfg_kretprobe - a return probe
 * @symbol_name: the probed function's name, or NULL with @addr
 * @addr: the probed function's address, or NULL with @symbol_name
 * @offset: must be 0: only function entries can be probed
 * @handler: called at the function's return (may be NULL)
 * @entry_handler: called at the function's entry (may be NULL)
 * @data_size: bytes of per-call data in each instance, at most
 *             %MFG_KRETPROBE_MAX_DATA
 * @maxactive: instances in the pool of a probe that needs one, at most
 *             %MFG_KRETPROBE_MAXACTIVE_MAX (0: the kernel's default,
 *             max(10, 2 x possible CPUs), written back here when a pool is
 *             made); at most that many of its calls can be in flight at once
 *             (a pooled instance of a task that exits inside the call comes
 *             back when the task is freed)
 * @nmissed: calls this probe missed: its pool was empty, or mfgraph had no
 *           frame for the call (no shadow stack for the task, or no room
 *           left on it)
 *
 * Zero-initialise the structure; the fields after @nmissed are mfg_kretprobe's.
 */
struct mfg_kretprobe {
	const char *symbol_name;
	void *addr;
	unsigned int offset;
	mfg_kretprobe_handler_t handler;
	mfg_kretprobe_handler_t entry_handler;
	size_t data_size;
	int maxactive;
	int nmissed;
	/* private: */
	struct list_head node;		/* on its function's probes */
	struct list_head gone_node;	/* on the gone probes, once gone */
	struct mfg_krp_func *func;
	unsigned long ip;
	u64 serial;
	bool registered;
	bool disabled;
	bool gone;
	bool inline_instance;
	unsigned int record_words;
	struct mfg_krp_pool *pool;
	unsigned long __percpu *hits;
};

/**
 * mfg_kretprobe_gone() - whether a probe's function went with its module
 * @rp: a registered probe
 *
 * A gone probe never runs its handlers again; unregister it as usual.
 *
 * Context: any.
 * Return: true once the module holding the probed function began to unload.
 */
static inline bool mfg_kretprobe_gone(const struct mfg_kretprobe *rp)
{
	return READ_ONCE(rp->gone);
}

/**
 * struct mfg_kretprobe_stats - the instance pools mfg_kretprobe holds
 * @pools: pools allocated: those of registered probes that need one, and
 *         those of probes gone since whose calls are still in flight
 * @instances: the instances in those pools
 * @retired_pools: of @pools, those of probes gone since, kept until the
 *                 last of their calls returns or no return can come
 * @reclaimed: pooled instances given back since mfg_kretprobe loaded because
 *             their task exited inside the probed call
 */
struct mfg_kretprobe_stats {
	unsigned int pools;
	unsigned int instances;
	unsigned int retired_pools;
	unsigned int reclaimed;
};

/**
 * mfg_register_kretprobe() - start probing a function's returns
 * @rp: the probe
 *
 * Context: process context, may sleep.
 * Return: 0; -ENOENT for an unknown symbol; -EINVAL for a non-zero offset,
 * no handler at all, both or neither of @symbol_name and @addr, a negative
 * @maxactive, or a function ftrace cannot trace; -E2BIG for @data_size over
 * %MFG_KRETPROBE_MAX_DATA or @maxactive over %MFG_KRETPROBE_MAXACTIVE_MAX;
 * -EBUSY when @rp is registered already; -ENOSPC when the function's probes
 * already fill a frame (%MFG_MAX_DATA_WORDS words: an inline record takes
 * 1 + its instance's words, a pooled one 2); -ENOMEM.
 */
int mfg_register_kretprobe(struct mfg_kretprobe *rp);

/**
 * mfg_unregister_kretprobe() - stop probing, for good
 * @rp: a registered probe
 *
 * When this returns no handler of @rp runs or will run, even for calls in
 * flight: @rp may be freed and its module unloaded. A probe registered at
 * the same address later never sees those calls' returns. A gone probe
 * (see mfg_kretprobe_gone()) unregisters like any other.
 *
 * Context: process context, may sleep.
 */
void mfg_unregister_kretprobe(struct mfg_kretprobe *rp);

/**
 * mfg_register_kretprobes() - register several probes, all or none
 * @rps: the probes
 * @num: how many
 *
 * Context: process context, may sleep.
 * Return: 0, or the first error, with none of @rps registered.
 */
int mfg_register_kretprobes(struct mfg_kretprobe **rps, int num);

/**
 * mfg_unregister_kretprobes() - unregister several probes
 * @rps: the probes
 * @num: how many
 *
 * Context: process context, may sleep.
 */
void mfg_unregister_kretprobes(struct mfg_kretprobe **rps, int num);

/**
 * mfg_disable_kretprobe() - stop calling a probe's handlers for now
 * @rp: a registered probe
 *
 * Context: process context.
 * Return: 0, or -EINVAL when @rp is not registered.
 */
int mfg_disable_kretprobe(struct mfg_kretprobe *rp);

/**
 * mfg_enable_kretprobe() - call a disabled probe's handlers again
 * @rp: a registered probe
 *
 * Context: process context.
 * Return: 0, or -EINVAL when @rp is not registered or is gone.
 */
int mfg_enable_kretprobe(struct mfg_kretprobe *rp);

/**
 * mfg_kretprobe_get_stats() - what mfg_kretprobe holds
 * @st: filled in, once every pool freed by a return that came back has
 *      been released
 *
 * Context: process context, may sleep.
 */
void mfg_kretprobe_get_stats(struct mfg_kretprobe_stats *st);

#endif /* MFG_KRETPROBE_H */
