// SPDX-License-Identifier: GPL-2.0
/*
 * mfg_kretprobe: kretprobe as one mfgraph user (see include/mfg_kretprobe.h).
 *
 * One struct mfg_ops serves every probe. Its filter holds the probed
 * functions; a hash table maps a function to its probes. At entry, each
 * enabled probe of the function reserves a record in the frame's data:
 *
 *   +--------------------------------------------+
 *   | tag: serial << 9 | inline << 8 | words     |  serial 0: the probe skipped this call
 *   +--------------------------------------------+
 *   | inline: struct mfg_kretprobe_instance      |
 *   |         followed by data_size bytes        |
 *   |   pool: pointer to the pool's instance     |
 *   +--------------------------------------------+
 *
 * At return, a record is delivered only if a probe with that serial is still
 * on the function: serials are never reused, so a probe that unregistered,
 * or the same structure registered again, never sees an old call's return.
 *
 * Only the public mfgraph API is used.
 */
#include <linux/debugfs.h>
#include <linux/ftrace.h>
#include <linux/hashtable.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/objpool.h>
#include <linux/percpu.h>
#include <linux/rculist.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include <mfgraph.h>
#include <mfg_kretprobe.h>

#define MFG_KRP_TAG_WORDS	GENMASK(7, 0)
#define MFG_KRP_TAG_INLINE	BIT(8)
#define MFG_KRP_SERIAL_SHIFT	9

/* One probed function and its probes. */
struct mfg_krp_func {
	struct hlist_node node;
	unsigned long ip;
	struct list_head probes;	/* RCU list of struct mfg_kretprobe */
	unsigned int words;		/* record words its probes take per call */
	struct rcu_head rcu;
};

static DEFINE_MUTEX(mfg_krp_mutex);
static DEFINE_HASHTABLE(mfg_krp_funcs, 7);
static unsigned int mfg_krp_nr_funcs;
static u64 mfg_krp_serial;
static struct dentry *mfg_krp_debugfs;

static int mfg_krp_entry(const struct mfg_entry *trace, struct mfg_ops *ops,
			 struct ftrace_regs *fregs);
static void mfg_krp_return(const struct mfg_return *trace, struct mfg_ops *ops,
			   struct ftrace_regs *fregs);

static struct mfg_ops mfg_krp_ops = {
	.entryfunc = mfg_krp_entry,
	.retfunc = mfg_krp_return,
};

static struct mfg_krp_func *mfg_krp_find(unsigned long ip)
{
	struct mfg_krp_func *f;

	hash_for_each_possible_rcu(mfg_krp_funcs, f, node, ip,
				   lockdep_is_held(&mfg_krp_mutex))
		if (f->ip == ip)
			return f;
	return NULL;
}

static void mfg_krp_missed(struct mfg_kretprobe *rp)
{
	/* nmissed is a plain int, as in struct kretprobe; count it exactly. */
	atomic_inc((atomic_t *)&rp->nmissed);
}

static unsigned int mfg_krp_inline_words(const struct mfg_kretprobe *rp)
{
	return 1 + DIV_ROUND_UP(sizeof(struct mfg_kretprobe_instance) + rp->data_size,
				sizeof(unsigned long));
}

/* ------------------------------------------------------------ tracing path */

/* The entry-time pt_regs: arguments, stack and frame pointer, ip. */
static struct pt_regs *mfg_krp_entry_regs(struct ftrace_regs *fregs, struct pt_regs *regs)
{
#if defined(CONFIG_X86_64)
	/*
	 * x86_64's ftrace_regs is a partly filled pt_regs: hand it over as
	 * it is, as ftrace_partial_regs() does where ftrace_regs holds a
	 * pt_regs, instead of copying 168 bytes a call. Its cs stays 0
	 * (ftrace's mark of partial registers), so user_mode() is false.
	 */
	return &arch_ftrace_regs(fregs)->regs;
#else
	return ftrace_partial_regs(fregs, regs);
#endif
}

static int mfg_krp_entry(const struct mfg_entry *trace, struct mfg_ops *ops,
			 struct ftrace_regs *fregs)
{
	struct mfg_kretprobe_instance *ri;
	struct mfg_kretprobe *rp;
	struct mfg_krp_func *f;
	/* Filled before use (arm64) or not used (x86_64): no zero-fill a call. */
	struct pt_regs regs_buf __uninitialized;
	struct pt_regs *regs = NULL;
	unsigned long *rec;
	int want = 0;

	/*
	 * No rcu_read_lock(): mfgraph calls both callbacks with preemption
	 * disabled, which synchronize_rcu() in unregistration waits for, and
	 * which the list walks' lockdep checks accept.
	 */
	f = mfg_krp_find(trace->func);
	if (!f)
		goto out;
	list_for_each_entry_rcu(rp, &f->probes, node) {
		if (READ_ONCE(rp->disabled))
			continue;
		rec = mfg_reserve_data(rp->record_words * sizeof(unsigned long));
		if (!rec) {
			/* The task's shadow stack is full. */
			mfg_krp_missed(rp);
			continue;
		}
		if (rp->inline_instance) {
			ri = (struct mfg_kretprobe_instance *)(rec + 1);
			ri->pool = NULL;
		} else {
			ri = objpool_pop(rp->pool);
			if (!ri) {
				rec[0] = rp->record_words;	/* skipped */
				mfg_krp_missed(rp);
				continue;
			}
			ri->pool = rp->pool;
			rec[1] = (unsigned long)ri;
		}
		ri->rp = rp;
		ri->ret_addr = trace->ret_addr;
		ri->task = current;
		this_cpu_inc(*rp->hits);
		if (rp->entry_handler) {
			if (!regs)
				regs = mfg_krp_entry_regs(fregs, &regs_buf);
			if (rp->entry_handler(ri, regs)) {
				/* As in the kernel: no return handler for this call. */
				if (ri->pool)
					objpool_push(ri, ri->pool);
				rec[0] = rp->record_words;	/* skipped */
				continue;
			}
		}
		rec[0] = rp->serial << MFG_KRP_SERIAL_SHIFT |
			 (rp->inline_instance ? MFG_KRP_TAG_INLINE : 0) | rp->record_words;
		want = 1;
	}
out:
	return want;
}

/* The return-time pt_regs a kretprobe handler expects. */
static void mfg_krp_return_regs(struct pt_regs *regs, const struct mfg_return *trace,
				struct ftrace_regs *fregs)
{
	memset(regs, 0, sizeof(*regs));
#if defined(CONFIG_X86_64)
	regs->ax = ftrace_regs_get_return_value(fregs);
	regs->dx = arch_ftrace_regs(fregs)->regs.dx;
	regs->bp = ftrace_regs_get_frame_pointer(fregs);
	regs->sp = ftrace_regs_get_stack_pointer(fregs);
	regs->ip = trace->ret_addr;
	regs->cs = __KERNEL_CS;
	regs->ss = __KERNEL_DS;
	regs->flags = X86_EFLAGS_FIXED;
#elif defined(CONFIG_ARM64)
	memcpy(regs->regs, arch_ftrace_regs(fregs)->regs, 8 * sizeof(regs->regs[0]));
	regs->regs[29] = ftrace_regs_get_frame_pointer(fregs);
	regs->sp = ftrace_regs_get_stack_pointer(fregs);
	regs->pc = trace->ret_addr;
	regs->pstate = PSR_MODE_EL1h;
#else
#error "mfg_kretprobe supports x86_64 and arm64"
#endif
}

/* The live probe with @serial on @f, or NULL. */
static struct mfg_kretprobe *mfg_krp_live(struct mfg_krp_func *f, u64 serial)
{
	struct mfg_kretprobe *rp;

	if (!f)
		return NULL;
	list_for_each_entry_rcu(rp, &f->probes, node)
		if (rp->serial == serial)
			return rp;
	return NULL;
}

static void mfg_krp_return(const struct mfg_return *trace, struct mfg_ops *ops,
			   struct ftrace_regs *fregs)
{
	struct mfg_kretprobe_instance *ri;
	struct mfg_kretprobe *rp;
	struct mfg_krp_func *f;
	/* mfg_krp_return_regs() clears it, and only when a handler runs. */
	struct pt_regs regs __uninitialized;
	unsigned long *rec, *end, tag;
	bool have_regs = false;
	int size = 0;

	rec = mfg_retrieve_data(&size);
	if (!rec)
		return;
	end = rec + size / sizeof(unsigned long);
	/* Preemption is disabled: the RCU read side (see mfg_krp_entry()). */
	f = mfg_krp_find(trace->func);
	for (; rec < end; rec += tag & MFG_KRP_TAG_WORDS) {
		tag = rec[0];
		if (!(tag & MFG_KRP_TAG_WORDS))
			break;	/* cannot happen: a record is never empty */
		if (!(tag >> MFG_KRP_SERIAL_SHIFT))
			continue;	/* the probe skipped this call */
		ri = tag & MFG_KRP_TAG_INLINE ? (void *)(rec + 1) : (void *)rec[1];
		rp = mfg_krp_live(f, tag >> MFG_KRP_SERIAL_SHIFT);
		if (rp && rp->handler && !READ_ONCE(rp->disabled)) {
			if (!have_regs) {
				mfg_krp_return_regs(&regs, trace, fregs);
				have_regs = true;
			}
			rp->handler(ri, &regs);
		}
		if (ri->pool) {
			/* A pool of a probe gone since is freed with its last instance. */
			if (rp)
				objpool_push(ri, ri->pool);
			else
				objpool_drop(ri, ri->pool);
		}
	}
}

/* ------------------------------------------------------------ registration */

static int mfg_krp_pool_release(struct objpool_head *head, void *context)
{
	kfree(head);
	return 0;
}

static int mfg_krp_make_pool(struct mfg_kretprobe *rp)
{
	int n = rp->maxactive > 0 ? rp->maxactive : max(10, 2 * (int)num_possible_cpus());
	struct objpool_head *pool = kzalloc(sizeof(*pool), GFP_KERNEL);
	int ret;

	if (!pool)
		return -ENOMEM;
	ret = objpool_init(pool, n, sizeof(struct mfg_kretprobe_instance) + rp->data_size,
			   GFP_KERNEL, NULL, NULL, mfg_krp_pool_release);
	if (ret) {
		kfree(pool);
		return ret;
	}
	rp->pool = pool;
	rp->maxactive = n;
	return 0;
}

static int mfg_krp_check(struct mfg_kretprobe *rp)
{
	if (!rp) {
		pr_err("mfg_kretprobe: NULL probe\n");
		return -EINVAL;
	}
	if (rp->offset) {
		pr_err("mfg_kretprobe: offset %u: only function entries can be probed\n",
		       rp->offset);
		return -EINVAL;
	}
	if (!rp->handler && !rp->entry_handler) {
		pr_err("mfg_kretprobe: no handler and no entry_handler\n");
		return -EINVAL;
	}
	if (!rp->symbol_name == !rp->addr) {
		pr_err("mfg_kretprobe: give exactly one of symbol_name and addr\n");
		return -EINVAL;
	}
	return 0;
}

/* See include/mfg_kretprobe.h. */
int mfg_register_kretprobe(struct mfg_kretprobe *rp)
{
	struct mfg_krp_func *f, *fresh = NULL;
	unsigned long ip;
	unsigned int inline_words;
	int ret = mfg_krp_check(rp);

	if (ret)
		return ret;
	/* mfgraph resolves the name and checks that ftrace can trace it. */
	ret = mfg_func_ip(rp->symbol_name, (unsigned long)rp->addr, &ip);
	if (ret)
		return ret;

	mutex_lock(&mfg_krp_mutex);
	if (rp->registered) {
		pr_err("mfg_kretprobe: %ps is probed by this probe already\n", (void *)ip);
		ret = -EBUSY;
		goto unlock;
	}
	f = mfg_krp_find(ip);
	if (!f) {
		fresh = kzalloc(sizeof(*fresh), GFP_KERNEL);
		if (!fresh) {
			ret = -ENOMEM;
			goto unlock;
		}
		fresh->ip = ip;
		INIT_LIST_HEAD(&fresh->probes);
		f = fresh;
	}
	/* Decided once, here: an inline probe can never run out of instances. */
	inline_words = mfg_krp_inline_words(rp);
	rp->pool = NULL;
	if (rp->data_size <= MFG_KRETPROBE_INLINE_DATA &&
	    f->words + inline_words <= MFG_MAX_DATA_WORDS) {
		rp->inline_instance = true;
		rp->record_words = inline_words;
	} else if (f->words + 2 <= MFG_MAX_DATA_WORDS) {
		rp->inline_instance = false;
		rp->record_words = 2;
		ret = mfg_krp_make_pool(rp);
		if (ret)
			goto free_func;
	} else {
		pr_err("mfg_kretprobe: %ps has too many probes for one frame\n", (void *)ip);
		ret = -ENOSPC;
		goto free_func;
	}
	rp->hits = alloc_percpu(unsigned long);
	if (!rp->hits) {
		ret = -ENOMEM;
		goto free_pool;
	}
	if (fresh) {
		ret = mfg_set_filter_ips(&mfg_krp_ops, &ip, 1, false, false);
		if (ret)
			goto free_hits;
	}
	rp->ip = ip;
	rp->func = f;
	rp->serial = ++mfg_krp_serial;
	rp->nmissed = 0;
	WRITE_ONCE(rp->disabled, false);
	f->words += rp->record_words;
	list_add_tail_rcu(&rp->node, &f->probes);
	if (fresh) {
		hash_add_rcu(mfg_krp_funcs, &fresh->node, ip);
		if (!mfg_krp_nr_funcs++) {
			ret = mfg_register(&mfg_krp_ops);
			if (ret) {
				mfg_krp_nr_funcs--;
				hash_del_rcu(&fresh->node);
				list_del_rcu(&rp->node);
				mfg_set_filter_ips(&mfg_krp_ops, &ip, 1, true, false);
				synchronize_rcu();
				goto free_hits;
			}
		}
	}
	rp->registered = true;
	mutex_unlock(&mfg_krp_mutex);
	return 0;

free_hits:
	free_percpu(rp->hits);
	rp->hits = NULL;
free_pool:
	if (rp->pool)
		objpool_fini(rp->pool);
	rp->pool = NULL;
free_func:
	kfree(fresh);
unlock:
	mutex_unlock(&mfg_krp_mutex);
	return ret;
}
EXPORT_SYMBOL_GPL(mfg_register_kretprobe);

/* See include/mfg_kretprobe.h. */
void mfg_unregister_kretprobe(struct mfg_kretprobe *rp)
{
	struct mfg_krp_func *f;

	if (!rp)
		return;
	mutex_lock(&mfg_krp_mutex);
	if (!rp->registered) {
		pr_err("mfg_kretprobe: unregister: not registered\n");
		mutex_unlock(&mfg_krp_mutex);
		return;
	}
	f = rp->func;
	list_del_rcu(&rp->node);
	f->words -= rp->record_words;
	if (list_empty(&f->probes)) {
		hash_del_rcu(&f->node);
		mfg_set_filter_ips(&mfg_krp_ops, &f->ip, 1, true, false);
		if (!--mfg_krp_nr_funcs)
			mfg_unregister(&mfg_krp_ops);
		kfree_rcu(f, rcu);
	}
	/*
	 * Handlers run inside mfgraph callbacks, with preemption disabled:
	 * after a grace period none can still be in @rp, and every later
	 * return finds its serial gone.
	 */
	synchronize_rcu();
	if (rp->pool)
		objpool_fini(rp->pool);
	rp->pool = NULL;
	free_percpu(rp->hits);
	rp->hits = NULL;
	rp->registered = false;
	mutex_unlock(&mfg_krp_mutex);
}
EXPORT_SYMBOL_GPL(mfg_unregister_kretprobe);

/* See include/mfg_kretprobe.h. */
int mfg_register_kretprobes(struct mfg_kretprobe **rps, int num)
{
	int i, ret;

	if (!rps || num <= 0)
		return -EINVAL;
	for (i = 0; i < num; i++) {
		ret = mfg_register_kretprobe(rps[i]);
		if (ret) {
			while (i--)
				mfg_unregister_kretprobe(rps[i]);
			return ret;
		}
	}
	return 0;
}
EXPORT_SYMBOL_GPL(mfg_register_kretprobes);

/* See include/mfg_kretprobe.h. */
void mfg_unregister_kretprobes(struct mfg_kretprobe **rps, int num)
{
	int i;

	for (i = 0; rps && i < num; i++)
		mfg_unregister_kretprobe(rps[i]);
}
EXPORT_SYMBOL_GPL(mfg_unregister_kretprobes);

static int mfg_krp_set_disabled(struct mfg_kretprobe *rp, bool disabled)
{
	int ret = 0;

	mutex_lock(&mfg_krp_mutex);
	if (rp && rp->registered)
		WRITE_ONCE(rp->disabled, disabled);
	else
		ret = -EINVAL;
	mutex_unlock(&mfg_krp_mutex);
	return ret;
}

/* See include/mfg_kretprobe.h. */
int mfg_disable_kretprobe(struct mfg_kretprobe *rp)
{
	return mfg_krp_set_disabled(rp, true);
}
EXPORT_SYMBOL_GPL(mfg_disable_kretprobe);

/* See include/mfg_kretprobe.h. */
int mfg_enable_kretprobe(struct mfg_kretprobe *rp)
{
	return mfg_krp_set_disabled(rp, false);
}
EXPORT_SYMBOL_GPL(mfg_enable_kretprobe);

/* ------------------------------------------------------------ debugfs */

static int mfg_krp_show(struct seq_file *m, void *unused)
{
	struct mfg_kretprobe *rp;
	struct mfg_krp_func *f;
	unsigned long hits;
	int bkt, cpu;

	seq_puts(m, "function                         hits       missed     instances\n");
	mutex_lock(&mfg_krp_mutex);
	hash_for_each(mfg_krp_funcs, bkt, f, node) {
		list_for_each_entry(rp, &f->probes, node) {
			hits = 0;
			for_each_possible_cpu(cpu)
				hits += *per_cpu_ptr(rp->hits, cpu);
			seq_printf(m, "%-32ps %-10lu %-10d ", (void *)f->ip, hits,
				   READ_ONCE(rp->nmissed));
			if (rp->inline_instance)
				seq_printf(m, "shadow stack (%u words)", rp->record_words);
			else
				seq_printf(m, "pool of %d", rp->maxactive);
			seq_puts(m, READ_ONCE(rp->disabled) ? " [disabled]\n" : "\n");
		}
	}
	mutex_unlock(&mfg_krp_mutex);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mfg_krp);

static int __init mfg_krp_init(void)
{
	struct dentry *dir = debugfs_lookup("mfgraph", NULL);

	/* mfgraph creates its directory; we only add a file to it. */
	if (!IS_ERR_OR_NULL(dir)) {
		mfg_krp_debugfs = debugfs_create_file("kretprobes", 0444, dir, NULL, &mfg_krp_fops);
		dput(dir);
	}
	return 0;
}

static void __exit mfg_krp_exit(void)
{
	debugfs_remove(mfg_krp_debugfs);
	/* Every user of ours holds us loaded while it has probes. */
	WARN_ON(mfg_krp_nr_funcs);
}

module_init(mfg_krp_init);
module_exit(mfg_krp_exit);

MODULE_DESCRIPTION("mfgraph: kretprobe as one mfgraph user");
MODULE_LICENSE("GPL");
