/* SPDX-License-Identifier: GPL-2.0 */
/* Small helpers shared by the KUnit modules. */
#ifndef MFG_TEST_UTIL_H
#define MFG_TEST_UTIL_H

#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/kallsyms.h>
#include <linux/string.h>

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

#endif /* MFG_TEST_UTIL_H */
