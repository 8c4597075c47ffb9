/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The only door from the freestanding C++ engine to the kernel.
 *
 * The C++ core never includes a kernel header; everything it needs from the
 * kernel is declared here and implemented by fgraph/kernel_glue.c (in the
 * kernel) or tests/host/host_kernel.cpp (on the host, for GoogleTest). Keep
 * it small: a function belongs here only if the core cannot do without it.
 */
#ifndef MFG_KERNEL_H
#define MFG_KERNEL_H

#ifdef __cplusplus
extern "C" {
#endif

/* Zeroed memory of @size bytes, or NULL. May sleep: never on the tracing path. */
void *mfg_k_zalloc(unsigned long size);
/* Free memory from mfg_k_zalloc(); NULL is ignored. May sleep. */
void mfg_k_free(void *ptr);

/* Preemption control; nests. Safe in any context, never traced. */
void mfg_k_preempt_disable(void);
void mfg_k_preempt_enable(void);

/* RCU read-side section (the sched flavour covers it too); nests. */
void mfg_k_rcu_read_lock(void);
void mfg_k_rcu_read_unlock(void);

/* An opaque handle for the running task (struct task_struct * in the kernel). */
void *mfg_k_current(void);

/* Monotonic local clock in ns (local_clock() in the kernel). */
unsigned long long mfg_k_clock_ns(void);

/* The CPU we run on; call with preemption disabled. */
unsigned int mfg_k_cpu(void);

/* A state the engine cannot recover from: panic with @why. */
void mfg_k_fatal(const char *why) __attribute__((noreturn));

#if defined(__cplusplus) && defined(__KERNEL__)
/*
 * Where objtool checks each object alone (x86_64 without IBT, as Debian's
 * 6.1), it cannot know that mfg_k_fatal(), in another object, never
 * returns, and warns that its caller runs on into the next function.
 * Follow the call with a trap the compiler keeps.
 */
void mfg_k_fatal_call(const char *why) __asm__("mfg_k_fatal");
#define mfg_k_fatal(why) (mfg_k_fatal_call(why), __builtin_trap())
#endif

/* Log levels, the kernel's numbering. */
enum mfg_k_level { MFG_K_ERR = 3, MFG_K_WARNING = 4, MFG_K_INFO = 6, MFG_K_DEBUG = 7 };

/* One printk-style line prefixed "mfgraph: ". */
void mfg_k_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif

#endif /* MFG_KERNEL_H */
