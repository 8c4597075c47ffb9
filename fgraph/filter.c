// SPDX-License-Identifier: GPL-2.0
/*
 * Users' filters and the hook's own: each user's filter is a private, never
 * registered ftrace_ops into which ftrace resolves names, globs and
 * addresses; the hook's ftrace filter and the engine's function map are
 * rebuilt from the live users' filters whenever one changes.
 */
#include <linux/ftrace.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>

#include "hook.h"

/* A user's filter: a private, never registered ftrace_ops holds its functions. */
struct mfg_filter {
	struct ftrace_ops resolver;
	bool all;
};

static bool mfg_hook_registered;
static bool mfg_hook_all;

static struct mfg_filter *mfg_filter_of(struct mfg_ops *ops, bool create)
{
	struct mfg_filter *f = ops->filter;

	if (!f && create) {
		f = kzalloc(sizeof(*f), GFP_KERNEL);
		ops->filter = f;
	}
	return f;
}

static int mfg_cmp_ulong(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/*
 * Rebuild the function map and the hook's ftrace filter from the live
 * users' filters, and register or unregister the hook as needed.
 */
int mfg_update_hook_locked(void)
{
	struct mfg_core_filter filters[MFG_MAX_USERS];
	unsigned long *ips[MFG_MAX_USERS] = {};
	unsigned long *all_ips = NULL;
	unsigned int n = 0, total = 0, uniq = 0, i;
	bool any_all = false;
	void *old_map;
	int ret = 0, slot;

	for (slot = 0; slot < MFG_MAX_USERS; slot++) {
		struct mfg_ops *ops = mfg_users[slot];
		struct mfg_filter *f;
		unsigned int count = 0;

		if (!ops)
			continue;
		f = mfg_filter_of(ops, false);
		if (f && !f->all) {
			ret = mfg_ftrace_ops_ips(&f->resolver, &ips[slot], &count);
			if (ret)
				goto out;
		}
		filters[n++] = (struct mfg_core_filter){
			.slot = slot, .all = f && f->all, .ips = ips[slot], .count = count,
		};
		any_all |= f && f->all;
		total += count;
	}

	old_map = mfg_core_publish_map(filters, n, &ret);
	if (ret)
		goto out;

	if (!any_all && total) {
		all_ips = kvmalloc_array(total, sizeof(*all_ips), GFP_KERNEL);
		if (!all_ips) {
			ret = -ENOMEM;
			goto free_map;
		}
		for (i = 0; i < n; i++) {
			memcpy(all_ips + uniq, filters[i].ips, filters[i].count * sizeof(*all_ips));
			uniq += filters[i].count;
		}
		sort(all_ips, uniq, sizeof(*all_ips), mfg_cmp_ulong, NULL);
		for (i = 1, total = uniq, uniq = 1; i < total; i++)
			if (all_ips[i] != all_ips[uniq - 1])
				all_ips[uniq++] = all_ips[i];
	}

	if (!any_all && !uniq) {
		/* An empty ftrace filter means "everything": switch the hook off. */
		if (mfg_hook_registered) {
			ret = unregister_ftrace_function(&mfg_hook_ops);
			if (ret)
				goto free_map;
			mfg_hook_registered = false;
		}
		goto free_map;
	}
	if (any_all)
		ret = ftrace_set_filter(&mfg_hook_ops, NULL, 0, 1);
	else
		ret = ftrace_set_filter_ips(&mfg_hook_ops, all_ips, uniq, 0, 1);
	if (!ret && !mfg_hook_registered) {
		ret = register_ftrace_function(&mfg_hook_ops);
		mfg_hook_registered = !ret;
	}
	mfg_hook_all = any_all;
free_map:
	if (old_map) {
		/* Entry paths that read the old map run with preemption off. */
		synchronize_rcu();
		mfg_core_free_map(old_map);
	}
out:
	kvfree(all_ips);
	for (slot = 0; slot < MFG_MAX_USERS; slot++)
		kvfree(ips[slot]);
	return ret;
}

bool mfg_is_registered(struct mfg_ops *ops)
{
	return ops->slot >= 0 && ops->slot < MFG_MAX_USERS && mfg_users[ops->slot] == ops;
}

/* A name, or a glob ftrace matched nothing for: tell "no such" from "not traceable". */
static int mfg_explain_no_match(const char *glob)
{
	struct kprobe kp = { .symbol_name = glob };
	int ret;

	if (strpbrk(glob, "*?[:"))
		return -ENOENT;
	/* Registering a kprobe resolves the name through kallsyms. */
	ret = register_kprobe(&kp);
	if (ret == -ENOENT)
		return -ENOENT;
	if (!ret)
		unregister_kprobe(&kp);
	return -EINVAL;
}

/*
 * Let ftrace resolve @glob into @resolver's filter; explain a failure as
 * "no such function" (-ENOENT) or "not traceable" (-EINVAL). @who names the
 * API call in the message.
 */
static int mfg_resolve_glob(struct ftrace_ops *resolver, const char *glob, bool reset,
			    const char *who)
{
	char *buf = kstrdup(glob, GFP_KERNEL);
	int ret;

	if (!buf)
		return -ENOMEM;
	/* ftrace may write into the pattern it parses: give it a copy. */
	ret = ftrace_set_filter(resolver, buf, strlen(buf), reset);
	kfree(buf);
	if (ret != -EINVAL)
		return ret;
	ret = mfg_explain_no_match(glob);
	if (ret == -ENOENT)
		pr_err("mfgraph: %s: no function matches '%s'\n", who, glob);
	else
		pr_err("mfgraph: %s: '%s' is not traceable (only ftrace-traceable function entries)\n",
		       who, glob);
	return ret;
}

/* See include/mfgraph.h. */
int mfg_set_filter(struct mfg_ops *ops, const char *glob, bool reset)
{
	struct mfg_filter *f;
	size_t len;
	int ret;

	if (!ops || !glob) {
		pr_err("mfgraph: set_filter: %s is NULL\n", ops ? "glob" : "ops");
		return -EINVAL;
	}
	len = strlen(glob);
	if (!len || len > KSYM_NAME_LEN * 2) {
		pr_err("mfgraph: set_filter: empty or overlong pattern\n");
		return -EINVAL;
	}
	mutex_lock(&mfg_mutex);
	f = mfg_filter_of(ops, true);
	if (!f) {
		ret = -ENOMEM;
		goto unlock;
	}
	if (!strcmp(glob, "*")) {
		if (reset)
			ftrace_set_filter_ips(&f->resolver, NULL, 0, 0, 1);
		f->all = true;
	} else {
		ret = mfg_resolve_glob(&f->resolver, glob, reset, "set_filter");
		if (ret)
			goto unlock;
		if (reset)
			f->all = false;
	}
	ret = mfg_is_registered(ops) ? mfg_update_hook_locked() : 0;
unlock:
	mutex_unlock(&mfg_mutex);
	return ret;
}
EXPORT_SYMBOL_GPL(mfg_set_filter);

/* See include/mfgraph.h. */
int mfg_set_filter_ips(struct mfg_ops *ops, unsigned long *ips, unsigned int n, bool remove,
		       bool reset)
{
	struct mfg_filter *f;
	int ret;

	if (!ops || (n && !ips)) {
		pr_err("mfgraph: set_filter_ips: %s is NULL\n", ops ? "ips" : "ops");
		return -EINVAL;
	}
	mutex_lock(&mfg_mutex);
	f = mfg_filter_of(ops, true);
	if (!f) {
		ret = -ENOMEM;
		goto unlock;
	}
	ret = ftrace_set_filter_ips(&f->resolver, ips, n, remove, reset);
	if (ret == -EINVAL)
		pr_err("mfgraph: set_filter_ips: an address is not traceable (only ftrace-traceable function entries)\n");
	if (ret)
		goto unlock;
	if (reset && !remove)
		f->all = false;
	ret = mfg_is_registered(ops) ? mfg_update_hook_locked() : 0;
unlock:
	mutex_unlock(&mfg_mutex);
	return ret;
}
EXPORT_SYMBOL_GPL(mfg_set_filter_ips);

/* See include/mfgraph.h. */
int mfg_func_ip(const char *name, unsigned long addr, unsigned long *ip)
{
	struct mfg_filter *f;
	unsigned long *ips = NULL;
	unsigned int n = 0;
	int ret;

	if (!ip || !name == !addr) {
		pr_err("mfgraph: func_ip: give exactly one of a name and an address\n");
		return -EINVAL;
	}
	if (name && (!*name || strpbrk(name, "*?[") || strlen(name) >= KSYM_NAME_LEN)) {
		pr_err("mfgraph: func_ip: '%s' is not a function name\n", name);
		return -EINVAL;
	}
	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	mutex_lock(&mfg_mutex);
	if (name) {
		ret = mfg_resolve_glob(&f->resolver, name, true, "func_ip");
	} else {
		ret = ftrace_set_filter_ips(&f->resolver, &addr, 1, 0, 1);
		if (ret == -EINVAL)
			pr_err("mfgraph: func_ip: %pS is not traceable (only ftrace-traceable function entries)\n",
			       (void *)addr);
	}
	if (!ret)
		ret = mfg_ftrace_ops_ips(&f->resolver, &ips, &n);
	mutex_unlock(&mfg_mutex);
	if (!ret && n != 1) {
		/* Several static functions share the name. */
		pr_err("mfgraph: func_ip: '%s' names %u functions\n", name, n);
		ret = -EADDRNOTAVAIL;
	}
	if (!ret)
		*ip = ips[0];
	kvfree(ips);
	ftrace_free_filter(&f->resolver);
	kfree(f);
	return ret;
}
EXPORT_SYMBOL_GPL(mfg_func_ip);

/* See include/mfgraph.h. */
void mfg_free_filter(struct mfg_ops *ops)
{
	struct mfg_filter *f;

	if (!ops)
		return;
	mutex_lock(&mfg_mutex);
	if (mfg_is_registered(ops)) {
		pr_err("mfgraph: free_filter: user is registered\n");
		mutex_unlock(&mfg_mutex);
		return;
	}
	f = ops->filter;
	ops->filter = NULL;
	mutex_unlock(&mfg_mutex);
	if (f) {
		ftrace_free_filter(&f->resolver);
		kfree(f);
	}
}
EXPORT_SYMBOL_GPL(mfg_free_filter);

/* What debugfs shows of a user's filter. mfg_mutex held. */
void mfg_filter_describe(struct mfg_ops *ops, bool *all, unsigned long *size)
{
	struct mfg_filter *f = ops->filter;

	*all = f && f->all;
	*size = f && !f->all ? mfg_ftrace_ops_count(&f->resolver) : 0;
}

/* Whether the hook is on; *@all: for every function. mfg_mutex held. */
bool mfg_hook_is_registered(bool *all)
{
	*all = mfg_hook_all;
	return mfg_hook_registered;
}

void mfg_filters_exit(void)
{
	void *map;
	int err;

	mutex_lock(&mfg_mutex);
	/* The hook is off for good: its filter hash goes with the module. */
	if (!mfg_hook_registered)
		ftrace_free_filter(&mfg_hook_ops);
	/* The last user's unregistration published no map; be sure of it. */
	map = mfg_core_publish_map(NULL, 0, &err);
	if (map) {
		synchronize_rcu();
		mfg_core_free_map(map);
	}
	mutex_unlock(&mfg_mutex);
}
