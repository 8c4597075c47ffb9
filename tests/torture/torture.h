/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mfg_torture: what the torture module's two objects share. torture.c is
 * built without ftrace instrumentation, like every mfgraph object;
 * torture_traced.c is built with it, so that a user tracing "*" traces its
 * own callbacks (see the "star" workload).
 */
#ifndef MFG_TORTURE_H
#define MFG_TORTURE_H

#include <linux/atomic.h>
#include <linux/container_of.h>

#include <mfgraph.h>

/* Tags the per-call data: a return must carry its own entry's tag. */
#define MFG_TORTURE_MAGIC 0x70e7u

/* Per-function counts of a user, to name the function when counts differ. */
#define MFG_TORTURE_FUNCS 16

struct mfg_torture_func {
	unsigned long func;
	atomic_long_t entries;
	atomic_long_t returns;
	atomic_long_t misses;
};

/**
 * struct mfg_torture_user - one mfgraph user of the torture module
 * @ops: the user
 * @name: for messages
 * @serial: bumped before each registration; the entry stores it in the
 *          call's data, so a return of an earlier registration shows
 * @live: set before mfg_register(), cleared after mfg_unregister()
 * @registered: whether the owner holds it registered
 * @entries: entry callbacks that asked for the return
 * @returns: return callbacks
 * @bad: returns whose data was not their entry's (stale or foreign)
 * @dead: callbacks that ran while @live was clear
 * @nodata: entries that could not reserve their data
 * @misses: calls of selected functions that ran without the user's frame
 * @funcs: per-function counts, when not NULL (steady users)
 */
struct mfg_torture_user {
	struct mfg_ops ops;
	const char *name;
	unsigned long serial;
	bool live;
	bool registered;
	atomic_long_t entries;
	atomic_long_t returns;
	atomic_long_t bad;
	atomic_long_t dead;
	atomic_long_t nodata;
	atomic_long_t misses;
	struct mfg_torture_func *funcs;
};

/* @func's counts in @u->funcs; NULL when not counted or the table is full. */
static inline struct mfg_torture_func *mfg_torture_func_of(struct mfg_torture_user *u,
							   unsigned long func)
{
	unsigned int i;

	if (!u->funcs)
		return NULL;
	for (i = 0; i < MFG_TORTURE_FUNCS; i++) {
		unsigned long cur = READ_ONCE(u->funcs[i].func);

		if (cur == func)
			return &u->funcs[i];
		if (!cur && !cmpxchg(&u->funcs[i].func, 0, func))
			return &u->funcs[i];
		if (READ_ONCE(u->funcs[i].func) == func)
			return &u->funcs[i];
	}
	return NULL;
}

/*
 * The checks of both objects' callbacks. The entry keeps two words: the tag
 * with the registration's serial, and the function; the return must find
 * both as they were.
 */
static inline int mfg_torture_do_entry(const struct mfg_entry *trace, struct mfg_ops *ops)
{
	struct mfg_torture_user *u = container_of(ops, struct mfg_torture_user, ops);
	struct mfg_torture_func *f = mfg_torture_func_of(u, trace->func);
	unsigned long *data;

	if (f)
		atomic_long_inc(&f->entries);
	if (!READ_ONCE(u->live))
		atomic_long_inc(&u->dead);
	data = mfg_reserve_data(2 * sizeof(unsigned long));
	if (data) {
		data[0] = READ_ONCE(u->serial) << 16 | MFG_TORTURE_MAGIC;
		data[1] = trace->func;
	} else {
		atomic_long_inc(&u->nodata);
	}
	atomic_long_inc(&u->entries);
	return 1;
}

static inline void mfg_torture_do_return(const struct mfg_return *trace, struct mfg_ops *ops)
{
	struct mfg_torture_user *u = container_of(ops, struct mfg_torture_user, ops);
	struct mfg_torture_func *f = mfg_torture_func_of(u, trace->func);
	unsigned long *data;
	int size = 0;

	if (f)
		atomic_long_inc(&f->returns);
	if (!READ_ONCE(u->live))
		atomic_long_inc(&u->dead);
	data = mfg_retrieve_data(&size);
	if (data && (size != 2 * sizeof(unsigned long) ||
		     data[0] != (READ_ONCE(u->serial) << 16 | MFG_TORTURE_MAGIC) ||
		     data[1] != trace->func))
		atomic_long_inc(&u->bad);
	atomic_long_inc(&u->returns);
}

static inline void mfg_torture_do_miss(unsigned long func, struct mfg_ops *ops)
{
	struct mfg_torture_user *u = container_of(ops, struct mfg_torture_user, ops);
	struct mfg_torture_func *f = mfg_torture_func_of(u, func);

	if (f)
		atomic_long_inc(&f->misses);
	atomic_long_inc(&u->misses);
}

/* The same checks, in torture_traced.c: compiled with ftrace instrumentation. */
int mfg_torture_traced_entry(const struct mfg_entry *trace, struct mfg_ops *ops,
			     struct ftrace_regs *fregs);
void mfg_torture_traced_return(const struct mfg_return *trace, struct mfg_ops *ops,
			       struct ftrace_regs *fregs);

#endif /* MFG_TORTURE_H */
