/* SPDX-License-Identifier: GPL-2.0 */
/* Small helpers shared by the KUnit modules. */
#ifndef MFG_TEST_UTIL_H
#define MFG_TEST_UTIL_H

#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/kallsyms.h>
#include <linux/rcupdate.h>
#include <linux/string.h>

#include <mfgraph.h>

/* Is @addr inside the function called @name (of any module)? */
static inline bool mfg_test_symbol_is(unsigned long addr, const char *name)
{
	char buf[KSYM_SYMBOL_LEN];
	size_t len = strlen(name);

	sprint_symbol_no_offset(buf, addr);
	return !strncmp(buf, name, len) && (buf[len] == '\0' || buf[len] == ' ');
}

/* Wait up to 10 s for @v to reach @value. */
static inline bool mfg_test_wait_for(atomic_t *v, int value)
{
	int i;

	for (i = 0; i < 500 && atomic_read(v) < value; i++)
		msleep(20);
	return atomic_read(v) >= value;
}

/*
 * Wait up to 10 s for mfgraph's stacks_in_use to read @want, as dead tasks'
 * stacks are freed; returns what it read last.
 */
static inline unsigned int mfg_test_wait_stacks(unsigned int want)
{
	struct mfg_stats st;
	int i;

	for (i = 0; i < 500; i++) {
		/* A task_struct, and with it its stack, goes after a grace period. */
		rcu_barrier();
		mfg_get_stats(&st);
		if (st.stacks_in_use == want)
			break;
		msleep(20);
	}
	return st.stacks_in_use;
}

#endif /* MFG_TEST_UTIL_H */
