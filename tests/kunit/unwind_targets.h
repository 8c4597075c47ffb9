/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The traced function of the unwind tests. It lives in its own object, built
 * with ftrace instrumentation (see Kbuild), out of the compiler's
 * inter-procedural reach so that the call really happens.
 */
#ifndef MFG_UNWIND_TARGETS_H
#define MFG_UNWIND_TARGETS_H

/*
 * Calls @fn(@arg), not as a tail call, and returns its result plus @a..@f.
 * @fn is the seventh argument on purpose: on x86_64 it is passed on the
 * stack, in the word just above the return address, so that an unwinder
 * that takes the wrong frame size at the trampoline address finds a text
 * address there and invents a frame instead of stopping.
 */
int mfg_unwind_target(long a, long b, long c, long d, long e, long f,
		      int (*fn)(void *arg), void *arg);

#endif /* MFG_UNWIND_TARGETS_H */
