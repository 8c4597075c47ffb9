/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where a module's code is: its core and init text. 6.4 replaced
 * core_layout and init_layout with the mem[] regions.
 */
#ifndef MFG_WRAPPER_MODULE_H
#define MFG_WRAPPER_MODULE_H

#include <linux/module.h>
#include <linux/version.h>

struct mfg_module_text {
	unsigned long base[2];
	unsigned long size[2];
};

static inline void mfg_module_text_of(struct mfg_module_text *t, const struct module *mod)
{
#if KERNEL_VERSION(6, 4, 0) <= LINUX_VERSION_CODE
	t->base[0] = (unsigned long)mod->mem[MOD_TEXT].base;
	t->size[0] = mod->mem[MOD_TEXT].size;
	t->base[1] = (unsigned long)mod->mem[MOD_INIT_TEXT].base;
	t->size[1] = mod->mem[MOD_INIT_TEXT].size;
#else
	t->base[0] = (unsigned long)mod->core_layout.base;
	t->size[0] = mod->core_layout.text_size;
	t->base[1] = (unsigned long)mod->init_layout.base;
	t->size[1] = mod->init_layout.text_size;
#endif
}

static inline bool mfg_module_text_has(const struct mfg_module_text *t, unsigned long addr)
{
	return addr - t->base[0] < t->size[0] || addr - t->base[1] < t->size[1];
}

static inline bool mfg_module_text_overlaps(const struct mfg_module_text *t,
					    const struct module *mod)
{
	struct mfg_module_text m;
	int i, j;

	mfg_module_text_of(&m, mod);
	for (i = 0; i < 2; i++)
		for (j = 0; j < 2; j++)
			if (t->size[i] && m.size[j] && t->base[i] < m.base[j] + m.size[j] &&
			    m.base[j] < t->base[i] + t->size[i])
				return true;
	return false;
}

#endif /* MFG_WRAPPER_MODULE_H */
