/* SPDX-License-Identifier: GPL-2.0 */
/* Between the hook (hook.c) and the module's front (main.c). */
#ifndef MFG_HOOK_H
#define MFG_HOOK_H

#include <mfgraph.h>

#include "core.h"

struct mfg_hook_user {
	struct mfg_ops *ops;		/* NULL: slot free */
	unsigned long long generation;
	bool filter_all;
	unsigned long filter_size;
	struct mfg_core_stats counts;
};

struct mfg_hook_stats {
	unsigned int nr_users;
	bool hook_registered;
	bool hook_all;
	bool started;
	struct mfg_hook_user users[MFG_MAX_USERS];
};

int mfg_hook_init(void);
void mfg_hook_exit(void);
/* A snapshot for debugfs. May sleep. */
void mfg_hook_stats(struct mfg_hook_stats *st);

#endif /* MFG_HOOK_H */
