/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the public C API and the freestanding C++ engine share: build-time
 * limits and plain-C structures. This header must stay free of kernel
 * includes, so that the C++ core can include it.
 */
#ifndef MFGRAPH_ABI_H
#define MFGRAPH_ABI_H

/*
 * MFG_MAX_USERS - how many mfg_ops may be registered at once. Each user owns
 * one slot of the registry and one bit of a function's user mask, so the
 * engine accepts any value from 1 to 64 (build with -DMFG_MAX_USERS=N).
 */
#ifndef MFG_MAX_USERS
#define MFG_MAX_USERS 16
#endif

/*
 * MFG_SHADOW_STACK_BYTES - the size of one task's shadow stack, control block
 * included. One page by default.
 */
#ifndef MFG_SHADOW_STACK_BYTES
#define MFG_SHADOW_STACK_BYTES 4096
#endif

/* MFG_MAX_DATA_WORDS - per-user, per-call data words one frame may hold. */
#define MFG_MAX_DATA_WORDS 32

struct ftrace_regs;
struct mfg_ops;

/**
 * enum mfg_miss - why a traced call ran untraced, or a return was odd
 * @MFG_MISS_NO_STACK: the CPU's pool of shadow stacks was empty
 * @MFG_MISS_OVERFLOW: the task's shadow stack was full
 * @MFG_MISS_NOT_WATCHING: RCU was not watching; callbacks skipped
 * @MFG_MISS_MISMATCH: a return did not match the top frame (recovered)
 * @MFG_MISS_STALE: return entries of users gone since the entry
 * @MFG_MISS_RECURSION: a traced call made while an mfgraph callback ran
 *                      in the same context; it ran untraced
 * @MFG_MISS_PAUSED: the task had graph tracing paused (suspend, CPU
 *                   offline) or tracing was stopped after an internal error
 * @MFG_NR_MISSES: the number of causes
 */
enum mfg_miss {
	MFG_MISS_NO_STACK,
	MFG_MISS_OVERFLOW,
	MFG_MISS_NOT_WATCHING,
	MFG_MISS_MISMATCH,
	MFG_MISS_STALE,
	MFG_MISS_RECURSION,
	MFG_MISS_PAUSED,
	MFG_NR_MISSES
};

/**
 * struct mfg_stats - engine-wide counters
 * @users: registered users
 * @stacks_in_use: per-task shadow stacks held by tasks
 * @deepest: the most frames one shadow stack has held
 * @bytes_held: memory mfgraph holds (tables, pools, stacks, function map)
 * @misses: counts by enum mfg_miss
 */
struct mfg_stats {
	unsigned int users;
	unsigned int stacks_in_use;
	unsigned int deepest;
	unsigned long long bytes_held;
	unsigned long long misses[MFG_NR_MISSES];
};

/**
 * struct mfg_entry - a traced call, as an entry callback sees it
 * @func: the traced function (its ftrace location)
 * @ret_addr: where the traced function will return to (in its caller)
 * @depth: the frame index this call gets on current's shadow stack
 *         (0 = outermost traced call that asked for a return)
 */
struct mfg_entry {
	unsigned long func;
	unsigned long ret_addr;
	int depth;
};

/**
 * struct mfg_return - a traced call, as a return callback sees it
 * @func: the traced function (its ftrace location)
 * @ret_addr: the original return address, where execution continues
 * @retval: the function's return value register
 * @depth: the frame index of this call on current's shadow stack
 * @calltime: local_clock() at entry, ns; 0 unless a user of this call
 *            set %MFG_OPS_FL_TIMESTAMPS
 * @rettime: local_clock() at return, ns; 0 like @calltime
 */
struct mfg_return {
	unsigned long func;
	unsigned long ret_addr;
	unsigned long retval;
	int depth;
	unsigned long long calltime;
	unsigned long long rettime;
};

/**
 * typedef mfg_entry_fn - entry callback
 * @trace: the call
 * @ops: the user
 * @fregs: the registers at function entry (arguments, stack pointer)
 *
 * Context: preemption disabled; any context the traced function runs in,
 * NMI included. Must not sleep.
 * Return: non-zero to receive this call's return callback.
 */
typedef int (*mfg_entry_fn)(const struct mfg_entry *trace, struct mfg_ops *ops,
			    struct ftrace_regs *fregs);

/**
 * typedef mfg_return_fn - return callback
 * @trace: the call
 * @ops: the user
 * @fregs: return-time registers: the return value registers, the stack
 *         pointer and the frame pointer are valid, nothing else
 *
 * Context: preemption disabled; any context. Must not sleep.
 */
typedef void (*mfg_return_fn)(const struct mfg_return *trace, struct mfg_ops *ops,
			      struct ftrace_regs *fregs);

/**
 * typedef mfg_miss_fn - missed-call callback
 * @func: the traced function (its ftrace location)
 * @ops: the user
 *
 * Called instead of the entry callback when a call of a function the user
 * selected runs without the user's frame: no shadow stack could be had for
 * the task, or its shadow stack was full. Not called for calls skipped
 * because RCU was not watching, tracing was paused, or the call was made
 * from inside an mfgraph callback (those are counted in struct mfg_stats).
 *
 * Context: like the entry callback. Must not sleep.
 */
typedef void (*mfg_miss_fn)(unsigned long func, struct mfg_ops *ops);

/*
 * MFG_OPS_FL_TIMESTAMPS - fill mfg_return.calltime and .rettime. Two clock
 * reads per call cost about as much as the rest of a traced call, so only
 * users that want them pay for them.
 */
#define MFG_OPS_FL_TIMESTAMPS	0x1UL
#define MFG_OPS_FL_ALL		MFG_OPS_FL_TIMESTAMPS

/**
 * struct mfg_ops - one mfgraph user
 * @entryfunc: called on entry of each function the user's filter selects;
 *             NULL means every call wants its return
 * @retfunc: called on return of each call whose entry asked for it;
 *           NULL makes an entry-only user, which never costs a frame
 * @private: the user's own data
 * @flags: MFG_OPS_FL_* bits
 * @missfunc: optional; called for each call of a selected function that
 *            ran without this user's frame (see mfg_miss_fn), so that the
 *            user can count what it did not see; only for users with @retfunc
 * @slot: registry slot, valid while registered (mfgraph's)
 * @filter: the user's filter state (mfgraph's)
 *
 * The fields after @private belong to mfgraph: zero-initialise the structure.
 */
struct mfg_ops {
	mfg_entry_fn entryfunc;
	mfg_return_fn retfunc;
#ifdef __cplusplus
	void *private_;		/* "private" is a C++ keyword; same field */
#else
	void *private;
#endif
	unsigned long flags;
	mfg_miss_fn missfunc;
	int slot;
	void *filter;
};

/**
 * struct mfg_core_info - the engine's build-time layout, as compiled
 * @max_users: registry slots (MFG_MAX_USERS)
 * @stack_bytes: bytes of one task's shadow stack, control block included
 * @stack_words: words available for frames in one shadow stack
 * @max_depth: frames one shadow stack can hold at most
 * @max_data_words: data words one user may reserve in one frame
 * @header_words: words of a frame header
 * @cplusplus: the C++ standard the core was compiled with (__cplusplus)
 */
struct mfg_core_info {
	unsigned int max_users;
	unsigned int stack_bytes;
	unsigned int stack_words;
	unsigned int max_depth;
	unsigned int max_data_words;
	unsigned int header_words;
	long cplusplus;
};

#endif /* MFGRAPH_ABI_H */
