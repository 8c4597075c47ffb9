/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The C++ engine's entry points for the C glue. Plain C types only: both
 * sides include this header, and the C++ side must not see kernel headers.
 *
 * Locking: the functions marked "serialised" are called with the glue's
 * registration mutex held; the others are the tracing path (any context,
 * preemption disabled) unless they say otherwise.
 */
#ifndef MFG_CORE_H
#define MFG_CORE_H

#include "../include/mfgraph_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A task and where it runs: the task (its task_struct: a task's stack is
 * found by the task itself, never by its pid, which exec and pid reuse
 * change), the CPU, and whether RCU watches it. The tracing path and the
 * data API take current only: they cache current's stack per CPU (see
 * engine.cpp).
 */
struct mfg_core_ctx {
	void *task;
	unsigned int cpu;
	/*
	 * The interrupt context we run in: the NMI, hardirq and
	 * serving-softirq bits of preempt_count. Equal values on one CPU are
	 * the same context; a nested interrupt has another value.
	 */
	unsigned int irq_ctx;
	bool rcu_watching;
};

/* What the tracing path asks the glue to do afterwards (bit mask). */
enum mfg_core_want {
	MFG_WANT_REFILL = 1,	/* this CPU's stack pool is low */
};

/*
 * Stop all tracing for good: an internal inconsistency (a corrupt frame)
 * was found. Entries stop at once; returns of frames already pushed are
 * still delivered. Logs @why once. Any context.
 */
void mfg_core_kill(const char *why);
/* Whether mfg_core_kill() was called. */
bool mfg_core_killed(void);
/* Undo mfg_core_kill(); no user registered (serialised; tests only). */
void mfg_core_revive(void);

/* The glue allocated (n > 0) or freed (n < 0) n task stacks. */
void mfg_core_account_stacks(long n);
/* Bytes the engine holds: tables, pools, stacks, function map. */
unsigned long long mfg_core_bytes_held(void);

/* Count a miss the glue detected. */
void mfg_core_count_miss(unsigned int cpu, enum mfg_miss cause);

/* The layout the core was compiled with. */
void mfg_core_describe(struct mfg_core_info *info);

/* Bit i set: registry slot i holds a live user. */
unsigned long long mfg_core_live_users(void);

/* --- the tracing path ------------------------------------------------- */

/*
 * A traced function was entered. @retp holds its return address; @frame_key
 * identifies this return for validation and unwinding (x86_64: @retp
 * itself; arm64: the caller's frame pointer). Returns enum mfg_core_want bits.
 */
int mfg_core_entry(const struct mfg_core_ctx *ctx, unsigned long ip, unsigned long *retp,
		   unsigned long frame_key, struct ftrace_regs *fregs);

/*
 * A traced function returned into the trampoline. Writes the real return
 * address to *@unwind_slot before any callback runs, delivers the returns,
 * pops the frame and returns the address to continue at.
 */
unsigned long mfg_core_return(const struct mfg_core_ctx *ctx, unsigned long frame_key,
			      unsigned long retval, unsigned long *unwind_slot,
			      struct ftrace_regs *fregs);

/*
 * The data API, from callbacks (see include/mfgraph.h): for the callback
 * running in @ctx's CPU and interrupt context, or none; preemption
 * disabled.
 */
void *mfg_core_reserve_data(const struct mfg_core_ctx *ctx, int size);
void *mfg_core_retrieve_data(const struct mfg_core_ctx *ctx, int *size);
void *mfg_core_retrieve_parent_data(const struct mfg_core_ctx *ctx, int depth, int *size);
unsigned long *mfg_core_task_var(const struct mfg_core_ctx *ctx, const struct mfg_ops *ops);

/* The unwinder API: frames of @ctx's task, from the top. */
unsigned long mfg_core_ret_addr(const struct mfg_core_ctx *ctx, int *idx, unsigned long ret,
				unsigned long frame_key);
/*
 * Call @fn with the key and the real return address of each frame of @ctx's
 * task whose return goes through the trampoline, innermost first, until it
 * returns false. Current only, preemption disabled: the glue swaps return
 * addresses back for the unwinder, or fixes a trace, with them.
 */
typedef bool (*mfg_core_frame_fn)(void *arg, unsigned long key, unsigned long ret_addr);
void mfg_core_each_swapped(const struct mfg_core_ctx *ctx, mfg_core_frame_fn fn, void *arg);

/* --- registration (serialised) ------------------------------------------ */

/* Claim a slot: the slot, or -EBUSY / -ENOSPC. */
int mfg_core_claim(struct mfg_ops *ops);
/* Make the slot's pending returns stale; stop calling its entry. */
void mfg_core_retire(int slot);
/* Give the slot back, once no callback can still see it (after a grace period). */
void mfg_core_release(int slot);

/* One user's filter, as the glue collected it. */
struct mfg_core_filter {
	int slot;
	bool all;
	const unsigned long *ips;
	unsigned int count;
};

/*
 * Build and publish the function map for @n live users' filters. Returns
 * the map it replaced (to free with mfg_core_free_map() after a grace
 * period), NULL if there was none, or an ERR_PTR-style negative errno cast
 * to a pointer; *@err gets the errno.
 */
void *mfg_core_publish_map(const struct mfg_core_filter *filters, unsigned int n, int *err);
void mfg_core_free_map(void *map);
/* The number of distinct functions in the published map. */
unsigned int mfg_core_map_size(void);

/* --- shadow stacks (serialised unless said otherwise) ------------------- */

/* Allocate the task hash and per-CPU pools (filled); 0 or -ENOMEM. */
int mfg_core_stacks_start(unsigned int nr_cpus);
/* Refill the local CPU's pool. Task context, preemption disabled by the caller. */
unsigned int mfg_core_refill_local(unsigned int cpu, void *const *stacks, unsigned int n);
/* How many stacks @cpu's pool lacks. */
unsigned int mfg_core_pool_want(unsigned int cpu);
/*
 * @task was freed: mark its stack dead, so that no lookup finds it (a new
 * task may get the same task_struct), and forget it in every CPU's cache.
 * Returns whether there is a stack for the next mfg_core_reap() to free.
 * Any context but NMI.
 */
bool mfg_core_task_freed(void *task);
/*
 * Unlink every dead stack (of freed tasks) and pass it, and the stacks
 * given back by the tracing path, to @collect. With @idle_too, which needs
 * no user registered and no hook active, also unlink every stack with no
 * outstanding frame and pass it on. Returns how many stacks still hold
 * frames. The glue waits for a grace period, calls mfg_core_forget_stack()
 * on each, then frees them.
 */
unsigned int mfg_core_reap(void (*collect)(void *stack, void *arg), void *arg, bool idle_too);
/*
 * Clear every CPU's cache entry for @stack, unlinked a grace period ago:
 * a task whose last return ran during the reap may have cached it again.
 */
void mfg_core_forget_stack(void *stack);
/*
 * With no user and no hook: put the real return address of every frame of
 * @task back into its return slot with @restore (@commit false: only say
 * whether the slot holds the trampoline; true: swap it), all or none.
 * Returns how many frames were released (their stack is marked), 0 if none
 * or if one could not be. Under the glue's mutex, @task's stack pinned.
 */
typedef bool (*mfg_core_restore_fn)(void *arg, unsigned long key, unsigned long ret_addr,
				    bool commit);
int mfg_core_release_frames(void *task, mfg_core_restore_fn restore, void *arg);
/*
 * Drop the frames of every released stack: call once no task can still be
 * in the trampoline for one of them (tasks RCU after the release). Returns
 * how many frames were dropped. Under the glue's mutex.
 */
unsigned int mfg_core_drop_released(void);
/*
 * Unpublish the table and the pools, let @wait_readers wait out whoever
 * may still read them (the unwinder API runs in any context, preemption
 * disabled), then free them. All stacks must have been reaped.
 */
void mfg_core_stacks_stop(void (*wait_readers)(void));
bool mfg_core_stacks_started(void);

/* --- statistics --------------------------------------------------------- */

struct mfg_core_stats {
	unsigned long long entries;
	unsigned long long returns;
};

/* Allocate the per-CPU statistics; 0 or -ENOMEM. Module load. */
int mfg_core_stats_init(unsigned int nr_cpus);
void mfg_core_stats_exit(void);
void mfg_core_user_stats(int slot, struct mfg_core_stats *out);
unsigned long long mfg_core_misses(enum mfg_miss cause);
unsigned long long mfg_core_slot_generation(int slot);
/*
 * For debugfs: call @fn for each frame of each linked stack that holds
 * frames (@nth: which stack, from 0; @depth: the frame's index), oldest frame
 * first. Returns how many stacks hold frames. Serialised; the frames are
 * read while their tasks may pop them, so a figure may be a moment old.
 */
unsigned int mfg_core_for_each_frame(void (*fn)(void *arg, unsigned int nth, unsigned int depth,
						unsigned long func),
				     void *arg);
/* Stacks in use, the deepest frame count seen. */
void mfg_core_stack_stats(unsigned int *in_use, unsigned int *deepest);

#ifdef __cplusplus
}
#endif

#endif /* MFG_CORE_H */
