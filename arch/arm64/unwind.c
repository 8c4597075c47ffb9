// SPDX-License-Identifier: GPL-2.0
/*
 * arm64: a stack trace through a frame whose return a kretprobe took over
 * before ours.
 */
#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <linux/sched.h>
#include <linux/string.h>

#include "mfg_arch.h"

#if defined(CONFIG_KRETPROBES) && !defined(CONFIG_KRETPROBE_ON_RETHOOK)
/* __kretprobe_trampoline's address, learnt at its first sighting. */
static unsigned long mfg_kretprobe_tramp;

/*
 * The kernel's is_kretprobe_trampoline() needs a symbol modules cannot
 * link against: recognise the trampoline by name, once.
 */
static bool mfg_is_kretprobe_trampoline(unsigned long addr)
{
	unsigned long known = READ_ONCE(mfg_kretprobe_tramp);
	char name[KSYM_SYMBOL_LEN];

	if (known)
		return addr == known;
	sprint_symbol_no_offset(name, addr);
	if (strcmp(name, "__kretprobe_trampoline"))
		return false;
	WRITE_ONCE(mfg_kretprobe_tramp, addr);
	return true;
}
#endif

/**
 * mfg_arch_real_ret() - The address one of current's frames returns to.
 * @key: the frame's key: the caller's frame pointer at the traced entry
 * @ret_addr: the return address mfgraph saved at that entry
 *
 * A kretprobe on a traced function hits its first instruction, before
 * ftrace's call site, so the return address mfgraph saves is
 * __kretprobe_trampoline's; the real one is in the kretprobe's instance,
 * which records the same frame pointer (arch_prepare_kretprobe()). The
 * unwinder cannot find it: it sees our trampoline in the frame record.
 * Several kretprobes on one function chain through the trampoline, newest
 * instance first.
 *
 * Context: current, preemption disabled.
 * Return: the real return address.
 */
unsigned long mfg_arch_real_ret(unsigned long key, unsigned long ret_addr)
{
#if defined(CONFIG_KRETPROBES) && !defined(CONFIG_KRETPROBE_ON_RETHOOK)
	struct llist_node *node;

	for (node = READ_ONCE(current->kretprobe_instances.first); node;
	     node = READ_ONCE(node->next)) {
		struct kretprobe_instance *ri;

		ri = container_of(node, struct kretprobe_instance, llist);

		if ((unsigned long)ri->fp != key)
			continue;
		if (!mfg_is_kretprobe_trampoline(ret_addr))
			break;
		ret_addr = (unsigned long)ri->ret_addr;
	}
#endif
	return ret_addr;
}
