// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel side of fgraph/mfg_kernel.h: the only functions through which
 * the freestanding C++ core reaches the kernel.
 *
 * This object is built without ftrace instrumentation (see Kbuild): the
 * tracing path calls into it, and tracing it would recurse.
 */
#include <linux/preempt.h>
#include <linux/printk.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/slab.h>

#include "kcompat.h"
#include "mfg_kernel.h"

void *mfg_k_zalloc(unsigned long size)
{
	might_sleep();
	return kvzalloc(size, GFP_KERNEL);
}
EXPORT_SYMBOL_MFG_INTERNAL(mfg_k_zalloc);

void mfg_k_free(void *ptr)
{
	kvfree(ptr);
}
EXPORT_SYMBOL_MFG_INTERNAL(mfg_k_free);

void mfg_k_preempt_disable(void)
{
	preempt_disable_notrace();
}
EXPORT_SYMBOL_MFG_INTERNAL(mfg_k_preempt_disable);

void mfg_k_preempt_enable(void)
{
	preempt_enable_notrace();
}
EXPORT_SYMBOL_MFG_INTERNAL(mfg_k_preempt_enable);

void mfg_k_rcu_read_lock(void)
{
	rcu_read_lock();
}
EXPORT_SYMBOL_MFG_INTERNAL(mfg_k_rcu_read_lock);

void mfg_k_rcu_read_unlock(void)
{
	rcu_read_unlock();
}
EXPORT_SYMBOL_MFG_INTERNAL(mfg_k_rcu_read_unlock);

void *mfg_k_current(void)
{
	return current;
}
EXPORT_SYMBOL_MFG_INTERNAL(mfg_k_current);

unsigned long long mfg_k_clock_ns(void)
{
	return local_clock();
}
EXPORT_SYMBOL_MFG_INTERNAL(mfg_k_clock_ns);

void mfg_k_log(int level, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	switch (level) {
	case MFG_K_ERR:
		pr_err("mfgraph: %pV\n", &vaf);
		break;
	case MFG_K_WARNING:
		pr_warn("mfgraph: %pV\n", &vaf);
		break;
	case MFG_K_INFO:
		pr_info("mfgraph: %pV\n", &vaf);
		break;
	default:
		pr_debug("mfgraph: %pV\n", &vaf);
		break;
	}
	va_end(args);
}
EXPORT_SYMBOL_MFG_INTERNAL(mfg_k_log);

unsigned int mfg_k_cpu(void)
{
	return raw_smp_processor_id();
}
EXPORT_SYMBOL_MFG_INTERNAL(mfg_k_cpu);

void mfg_k_fatal(const char *why)
{
	panic("mfgraph: %s\n", why);
}
EXPORT_SYMBOL_MFG_INTERNAL(mfg_k_fatal);
