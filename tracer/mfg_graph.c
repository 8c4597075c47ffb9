// SPDX-License-Identifier: GPL-2.0
/*
 * mfg_graph: a function-graph tracer on mfgraph, with instances.
 *
 * Each instance is one mfgraph user with its own functions, graph roots,
 * depth limit, pid filter and return-value switch. Traced calls become the
 * trace events mfgraph:graph_entry and mfgraph:graph_return (see
 * mfg_graph_trace.h) in the top-level ring buffer.
 *
 * Control files live in debugfs, /sys/kernel/debug/mfg_graph/: Linux 6.12
 * does not export tracefs_create_dir()/tracefs_create_file() to modules,
 * and with IBT a module cannot call them through an address either.
 *
 *   instances           "add NAME" / "remove NAME"; reads "id name" lines
 *   NAME/functions      globs, "!glob" excludes (as set_ftrace_filter)
 *   NAME/graph_roots    function names; only calls below them are traced
 *   NAME/max_depth      0: unlimited
 *   NAME/pids           thread ids; empty: every task
 *   NAME/retval         1: record return values
 *   NAME/enable         1: registered with mfgraph, tracing
 *   NAME/id             the instance number the events carry
 *   NAME/stats          entries, returns, drops, misses
 *
 * A write replaces the setting, a write with O_APPEND (">>") adds to it; a
 * bad write returns an error and changes nothing. Every setting may change
 * while the instance is enabled.
 *
 * Fast path: the entry callback reads the pid set and the root set under
 * RCU (callbacks run with preemption disabled), keeps the instance's depth
 * for the task in mfgraph's task variable, and the depth and entry time of
 * the call in the call's data on the shadow stack. No lock, no allocation.
 *
 * Only the public mfgraph API is used.
 */
#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/kallsyms.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/trace_clock.h>
#include <linux/uaccess.h>

#include <mfgraph.h>

#define CREATE_TRACE_POINTS
#include "mfg_graph_trace.h"

#define MFGG_MAX_INSTANCES	8
#define MFGG_NAME_LEN		32
#define MFGG_MAX_PIDS		32
#define MFGG_MAX_ROOTS		32
#define MFGG_MAX_WRITE		4096
#define MFGG_MAX_SPEC		16384

/* A sorted set of pids or function addresses, replaced whole under RCU. */
struct mfgg_set {
	struct rcu_head rcu;
	unsigned int n;
	unsigned long v[];
};

struct mfgg_stats {
	unsigned long entries;
	unsigned long returns;
	unsigned long drops;
	unsigned long misses;
};

/* What an entry leaves on the shadow stack for its return. */
struct mfgg_call {
	unsigned long depth;
	u64 calltime;
};

/**
 * struct mfgg_instance - one tracer instance, one mfgraph user
 * @ops: its mfgraph user
 * @node: on mfgg_instances
 * @id: the number its events carry; never reused while the module is loaded
 * @name: its directory's name
 * @dir: its directory
 * @enabled: registered with mfgraph
 * @dead: removed; control files return -ENODEV
 * @functions: the functions spec, tokens separated by '\n' ("" for none)
 * @roots: the graph roots spec, likewise
 * @pids: the pid set, NULL for every task (RCU)
 * @root_ips: the graph roots' addresses, NULL for no restriction (RCU)
 * @max_depth: depth limit, 0 for none
 * @retval: record return values
 * @stats: per-CPU counters
 *
 * All but the fast-path fields are under mfgg_mutex.
 */
struct mfgg_instance {
	struct mfg_ops ops;
	struct list_head node;
	unsigned int id;
	char name[MFGG_NAME_LEN];
	struct dentry *dir;
	bool enabled;
	bool dead;
	char *functions;
	char *roots;
	struct mfgg_set __rcu *pids;
	struct mfgg_set __rcu *root_ips;
	unsigned int max_depth;
	bool retval;
	struct mfgg_stats __percpu *stats;
};

static DEFINE_MUTEX(mfgg_mutex);
static LIST_HEAD(mfgg_instances);
static unsigned int mfgg_nr_instances;
static unsigned int mfgg_next_id = 1;
static struct dentry *mfgg_dir;

/* ------------------------------------------------------------ fast path */

static bool mfgg_set_has(const struct mfgg_set *set, unsigned long v)
{
	unsigned int lo = 0, hi = set->n;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (set->v[mid] == v)
			return true;
		if (set->v[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static int mfgg_entry(const struct mfg_entry *trace, struct mfg_ops *ops,
		      struct ftrace_regs *fregs)
{
	struct mfgg_instance *inst = container_of(ops, struct mfgg_instance, ops);
	const struct mfgg_set *set;
	struct mfgg_call *call;
	unsigned int max_depth;
	unsigned long *var;
	unsigned long depth;

	set = rcu_dereference_sched(inst->pids);
	if (set && !mfgg_set_has(set, current->pid))
		return 0;
	var = mfg_task_var(ops);
	if (unlikely(!var)) {
		this_cpu_inc(inst->stats->drops);
		return 0;
	}
	depth = *var;
	if (!depth) {
		set = rcu_dereference_sched(inst->root_ips);
		if (set && !mfgg_set_has(set, trace->func))
			return 0;
	}
	max_depth = READ_ONCE(inst->max_depth);
	if (max_depth && depth >= max_depth)
		return 0;
	call = mfg_reserve_data(sizeof(*call));
	if (unlikely(!call)) {
		this_cpu_inc(inst->stats->drops);
		return 0;
	}
	call->depth = depth;
	*var = depth + 1;
	this_cpu_inc(inst->stats->entries);
	trace_graph_entry(inst->id, depth, trace->func);
	call->calltime = trace_clock_local();
	return 1;
}

static void mfgg_return(const struct mfg_return *trace, struct mfg_ops *ops,
			struct ftrace_regs *fregs)
{
	struct mfgg_instance *inst = container_of(ops, struct mfgg_instance, ops);
	u64 rettime = trace_clock_local();
	struct mfgg_call *call;
	unsigned long *var;
	int size;

	call = mfg_retrieve_data(&size);
	if (unlikely(!call || size < (int)sizeof(*call))) {
		this_cpu_inc(inst->stats->drops);
		return;
	}
	/* Set, not decrement: a lost return cannot skew the depth for good. */
	var = mfg_task_var(ops);
	if (likely(var))
		*var = call->depth;
	this_cpu_inc(inst->stats->returns);
	trace_graph_return(inst->id, call->depth, trace->func, READ_ONCE(inst->retval) ?
			   trace->retval : 0, READ_ONCE(inst->retval), call->calltime, rettime);
}

static void mfgg_miss(unsigned long func, struct mfg_ops *ops)
{
	struct mfgg_instance *inst = container_of(ops, struct mfgg_instance, ops);

	this_cpu_inc(inst->stats->misses);
}

/* ------------------------------------------------------------ specs */

/* The next whitespace-separated token of *@s, NUL-terminated in place. */
static char *mfgg_token(char **s)
{
	char *tok = skip_spaces(*s);
	char *end = tok;

	if (!*tok)
		return NULL;
	while (*end && !isspace(*end))
		end++;
	if (*end)
		*end++ = '\0';
	*s = end;
	return tok;
}

/*
 * Normalise the tokens of @buf into a '\n'-separated spec, after @old if
 * not NULL. Return: the new spec (kmalloc'd), or an ERR_PTR.
 */
static char *mfgg_join(const char *old, char *buf, const char *file, bool names)
{
	size_t len = old ? strlen(old) : 0;
	char *spec, *tok;

	spec = kmalloc(len + strlen(buf) + 2, GFP_KERNEL);
	if (!spec)
		return ERR_PTR(-ENOMEM);
	strscpy(spec, old ?: "", len + 1);
	while ((tok = mfgg_token(&buf))) {
		if (strlen(tok) >= KSYM_NAME_LEN ||
		    (names && (strpbrk(tok, "*?[!") || strchr(tok, ':')))) {
			pr_err("mfg_graph: %s: '%s' is not a function name%s\n", file, tok,
			       names ? " (graph_roots takes names, not globs)" : "");
			kfree(spec);
			return ERR_PTR(-EINVAL);
		}
		if (len)
			spec[len++] = '\n';
		memcpy(spec + len, tok, strlen(tok));
		len += strlen(tok);
	}
	spec[len] = '\0';
	if (len > MFGG_MAX_SPEC) {
		pr_err("mfg_graph: %s: more than %d bytes of patterns\n", file, MFGG_MAX_SPEC);
		kfree(spec);
		return ERR_PTR(-E2BIG);
	}
	return spec;
}

/* Call @fn on each token of a '\n'-separated @spec; stop at an error. */
static int mfgg_for_each(const char *spec, int (*fn)(const char *tok, unsigned int i, void *arg),
			 void *arg)
{
	char *copy, *s, *tok;
	unsigned int i = 0;
	int ret = 0;

	copy = kstrdup(spec, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	s = copy;
	while (!ret && (tok = strsep(&s, "\n")))
		if (*tok)
			ret = fn(tok, i++, arg);
	kfree(copy);
	return ret;
}

static int mfgg_add_glob(const char *tok, unsigned int i, void *arg)
{
	return mfg_set_filter(arg, tok, i == 0);
}

/*
 * Make @ops's filter the functions of @functions and the roots of @roots.
 * Globs after a "*" cannot exclude anything from it: refuse "!" with "*".
 */
static int mfgg_build_filter(struct mfg_ops *ops, const char *functions, const char *roots)
{
	size_t flen = strlen(functions), rlen = strlen(roots);
	char *all;
	int ret;

	all = kmalloc(flen + rlen + 2, GFP_KERNEL);
	if (!all)
		return -ENOMEM;
	memcpy(all, functions, flen);
	if (flen && rlen)
		all[flen++] = '\n';
	memcpy(all + flen, roots, rlen + 1);
	if (*all)
		ret = mfgg_for_each(all, mfgg_add_glob, ops);
	else
		ret = mfg_set_filter_ips(ops, NULL, 0, false, true);
	kfree(all);
	return ret;
}

static int mfgg_note_token(const char *tok, unsigned int i, void *arg)
{
	unsigned int *seen = arg;

	*seen |= (!strcmp(tok, "*") ? 1 : 0) | (tok[0] == '!' ? 2 : 0);
	return 0;
}

static int mfgg_cmp_ulong(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/* A sorted set without duplicates from @v[0..@n). */
static struct mfgg_set *mfgg_make_set(unsigned long *v, unsigned int n)
{
	struct mfgg_set *set;
	unsigned int i, k = 0;

	set = kmalloc(struct_size(set, v, n), GFP_KERNEL);
	if (!set)
		return NULL;
	sort(v, n, sizeof(*v), mfgg_cmp_ulong, NULL);
	for (i = 0; i < n; i++)
		if (!k || set->v[k - 1] != v[i])
			set->v[k++] = v[i];
	set->n = k;
	return set;
}

struct mfgg_roots_arg {
	unsigned long ips[MFGG_MAX_ROOTS];
	unsigned int n;
};

static int mfgg_add_root(const char *tok, unsigned int i, void *arg)
{
	struct mfgg_roots_arg *r = arg;

	if (r->n == MFGG_MAX_ROOTS) {
		pr_err("mfg_graph: graph_roots: more than %d roots\n", MFGG_MAX_ROOTS);
		return -E2BIG;
	}
	return mfg_func_ip(tok, 0, &r->ips[r->n++]);
}

/* Replace an RCU-read set; the old one is freed once no callback reads it. */
static void mfgg_replace_set(struct mfgg_set __rcu **slot, struct mfgg_set *set)
{
	struct mfgg_set *old = rcu_replace_pointer(*slot, set, lockdep_is_held(&mfgg_mutex));

	if (old)
		kfree_rcu(old, rcu);
}

/*
 * Give @inst the functions and roots specs @functions and @roots, or change
 * nothing. Both are checked on a scratch user before @inst's filter changes.
 * Takes both strings (kmalloc'd, or NULL when allocation failed).
 */
static int mfgg_set_specs(struct mfgg_instance *inst, char *functions, char *roots)
{
	struct mfgg_roots_arg *r = NULL;
	struct mfgg_set *set = NULL;
	struct mfg_ops *scratch = NULL;
	int ret;

	unsigned int seen = 0;

	if (!functions || !roots) {
		ret = -ENOMEM;
		goto out;
	}
	ret = mfgg_for_each(functions, mfgg_note_token, &seen);
	if (ret)
		goto out;
	if (seen == 3) {
		pr_err("mfg_graph: %s: functions: '*' selects every function; it cannot take '!' excludes\n",
		       inst->name);
		ret = -EINVAL;
		goto out;
	}
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	scratch = kzalloc(sizeof(*scratch), GFP_KERNEL);
	if (!r || !scratch) {
		ret = -ENOMEM;
		goto out;
	}
	ret = mfgg_for_each(roots, mfgg_add_root, r);
	if (ret)
		goto out;
	if (r->n) {
		set = mfgg_make_set(r->ips, r->n);
		if (!set) {
			ret = -ENOMEM;
			goto out;
		}
	}
	ret = mfgg_build_filter(scratch, functions, roots);
	mfg_free_filter(scratch);
	if (ret)
		goto out;
	ret = mfgg_build_filter(&inst->ops, functions, roots);
	if (ret) {
		pr_err("mfg_graph: %s: the filter checked fine but could not be set (%d): restoring\n",
		       inst->name, ret);
		mfgg_build_filter(&inst->ops, inst->functions, inst->roots);
		goto out;
	}
	mfgg_replace_set(&inst->root_ips, set);
	set = NULL;
	kfree(inst->functions);
	kfree(inst->roots);
	inst->functions = functions;
	inst->roots = roots;
	functions = NULL;
	roots = NULL;
out:
	kfree(set);
	kfree(scratch);
	kfree(r);
	kfree(functions);
	kfree(roots);
	return ret;
}

/* ------------------------------------------------------------ files */

enum mfgg_file {
	MFGG_FUNCTIONS,
	MFGG_ROOTS,
	MFGG_MAX_DEPTH,
	MFGG_PIDS,
	MFGG_RETVAL,
	MFGG_ENABLE,
	MFGG_ID,
	MFGG_STATS,
	MFGG_NR_FILES
};

static const char *const mfgg_file_names[MFGG_NR_FILES] = {
	[MFGG_FUNCTIONS] = "functions",
	[MFGG_ROOTS] = "graph_roots",
	[MFGG_MAX_DEPTH] = "max_depth",
	[MFGG_PIDS] = "pids",
	[MFGG_RETVAL] = "retval",
	[MFGG_ENABLE] = "enable",
	[MFGG_ID] = "id",
	[MFGG_STATS] = "stats",
};

/* The open file of one setting: the instance and which file. */
struct mfgg_open {
	struct mfgg_instance *inst;
	enum mfgg_file which;
};

static void mfgg_show_spec(struct seq_file *m, const char *spec)
{
	if (*spec)
		seq_printf(m, "%s\n", spec);
}

static void mfgg_show_set(struct seq_file *m, const struct mfgg_set *set)
{
	unsigned int i;

	for (i = 0; set && i < set->n; i++)
		seq_printf(m, "%lu\n", set->v[i]);
}

static int mfgg_show(struct seq_file *m, void *v)
{
	const struct mfgg_open *o = m->private;
	struct mfgg_instance *inst = o->inst;
	struct mfgg_stats sum = {};
	int cpu;

	mutex_lock(&mfgg_mutex);
	if (inst->dead) {
		mutex_unlock(&mfgg_mutex);
		return -ENODEV;
	}
	switch (o->which) {
	case MFGG_FUNCTIONS:
		mfgg_show_spec(m, inst->functions);
		break;
	case MFGG_ROOTS:
		mfgg_show_spec(m, inst->roots);
		break;
	case MFGG_MAX_DEPTH:
		seq_printf(m, "%u\n", inst->max_depth);
		break;
	case MFGG_PIDS:
		mfgg_show_set(m, rcu_dereference_protected(inst->pids,
							   lockdep_is_held(&mfgg_mutex)));
		break;
	case MFGG_RETVAL:
		seq_printf(m, "%d\n", inst->retval);
		break;
	case MFGG_ENABLE:
		seq_printf(m, "%d\n", inst->enabled);
		break;
	case MFGG_ID:
		seq_printf(m, "%u\n", inst->id);
		break;
	case MFGG_STATS:
		for_each_possible_cpu(cpu) {
			const struct mfgg_stats *s = per_cpu_ptr(inst->stats, cpu);

			sum.entries += READ_ONCE(s->entries);
			sum.returns += READ_ONCE(s->returns);
			sum.drops += READ_ONCE(s->drops);
			sum.misses += READ_ONCE(s->misses);
		}
		seq_printf(m, "entries: %lu\nreturns: %lu\ndrops: %lu\nmisses: %lu\n",
			   sum.entries, sum.returns, sum.drops, sum.misses);
		break;
	default:
		break;
	}
	mutex_unlock(&mfgg_mutex);
	return 0;
}

static int mfgg_write_spec(struct mfgg_instance *inst, char *buf, bool append, bool roots)
{
	const char *file = roots ? "graph_roots" : "functions";
	char *old = roots ? inst->roots : inst->functions;
	char *spec;
	int ret;

	spec = mfgg_join(append ? old : NULL, buf, file, roots);
	if (IS_ERR(spec))
		return PTR_ERR(spec);
	if (roots)
		ret = mfgg_set_specs(inst, kstrdup(inst->functions, GFP_KERNEL), spec);
	else
		ret = mfgg_set_specs(inst, spec, kstrdup(inst->roots, GFP_KERNEL));
	return ret;
}

static int mfgg_write_pids(struct mfgg_instance *inst, char *buf, bool append)
{
	const struct mfgg_set *old = rcu_dereference_protected(inst->pids,
							       lockdep_is_held(&mfgg_mutex));
	unsigned long *v;
	struct mfgg_set *set = NULL;
	unsigned int n = 0;
	char *tok;
	int ret = 0;

	v = kcalloc(MFGG_MAX_PIDS, sizeof(*v), GFP_KERNEL);
	if (!v)
		return -ENOMEM;
	if (append && old) {
		memcpy(v, old->v, old->n * sizeof(*v));
		n = old->n;
	}
	while ((tok = mfgg_token(&buf))) {
		unsigned int pid;

		if (kstrtouint(tok, 10, &pid) || !pid || pid > PID_MAX_LIMIT) {
			pr_err("mfg_graph: %s: pids: '%s' is not a pid\n", inst->name, tok);
			ret = -EINVAL;
			goto out;
		}
		if (n == MFGG_MAX_PIDS) {
			pr_err("mfg_graph: %s: pids: more than %d pids\n", inst->name,
			       MFGG_MAX_PIDS);
			ret = -E2BIG;
			goto out;
		}
		v[n++] = pid;
	}
	if (n) {
		set = mfgg_make_set(v, n);
		if (!set) {
			ret = -ENOMEM;
			goto out;
		}
	}
	mfgg_replace_set(&inst->pids, set);
out:
	kfree(v);
	return ret;
}

static int mfgg_write_enable(struct mfgg_instance *inst, bool on)
{
	int ret;

	if (on == inst->enabled)
		return 0;
	if (!on) {
		mfg_unregister(&inst->ops);
		inst->enabled = false;
		return 0;
	}
	ret = mfg_register(&inst->ops);
	if (ret) {
		pr_err("mfg_graph: %s: mfgraph refused the instance (%d)\n", inst->name, ret);
		return ret;
	}
	inst->enabled = true;
	return 0;
}

static ssize_t mfgg_write(struct file *file, const char __user *ubuf, size_t count, loff_t *ppos)
{
	struct seq_file *m = file->private_data;
	const struct mfgg_open *o = m->private;
	struct mfgg_instance *inst = o->inst;
	/* Later writes of one open add, as the first write's own lines do. */
	bool append = (file->f_flags & O_APPEND) || *ppos > 0;
	unsigned int uval;
	char *buf;
	bool bval;
	int ret;

	if (count > MFGG_MAX_WRITE) {
		pr_err("mfg_graph: %s: %s: writes are limited to %d bytes\n", inst->name,
		       mfgg_file_names[o->which], MFGG_MAX_WRITE);
		return -E2BIG;
	}
	buf = memdup_user_nul(ubuf, count);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	mutex_lock(&mfgg_mutex);
	if (inst->dead) {
		ret = -ENODEV;
		goto out;
	}
	switch (o->which) {
	case MFGG_FUNCTIONS:
		ret = mfgg_write_spec(inst, buf, append, false);
		break;
	case MFGG_ROOTS:
		ret = mfgg_write_spec(inst, buf, append, true);
		break;
	case MFGG_PIDS:
		ret = mfgg_write_pids(inst, buf, append);
		break;
	case MFGG_MAX_DEPTH:
		ret = kstrtouint(strim(buf), 10, &uval);
		if (ret)
			pr_err("mfg_graph: %s: max_depth: not a number\n", inst->name);
		else
			WRITE_ONCE(inst->max_depth, uval);
		break;
	case MFGG_RETVAL:
	case MFGG_ENABLE:
		ret = kstrtobool(strim(buf), &bval);
		if (ret)
			pr_err("mfg_graph: %s: %s: write 0 or 1\n", inst->name,
			       mfgg_file_names[o->which]);
		else if (o->which == MFGG_RETVAL)
			WRITE_ONCE(inst->retval, bval);
		else
			ret = mfgg_write_enable(inst, bval);
		break;
	default:
		ret = -EPERM;
		break;
	}
out:
	mutex_unlock(&mfgg_mutex);
	kfree(buf);
	if (ret)
		return ret;
	*ppos += count;
	return count;
}

static int mfgg_open(struct inode *inode, struct file *file)
{
	return single_open(file, mfgg_show, inode->i_private);
}

static const struct file_operations mfgg_fops = {
	.owner = THIS_MODULE,
	.open = mfgg_open,
	.read = seq_read,
	.write = mfgg_write,
	.llseek = seq_lseek,
	.release = single_release,
};

/* ------------------------------------------------------------ instances */

static bool mfgg_valid_name(const char *name)
{
	const char *c;

	if (!*name || strlen(name) >= MFGG_NAME_LEN)
		return false;
	for (c = name; *c; c++)
		if (!isalnum(*c) && *c != '_' && *c != '-')
			return false;
	return true;
}

static struct mfgg_instance *mfgg_find(const char *name)
{
	struct mfgg_instance *inst;

	list_for_each_entry(inst, &mfgg_instances, node)
		if (!strcmp(inst->name, name))
			return inst;
	return NULL;
}

/* The open files refer to an instance's struct mfgg_open, one per file. */
struct mfgg_instance_files {
	struct mfgg_instance inst;
	struct mfgg_open open[MFGG_NR_FILES];
};

static void mfgg_free(struct mfgg_instance *inst)
{
	struct mfgg_instance_files *f = container_of(inst, struct mfgg_instance_files, inst);

	if (inst->enabled)
		mfg_unregister(&inst->ops);
	mfg_free_filter(&inst->ops);
	/* No callback runs any more: the sets go at once. */
	kfree(rcu_dereference_protected(inst->pids, true));
	kfree(rcu_dereference_protected(inst->root_ips, true));
	kfree(inst->functions);
	kfree(inst->roots);
	free_percpu(inst->stats);
	kfree(f);
}

static int mfgg_add(const char *name)
{
	struct mfgg_instance_files *f;
	struct mfgg_instance *inst;
	int i;

	if (mfgg_find(name)) {
		pr_err("mfg_graph: instances: '%s' exists\n", name);
		return -EEXIST;
	}
	if (mfgg_nr_instances == MFGG_MAX_INSTANCES) {
		pr_err("mfg_graph: instances: all %d instances are in use\n", MFGG_MAX_INSTANCES);
		return -ENOSPC;
	}
	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	inst = &f->inst;
	inst->ops.entryfunc = mfgg_entry;
	inst->ops.retfunc = mfgg_return;
	inst->ops.missfunc = mfgg_miss;
	inst->ops.private = inst;
	strscpy(inst->name, name, sizeof(inst->name));
	inst->functions = kstrdup("", GFP_KERNEL);
	inst->roots = kstrdup("", GFP_KERNEL);
	inst->stats = alloc_percpu(struct mfgg_stats);
	if (!inst->functions || !inst->roots || !inst->stats)
		goto nomem;
	inst->dir = debugfs_create_dir(name, mfgg_dir);
	if (IS_ERR(inst->dir))
		goto nomem;
	for (i = 0; i < MFGG_NR_FILES; i++) {
		umode_t mode = i == MFGG_ID || i == MFGG_STATS ? 0444 : 0644;

		f->open[i].inst = inst;
		f->open[i].which = i;
		debugfs_create_file(mfgg_file_names[i], mode, inst->dir, &f->open[i], &mfgg_fops);
	}
	inst->id = mfgg_next_id++;
	list_add_tail(&inst->node, &mfgg_instances);
	mfgg_nr_instances++;
	return 0;
nomem:
	free_percpu(inst->stats);
	kfree(inst->functions);
	kfree(inst->roots);
	kfree(f);
	return -ENOMEM;
}

static ssize_t mfgg_instances_write(struct file *file, const char __user *ubuf, size_t count,
				    loff_t *ppos)
{
	struct mfgg_instance *inst = NULL;
	char *buf, *s, *cmd, *name;
	int ret;

	if (count > 128) {
		pr_err("mfg_graph: instances: write 'add NAME' or 'remove NAME'\n");
		return -EINVAL;
	}
	buf = memdup_user_nul(ubuf, count);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	s = buf;
	cmd = mfgg_token(&s);
	name = mfgg_token(&s);
	if (!cmd || !name || mfgg_token(&s) || (strcmp(cmd, "add") && strcmp(cmd, "remove"))) {
		pr_err("mfg_graph: instances: write 'add NAME' or 'remove NAME'\n");
		ret = -EINVAL;
		goto out;
	}
	if (!mfgg_valid_name(name)) {
		pr_err("mfg_graph: instances: a name is 1 to %d of [A-Za-z0-9_-]\n",
		       MFGG_NAME_LEN - 1);
		ret = -EINVAL;
		goto out;
	}
	mutex_lock(&mfgg_mutex);
	if (!strcmp(cmd, "add")) {
		ret = mfgg_add(name);
	} else {
		inst = mfgg_find(name);
		if (inst) {
			list_del(&inst->node);
			mfgg_nr_instances--;
			inst->dead = true;
			ret = 0;
		} else {
			pr_err("mfg_graph: instances: no instance '%s'\n", name);
			ret = -ENOENT;
		}
	}
	mutex_unlock(&mfgg_mutex);
	if (inst) {
		/* Waits for the instance's file operations in flight (they take the mutex). */
		debugfs_remove(inst->dir);
		mfgg_free(inst);
	}
out:
	kfree(buf);
	return ret ? ret : count;
}

static int mfgg_instances_show(struct seq_file *m, void *v)
{
	struct mfgg_instance *inst;

	mutex_lock(&mfgg_mutex);
	list_for_each_entry(inst, &mfgg_instances, node)
		seq_printf(m, "%u %s\n", inst->id, inst->name);
	mutex_unlock(&mfgg_mutex);
	return 0;
}

static int mfgg_instances_open(struct inode *inode, struct file *file)
{
	return single_open(file, mfgg_instances_show, NULL);
}

static const struct file_operations mfgg_instances_fops = {
	.owner = THIS_MODULE,
	.open = mfgg_instances_open,
	.read = seq_read,
	.write = mfgg_instances_write,
	.llseek = seq_lseek,
	.release = single_release,
};

static int __init mfgg_init(void)
{
	mfgg_dir = debugfs_create_dir("mfg_graph", NULL);
	if (IS_ERR(mfgg_dir)) {
		pr_err("mfg_graph: cannot create debugfs directory mfg_graph (%ld)\n",
		       PTR_ERR(mfgg_dir));
		return PTR_ERR(mfgg_dir);
	}
	debugfs_create_file("instances", 0644, mfgg_dir, NULL, &mfgg_instances_fops);
	return 0;
}

static void __exit mfgg_exit(void)
{
	struct mfgg_instance *inst, *next;

	/* No file operation runs after this; the instances' files go with it. */
	debugfs_remove(mfgg_dir);
	list_for_each_entry_safe(inst, next, &mfgg_instances, node) {
		list_del(&inst->node);
		mfgg_free(inst);
	}
}

module_init(mfgg_init);
module_exit(mfgg_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("mfg_graph: a function-graph tracer with instances, on mfgraph");
