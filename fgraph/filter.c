// SPDX-License-Identifier: GPL-2.0
/*
 * Users' filters and the hook's own: each user's filter is a private, never
 * registered ftrace_ops into which ftrace resolves names, globs and
 * addresses; the hook's ftrace filter and the engine's function map are
 * rebuilt from the live users' filters whenever one changes.
 *
 * ftrace forgets a module's functions when the module goes, but only in its
 * own trace arrays' filters: an address left in ours would make every later
 * ftrace_set_filter_ips() with it fail, and would select whatever module
 * is loaded at that address next. A module notifier takes them out first.
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
	struct list_head node;	/* in mfg_filters */
};

static bool mfg_hook_registered;
static bool mfg_hook_all;
/* Every user's filter, registered or not: a going module leaves them all. mfg_mutex. */
static LIST_HEAD(mfg_filters);
static bool mfg_module_nb_registered;

/*
 * The text of the last modules that went. Their functions stay known to
 * ftrace from our GOING notification until ftrace_release_mod(): a filter
 * set in that window must not pick them up. A module loaded at the same
 * place later takes its range off. mfg_mutex.
 */
#define MFG_GONE_MODULES 8
static struct mfg_module_text mfg_gone[MFG_GONE_MODULES];
static unsigned int mfg_gone_next;

static struct mfg_filter *mfg_filter_of(struct mfg_ops *ops, bool create)
{
	struct mfg_filter *f = ops->filter;

	if (!f && create) {
		f = kzalloc(sizeof(*f), GFP_KERNEL);
		if (f)
			list_add(&f->node, &mfg_filters);
		ops->filter = f;
	}
	return f;
}

static void mfg_filter_free(struct mfg_filter *f)
{
	list_del(&f->node);
	ftrace_free_filter(&f->resolver);
	kfree(f);
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

	/* Allocate before the map changes: a failure then changes nothing. */
	if (!any_all && total) {
		all_ips = kvmalloc_array(total, sizeof(*all_ips), GFP_KERNEL);
		if (!all_ips) {
			ret = -ENOMEM;
			goto out;
		}
	}
	old_map = mfg_core_publish_map(filters, n, &ret);
	if (ret)
		goto out;

	if (!any_all && total) {
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

typedef bool (*mfg_ip_test_t)(unsigned long ip, const void *arg);

/*
 * Take out of @f the functions @gone picks, by building its filter again
 * from the functions that stay: removing an address fails once ftrace has
 * forgotten it (a module's init text after ftrace_free_mem(), which a glob
 * may have picked up just before). Returns how many went, or a negative
 * errno; on an error @f is emptied rather than left holding them.
 */
static int mfg_filter_prune(struct mfg_filter *f, mfg_ip_test_t gone, const void *arg)
{
	unsigned long *ips;
	unsigned int n, i, kept = 0;
	int ret;

	ret = mfg_ftrace_ops_ips(&f->resolver, &ips, &n);
	if (!ret) {
		for (i = 0; i < n; i++)
			if (!gone(ips[i], arg))
				ips[kept++] = ips[i];
		if (kept < n) {
			/* Never registered: a zeroed resolver is an empty filter. */
			ftrace_free_filter(&f->resolver);
			memset(&f->resolver, 0, sizeof(f->resolver));
			if (kept)
				ret = ftrace_set_filter_ips(&f->resolver, ips, kept, 0, 1);
		}
		kvfree(ips);
	}
	if (!ret)
		return n - kept;
	ftrace_free_filter(&f->resolver);
	memset(&f->resolver, 0, sizeof(f->resolver));
	return ret;
}

static bool mfg_ip_in_module(unsigned long ip, const void *mod)
{
	return within_module(ip, mod);
}

static bool mfg_ip_in_module_init(unsigned long ip, const void *mod)
{
	return within_module_init(ip, mod);
}

static bool mfg_ip_gone(unsigned long ip, const void *unused)
{
	unsigned int i;

	for (i = 0; i < MFG_GONE_MODULES; i++)
		if (mfg_module_text_has(&mfg_gone[i], ip))
			return true;
	return false;
}

/*
 * A filter just changed: drop what it picked up of a module on its way out.
 * On an error @f is empty: the caller puts back what it held before.
 */
static int mfg_filter_drop_gone(struct mfg_filter *f)
{
	return min(mfg_filter_prune(f, mfg_ip_gone, NULL), 0);
}

/*
 * A module goes (or its init text does, once it is live): its functions
 * leave every filter, registered users' or not, while ftrace still knows
 * them (it forgets them in ftrace_release_mod(), after this notification;
 * a module whose load fails after COMING gets GOING too, before that). A
 * filter that had only them selects nothing from now on.
 */
static int mfg_module_notify(struct notifier_block *nb, unsigned long state, void *data)
{
	struct module *mod = data;
	struct mfg_filter *f;
	mfg_ip_test_t gone;
	bool changed = false;
	unsigned int i;
	int ret;

	switch (state) {
	case MODULE_STATE_COMING:
		mutex_lock(&mfg_mutex);
		/* Its functions are real now, wherever an old module was. */
		for (i = 0; i < MFG_GONE_MODULES; i++)
			if (mfg_module_text_overlaps(&mfg_gone[i], mod))
				memset(&mfg_gone[i], 0, sizeof(mfg_gone[i]));
		mutex_unlock(&mfg_mutex);
		return NOTIFY_DONE;
	case MODULE_STATE_LIVE:
		gone = mfg_ip_in_module_init;
		break;
	case MODULE_STATE_GOING:
		gone = mfg_ip_in_module;
		break;
	default:
		return NOTIFY_DONE;
	}
	mutex_lock(&mfg_mutex);
	/*
	 * Until ftrace forgets them (ftrace_release_mod() after GOING,
	 * ftrace_free_mem() of the init text after LIVE), a filter change can
	 * still resolve these functions: remember the range, and every
	 * filter change drops what it picked up there.
	 */
	mfg_module_text_of(&mfg_gone[mfg_gone_next], mod);
	if (state == MODULE_STATE_LIVE)
		mfg_gone[mfg_gone_next].size[0] = 0;	/* the core text stays */
	mfg_gone_next = (mfg_gone_next + 1) % MFG_GONE_MODULES;
	list_for_each_entry(f, &mfg_filters, node) {
		ret = mfg_filter_prune(f, gone, mod);
		if (ret < 0)
			pr_err("mfgraph: could not drop %s's functions from a filter (%d): filter emptied\n",
			       mod->name, ret);
		changed |= ret != 0;
	}
	if (changed && mfg_update_hook_locked())
		pr_err("mfgraph: could not update the hook without %s's functions\n", mod->name);
	mutex_unlock(&mfg_mutex);
	return NOTIFY_DONE;
}

static struct notifier_block mfg_module_nb = {
	.notifier_call = mfg_module_notify,
};

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

/* What a filter held before a change: put back when the change fails half way. */
struct mfg_filter_saved {
	unsigned long *ips;
	unsigned int n;
	bool all;
};

static int mfg_filter_save(struct mfg_filter *f, struct mfg_filter_saved *saved)
{
	saved->all = f->all;
	return mfg_ftrace_ops_ips(&f->resolver, &saved->ips, &saved->n);
}

/*
 * A change of @ops's filter failed after the filter, and maybe the hook,
 * had changed: make both what they were. This allocates too; if that fails
 * the filter stays as the failed change left it, and we say so.
 */
static void mfg_filter_restore(struct mfg_ops *ops, struct mfg_filter *f,
			       struct mfg_filter_saved *saved, const char *who)
{
	int ret = 0;

	/* Never registered: a zeroed resolver is an empty filter. */
	ftrace_free_filter(&f->resolver);
	memset(&f->resolver, 0, sizeof(f->resolver));
	if (saved->n)
		ret = ftrace_set_filter_ips(&f->resolver, saved->ips, saved->n, 0, 1);
	f->all = saved->all;
	if (!ret && mfg_is_registered(ops))
		ret = mfg_update_hook_locked();
	if (ret)
		pr_err("mfgraph: %s: the change failed, and so did putting the filter back (%d)\n",
		       who, ret);
}

/*
 * Resolve @glob into @resolver, adding or (@reset) replacing. ftrace resolves
 * it into a scratch filter first, whose functions then go in by address:
 * ftrace_set_filter() reports a match whose hash entry it could not allocate
 * as a success (ftrace_set_hash() takes match_records()' -ENOMEM for "found"),
 * so a match that left nothing is taken for what it is, -ENOMEM; and adding
 * by address reports its own allocation failures. A "!glob" only removes:
 * it allocates no entry, and goes to ftrace as it is.
 */
static int mfg_resolve_glob_into(struct ftrace_ops *resolver, const char *glob, bool reset)
{
	struct ftrace_ops *scratch;
	unsigned long *ips = NULL;
	unsigned int n = 0;
	int ret;

	if (glob[0] == '!')
		return mfg_resolve_glob(resolver, glob, reset, "set_filter");
	scratch = kzalloc(sizeof(*scratch), GFP_KERNEL);
	if (!scratch)
		return -ENOMEM;
	ret = mfg_resolve_glob(scratch, glob, true, "set_filter");
	if (!ret)
		ret = mfg_ftrace_ops_ips(scratch, &ips, &n);
	if (!ret && !n)
		ret = -ENOMEM;
	if (!ret)
		ret = ftrace_set_filter_ips(resolver, ips, n, 0, reset);
	kvfree(ips);
	ftrace_free_filter(scratch);
	kfree(scratch);
	return ret;
}

/*
 * @ops's filter changed: drop what it @added of a module on its way out,
 * then let the hook follow if @ops is registered; on an error put the
 * filter and the hook back as @saved has them. mfg_mutex held.
 */
static int mfg_filter_changed_locked(struct mfg_ops *ops, struct mfg_filter *f, bool added,
				     struct mfg_filter_saved *saved, const char *who)
{
	int ret = added ? mfg_filter_drop_gone(f) : 0;

	if (!ret && mfg_is_registered(ops))
		ret = mfg_update_hook_locked();
	if (ret)
		mfg_filter_restore(ops, f, saved, who);
	return ret;
}

/* See include/mfgraph.h. */
int mfg_set_filter(struct mfg_ops *ops, const char *glob, bool reset)
{
	struct mfg_filter_saved saved;
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
	ret = mfg_filter_save(f, &saved);
	if (ret)
		goto unlock;
	if (!strcmp(glob, "*")) {
		if (reset)
			ftrace_set_filter_ips(&f->resolver, NULL, 0, 0, 1);
		f->all = true;
	} else {
		ret = mfg_resolve_glob_into(&f->resolver, glob, reset);
		if (ret)
			goto free_saved;
		if (reset)
			f->all = false;
	}
	ret = mfg_filter_changed_locked(ops, f, strcmp(glob, "*"), &saved, "set_filter");
free_saved:
	kvfree(saved.ips);
unlock:
	mutex_unlock(&mfg_mutex);
	return ret;
}
EXPORT_SYMBOL_GPL(mfg_set_filter);

/* See include/mfgraph.h. */
int mfg_set_filter_ips(struct mfg_ops *ops, unsigned long *ips, unsigned int n, bool remove,
		       bool reset)
{
	struct mfg_filter_saved saved;
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
	ret = mfg_filter_save(f, &saved);
	if (ret)
		goto unlock;
	ret = ftrace_set_filter_ips(&f->resolver, ips, n, remove, reset);
	if (ret == -EINVAL)
		pr_err("mfgraph: set_filter_ips: an address is not traceable (only ftrace-traceable function entries)\n");
	if (ret)
		goto free_saved;
	if (reset && !remove)
		f->all = false;
	ret = mfg_filter_changed_locked(ops, f, !remove, &saved, "set_filter_ips");
free_saved:
	kvfree(saved.ips);
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
	/* ftrace matched and could not record it (see mfg_resolve_glob_into()). */
	if (!ret && !n)
		ret = -ENOMEM;
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
	if (f)
		mfg_filter_free(f);
	mutex_unlock(&mfg_mutex);
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

int mfg_filters_init(void)
{
	int ret = register_module_notifier(&mfg_module_nb);

	if (ret)
		pr_err("mfgraph: cannot watch modules going (%d)\n", ret);
	mfg_module_nb_registered = !ret;
	return ret;
}

void mfg_filters_exit(void)
{
	struct mfg_filter *f, *next;
	unsigned int leaked = 0;
	void *map;
	int err;

	if (mfg_module_nb_registered)
		unregister_module_notifier(&mfg_module_nb);
	mfg_module_nb_registered = false;
	mutex_lock(&mfg_mutex);
	/* Clients that never called mfg_free_filter(): they are gone now. */
	list_for_each_entry_safe(f, next, &mfg_filters, node) {
		mfg_filter_free(f);
		leaked++;
	}
	if (leaked)
		pr_warn("mfgraph: %u filters were never freed (mfg_free_filter)\n", leaked);
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
