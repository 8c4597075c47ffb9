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
 * Pools: a probe whose instance does not fit the frame takes it from its
 * objpool. When the probe goes, its pool is retired: the instances still out
 * belong to calls in flight, and each comes back through the return path,
 * which counts it down (no lock, no free there). A retired pool is freed in
 * process context when its count reaches zero, or, whatever its count, as
 * soon as mfgraph no longer calls us: once mfg_unregister() returns no return
 * callback of ours runs again, so no instance can come back.
 *
 * Task exit: a task that exits inside a probed call never returns from it,
 * and no return callback comes for its frames. Its pooled instances come
 * back when the task is freed (sched_process_free, as the kernel's
 * rethook_flush_task()): every pool knows all its instances, and an
 * instance out names its task.
 *
 * Module unload: a module notifier marks the probes on a going module's
 * functions gone (as the kernel's kprobe_gone()), takes them off their
 * functions and the filter, and keeps them on a list until unregistered.
 *
 * Only the public mfgraph API is used.
 */
#include <linux/debugfs.h>
#include <linux/ftrace.h>
#include <linux/hashtable.h>
#include <linux/irq_work.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/rculist.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/tracepoint.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include <mfgraph.h>
#include <mfg_kretprobe.h>

/* Kernel API differences (kernel APIs only, nothing of the engine). */
#include "../fgraph/wrapper/ftrace_regs.h"
#include "../fgraph/wrapper/module.h"
#include "../fgraph/wrapper/objpool.h"

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

/* The instances of a probe that does not keep them on the shadow stack. */
struct mfg_krp_pool {
	struct objpool_head head;
	int nr;				/* instances */
	/*
	 * Retired pools: instances still out. The return path counts down
	 * before the probe's unregistration counts up (see
	 * mfg_krp_retire_pool()), so it only reaches 0 once retired.
	 */
	atomic_t pending;
	struct list_head retired;	/* on mfg_krp_retired; mfg_krp_mutex */
	struct list_head node;		/* on mfg_krp_pools; mfg_krp_pools_lock */
	bool is_retired;		/* mfg_krp_pools_lock */
	/* Every instance: a free one has no task, one out its caller's. */
	struct mfg_kretprobe_instance *all[];
};

static DEFINE_MUTEX(mfg_krp_mutex);
static DEFINE_HASHTABLE(mfg_krp_funcs, 7);
static unsigned int mfg_krp_nr_funcs;
static u64 mfg_krp_serial;
static struct dentry *mfg_krp_debugfs;
/* Retired pools with instances out (see mfg_krp_retire_pool()). */
static LIST_HEAD(mfg_krp_retired);
/* Registered probes whose function went with its module. */
static LIST_HEAD(mfg_krp_gone);
/*
 * The text of modules that went lately (mfg_krp_mutex). ftrace keeps a going
 * module's functions until after every GOING notification: a probe that
 * registers on one after ours must be refused, or nothing would mark it gone.
 * An entry is cleared when a module comes at that place; it is overwritten
 * only after as many other modules went.
 */
#define MFG_KRP_GONE_TEXTS 16
static struct mfg_krp_text {
	unsigned long start, end;
} mfg_krp_gone_text[MFG_KRP_GONE_TEXTS];
static unsigned int mfg_krp_gone_next;
/* What mfg_kretprobe_get_stats() reports; mfg_krp_mutex. */
static unsigned int mfg_krp_nr_pools, mfg_krp_nr_instances, mfg_krp_nr_retired;
/*
 * Every pool, for the task-free probe (any context but NMI: an RCU
 * callback), which gives back the instances an exited task kept.
 */
static DEFINE_RAW_SPINLOCK(mfg_krp_pools_lock);
static LIST_HEAD(mfg_krp_pools);
static atomic_t mfg_krp_reclaimed;
static struct tracepoint *mfg_krp_tp_free;

/*
 * A return that gives back a retired pool's last instance cannot free it
 * there (any context, NMI included): it queues this irq_work, which queues
 * the work that frees it.
 */
static void mfg_krp_reap_fn(struct work_struct *work);
static DECLARE_WORK(mfg_krp_reap_work, mfg_krp_reap_fn);

static void mfg_krp_reap_irq(struct irq_work *work)
{
	schedule_work(&mfg_krp_reap_work);
}

static DEFINE_IRQ_WORK(mfg_krp_reap_irq_work, mfg_krp_reap_irq);

static int mfg_krp_entry(const struct mfg_entry *trace, struct mfg_ops *ops,
			 struct ftrace_regs *fregs);
static void mfg_krp_return(const struct mfg_return *trace, struct mfg_ops *ops,
			   struct ftrace_regs *fregs);
static void mfg_krp_miss(unsigned long func, struct mfg_ops *ops);

static struct mfg_ops mfg_krp_ops = {
	.entryfunc = mfg_krp_entry,
	.retfunc = mfg_krp_return,
	.missfunc = mfg_krp_miss,
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
			ri = objpool_pop(&rp->pool->head);
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
		/* Last: for mfg_krp_task_free(), the instance is now current's. */
		WRITE_ONCE(ri->task, current);
		this_cpu_inc(*rp->hits);
		if (rp->entry_handler) {
			if (!regs)
				regs = mfg_krp_entry_regs(fregs, &regs_buf);
			if (rp->entry_handler(ri, regs)) {
				/* As in the kernel: no return handler for this call. */
				if (ri->pool) {
					WRITE_ONCE(ri->task, NULL);
					objpool_push(ri, &ri->pool->head);
				}
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

/*
 * A call of a probed function ran without a frame for us (no shadow stack
 * for the task, or no room on it): every enabled probe of it missed it.
 */
static void mfg_krp_miss(unsigned long func, struct mfg_ops *ops)
{
	struct mfg_kretprobe *rp;
	struct mfg_krp_func *f;

	/* Preemption is disabled: the RCU read side (see mfg_krp_entry()). */
	f = mfg_krp_find(func);
	if (!f)
		return;
	list_for_each_entry_rcu(rp, &f->probes, node)
		if (!READ_ONCE(rp->disabled))
			mfg_krp_missed(rp);
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
		if (!ri->pool)
			continue;
		WRITE_ONCE(ri->task, NULL);
		if (rp)
			objpool_push(ri, &ri->pool->head);
		else if (atomic_dec_and_test(&ri->pool->pending))
			/* The retired pool's last instance: free it, not here. */
			irq_work_queue(&mfg_krp_reap_irq_work);
	}
}

/*
 * @task is being freed: it can never return from a call it was in. Give back
 * the pooled instances those calls kept. An RCU callback: no entry or
 * return of @task runs, and the instances it holds name it until here.
 */
static void mfg_krp_task_free(void *data, struct task_struct *task)
{
	struct mfg_kretprobe_instance *ri;
	struct mfg_krp_pool *pool;
	unsigned long flags;
	int i;

	raw_spin_lock_irqsave(&mfg_krp_pools_lock, flags);
	list_for_each_entry(pool, &mfg_krp_pools, node) {
		for (i = 0; i < pool->nr; i++) {
			ri = pool->all[i];
			if (READ_ONCE(ri->task) != task)
				continue;
			WRITE_ONCE(ri->task, NULL);
			if (!pool->is_retired)
				objpool_push(ri, &pool->head);
			else if (atomic_dec_and_test(&pool->pending))
				irq_work_queue(&mfg_krp_reap_irq_work);
			/*
			 * Counted last: whoever sees the count finds the
			 * instance back in its pool, or the retired pool's
			 * free queued for mfg_kretprobe_get_stats() to wait on.
			 */
			smp_mb__before_atomic();
			atomic_inc(&mfg_krp_reclaimed);
		}
	}
	raw_spin_unlock_irqrestore(&mfg_krp_pools_lock, flags);
}

static void mfg_krp_find_tracepoint(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "sched_process_free"))
		*(struct tracepoint **)priv = tp;
}

/* ------------------------------------------------------------ registration */

static int mfg_krp_make_pool(struct mfg_kretprobe *rp)
{
	int n = rp->maxactive ?: max(10, 2 * (int)num_possible_cpus());
	struct mfg_krp_pool *pool = kzalloc(struct_size(pool, all, n), GFP_KERNEL);
	int i, ret;

	lockdep_assert_held(&mfg_krp_mutex);
	if (!pool)
		return -ENOMEM;
	pool->nr = n;
	/* Its failure is the caller's -ENOMEM, not a stack dump (vmalloc warns). */
	ret = objpool_init(&pool->head, n, sizeof(struct mfg_kretprobe_instance) + rp->data_size,
			   GFP_KERNEL | __GFP_NOWARN, NULL, NULL, NULL);
	if (ret) {
		kfree(pool);
		return ret;
	}
	/* Nobody else sees the pool yet: take every instance once to know it. */
	for (i = 0; i < n; i++)
		pool->all[i] = objpool_pop(&pool->head);
	for (i = 0; i < n; i++) {
		if (WARN_ON_ONCE(!pool->all[i])) {
			objpool_free(&pool->head);
			kfree(pool);
			return -ENOMEM;
		}
		objpool_push(pool->all[i], &pool->head);
	}
	atomic_set(&pool->pending, 0);
	raw_spin_lock_irq(&mfg_krp_pools_lock);
	list_add_tail(&pool->node, &mfg_krp_pools);
	raw_spin_unlock_irq(&mfg_krp_pools_lock);
	mfg_krp_nr_pools++;
	mfg_krp_nr_instances += n;
	rp->pool = pool;
	rp->maxactive = n;
	return 0;
}

/* Free @pool, whichever of its instances are out: none can come back. */
static void mfg_krp_free_pool(struct mfg_krp_pool *pool)
{
	lockdep_assert_held(&mfg_krp_mutex);
	raw_spin_lock_irq(&mfg_krp_pools_lock);
	list_del(&pool->node);
	raw_spin_unlock_irq(&mfg_krp_pools_lock);
	mfg_krp_nr_pools--;
	mfg_krp_nr_instances -= pool->nr;
	objpool_free(&pool->head);
	kfree(pool);
}

/*
 * @pool's probe is gone, and a grace period has passed since it left its
 * function's list: no entry takes an instance from @pool any more, and no
 * return gives one back (a return finds the probe's serial gone and only
 * counts @pool->pending down). The instances still out belong to calls in
 * flight: free @pool now if none is, else when the last comes back or when
 * mfgraph stops calling us, whichever is first.
 */
static void mfg_krp_retire_pool(struct mfg_krp_pool *pool)
{
	int out = pool->nr;

	lockdep_assert_held(&mfg_krp_mutex);
	/* From now on the task-free probe counts down instead of giving back. */
	raw_spin_lock_irq(&mfg_krp_pools_lock);
	pool->is_retired = true;
	raw_spin_unlock_irq(&mfg_krp_pools_lock);
	while (objpool_pop(&pool->head))
		out--;
	/* Returns since the probe left may have counted down already. */
	if (atomic_add_return(out, &pool->pending) == 0) {
		mfg_krp_free_pool(pool);
		return;
	}
	list_add_tail(&pool->retired, &mfg_krp_retired);
	mfg_krp_nr_retired++;
}

/*
 * Free the retired pools whose instances all came back, or, with @all
 * (mfgraph no longer calls us: no instance can come back), every one.
 */
static void mfg_krp_reap_locked(bool all)
{
	struct mfg_krp_pool *pool, *tmp;

	lockdep_assert_held(&mfg_krp_mutex);
	list_for_each_entry_safe(pool, tmp, &mfg_krp_retired, retired) {
		if (!all && atomic_read(&pool->pending))
			continue;
		list_del(&pool->retired);
		mfg_krp_nr_retired--;
		mfg_krp_free_pool(pool);
	}
}

static void mfg_krp_reap_fn(struct work_struct *work)
{
	mutex_lock(&mfg_krp_mutex);
	mfg_krp_reap_locked(false);
	mutex_unlock(&mfg_krp_mutex);
}

/*
 * Take @rp off its function, and the function off the filter when it has no
 * probe left; @going: its module is going, and mfgraph may have dropped it
 * from our filter already. Readers may still walk @rp->node until a grace
 * period passes.
 *
 * Return: true when that was our last function and mfgraph no longer calls
 * us (mfg_unregister() returned).
 */
static bool mfg_krp_detach(struct mfg_kretprobe *rp, bool going)
{
	struct mfg_krp_func *f = rp->func;
	int ret;

	lockdep_assert_held(&mfg_krp_mutex);
	list_del_rcu(&rp->node);
	f->words -= rp->record_words;
	rp->func = NULL;
	if (!list_empty(&f->probes))
		return false;
	hash_del_rcu(&f->node);
	ret = mfg_set_filter_ips(&mfg_krp_ops, &f->ip, 1, true, false);
	if (ret && !(going && ret == -ENOENT))
		pr_err("mfg_kretprobe: %ps stays in the filter: error %d\n", (void *)f->ip, ret);
	kfree_rcu(f, rcu);
	if (--mfg_krp_nr_funcs)
		return false;
	mfg_unregister(&mfg_krp_ops);
	return true;
}

/* ------------------------------------------------------------ gone modules */

static bool mfg_krp_text_gone(unsigned long ip)
{
	unsigned int i;

	lockdep_assert_held(&mfg_krp_mutex);
	for (i = 0; i < MFG_KRP_GONE_TEXTS; i++)
		if (ip - mfg_krp_gone_text[i].start <
		    mfg_krp_gone_text[i].end - mfg_krp_gone_text[i].start)
			return true;
	return false;
}

/* @which: 0 for @mod's core text, 1 for its init text (struct mfg_module_text). */
static void mfg_krp_text_went(const struct module *mod, int which)
{
	struct mfg_krp_text *t = &mfg_krp_gone_text[mfg_krp_gone_next];
	struct mfg_module_text text;

	lockdep_assert_held(&mfg_krp_mutex);
	mfg_module_text_of(&text, mod);
	if (!text.size[which])
		return;
	t->start = text.base[which];
	t->end = t->start + text.size[which];
	mfg_krp_gone_next = (mfg_krp_gone_next + 1) % MFG_KRP_GONE_TEXTS;
}

/* @mod comes: what went at its place is gone for good. */
static void mfg_krp_text_comes(const struct module *mod)
{
	unsigned int i;

	lockdep_assert_held(&mfg_krp_mutex);
	for (i = 0; i < MFG_KRP_GONE_TEXTS; i++) {
		struct mfg_krp_text *t = &mfg_krp_gone_text[i];
		struct mfg_module_text gone = {
			.base = { t->start }, .size = { t->end - t->start },
		};

		if (mfg_module_text_overlaps(&gone, mod))
			*t = (struct mfg_krp_text){};
	}
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
	if (rp->maxactive < 0) {
		pr_err("mfg_kretprobe: maxactive %d is negative\n", rp->maxactive);
		return -EINVAL;
	}
	if (rp->maxactive > MFG_KRETPROBE_MAXACTIVE_MAX) {
		pr_err("mfg_kretprobe: maxactive %d is over %d\n", rp->maxactive,
		       MFG_KRETPROBE_MAXACTIVE_MAX);
		return -E2BIG;
	}
	if (rp->data_size > MFG_KRETPROBE_MAX_DATA) {
		pr_err("mfg_kretprobe: data_size %zu is over %d\n", rp->data_size,
		       MFG_KRETPROBE_MAX_DATA);
		return -E2BIG;
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
	if (mfg_krp_text_gone(ip)) {
		pr_err("mfg_kretprobe: %ps: its module is going\n", (void *)ip);
		ret = -ENOENT;
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
	WRITE_ONCE(rp->gone, false);
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
	/* Never on a function's list with mfgraph calling us: all in. */
	if (rp->pool)
		mfg_krp_free_pool(rp->pool);
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
	bool user_gone;

	if (!rp)
		return;
	mutex_lock(&mfg_krp_mutex);
	if (!rp->registered) {
		pr_err("mfg_kretprobe: unregister: not registered\n");
		mutex_unlock(&mfg_krp_mutex);
		return;
	}
	if (rp->gone) {
		/* Detached, and its pool retired, when its module went. */
		list_del(&rp->gone_node);
	} else {
		user_gone = mfg_krp_detach(rp, false);
		/*
		 * Handlers run inside mfgraph callbacks, with preemption
		 * disabled: after a grace period none can still be in @rp,
		 * and every later return finds its serial gone.
		 */
		synchronize_rcu();
		if (rp->pool)
			mfg_krp_retire_pool(rp->pool);
		if (user_gone)
			mfg_krp_reap_locked(true);
	}
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
	if (!rp || !rp->registered) {
		ret = -EINVAL;
	} else if (!disabled && rp->gone) {
		/* As the kernel's enable_kprobe(): its function is no more. */
		pr_err("mfg_kretprobe: enable: %s went with its module\n",
		       rp->symbol_name ?: "the probed function");
		ret = -EINVAL;
	} else {
		WRITE_ONCE(rp->disabled, disabled);
	}
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

/* ------------------------------------------------------------ module unload */

/*
 * A module goes (or, MODULE_STATE_LIVE, drops its init text): the probes on
 * its functions are gone, as kprobes_module_callback() makes them. Take them
 * off their functions and the filter while ftrace still knows the addresses
 * (it forgets them right after the GOING notifications), so that a module
 * loaded later at the same place is never probed; everything else goes on.
 */
static int mfg_krp_module_callback(struct notifier_block *nb, unsigned long val, void *data)
{
	struct module *mod = data;
	struct mfg_kretprobe *rp;
	struct mfg_krp_func *f;
	struct hlist_node *tmp;
	bool user_gone = false, any = false, last;
	int bkt;

	if (val == MODULE_STATE_COMING) {
		mutex_lock(&mfg_krp_mutex);
		mfg_krp_text_comes(mod);
		mutex_unlock(&mfg_krp_mutex);
		return NOTIFY_DONE;
	}
	if (val != MODULE_STATE_GOING && val != MODULE_STATE_LIVE)
		return NOTIFY_DONE;
	mutex_lock(&mfg_krp_mutex);
	/* Refuse new probes there from now on (see mfg_krp_gone_text). */
	if (val == MODULE_STATE_GOING)
		mfg_krp_text_went(mod, 0);
	mfg_krp_text_went(mod, 1);
	hash_for_each_safe(mfg_krp_funcs, bkt, tmp, f, node) {
		if (!within_module_init(f->ip, mod) &&
		    !(val == MODULE_STATE_GOING && within_module_core(f->ip, mod)))
			continue;
		/* The last detach frees @f (after a grace period): do not look at it after. */
		do {
			rp = list_first_entry(&f->probes, struct mfg_kretprobe, node);
			last = list_is_singular(&f->probes);
			WRITE_ONCE(rp->gone, true);
			user_gone |= mfg_krp_detach(rp, true);
			list_add_tail(&rp->gone_node, &mfg_krp_gone);
			any = true;
		} while (!last);
	}
	if (any) {
		/* No entry or return path can be in the gone probes after this. */
		synchronize_rcu();
		list_for_each_entry(rp, &mfg_krp_gone, gone_node) {
			if (rp->pool)
				mfg_krp_retire_pool(rp->pool);
			rp->pool = NULL;
		}
		if (user_gone)
			mfg_krp_reap_locked(true);
	}
	mutex_unlock(&mfg_krp_mutex);
	return NOTIFY_DONE;
}

static struct notifier_block mfg_krp_module_nb = {
	.notifier_call = mfg_krp_module_callback,
};

/* ------------------------------------------------------------ statistics */

/* See include/mfg_kretprobe.h. */
void mfg_kretprobe_get_stats(struct mfg_kretprobe_stats *st)
{
	/*
	 * Let every free that a return or a task's exit asked for happen
	 * first; the barrier orders the caller's earlier look at the counts
	 * (mfg_krp_task_free() counts after it queues the free) before it.
	 */
	smp_mb();
	irq_work_sync(&mfg_krp_reap_irq_work);
	flush_work(&mfg_krp_reap_work);
	mutex_lock(&mfg_krp_mutex);
	st->pools = mfg_krp_nr_pools;
	st->instances = mfg_krp_nr_instances;
	st->retired_pools = mfg_krp_nr_retired;
	st->reclaimed = atomic_read(&mfg_krp_reclaimed);
	mutex_unlock(&mfg_krp_mutex);
}
EXPORT_SYMBOL_GPL(mfg_kretprobe_get_stats);

/* ------------------------------------------------------------ debugfs */

static void mfg_krp_show_probe(struct seq_file *m, struct mfg_kretprobe *rp, const char *name)
{
	unsigned long hits = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		hits += *per_cpu_ptr(rp->hits, cpu);
	if (name)
		seq_printf(m, "%-32s ", name);
	else
		seq_printf(m, "%-32ps ", (void *)rp->ip);
	seq_printf(m, "%-10lu %-10d ", hits, READ_ONCE(rp->nmissed));
	if (rp->inline_instance)
		seq_printf(m, "shadow stack (%u words)", rp->record_words);
	else
		seq_printf(m, "pool of %d", rp->maxactive);
	if (rp->gone)
		seq_puts(m, " [gone]");
	seq_puts(m, READ_ONCE(rp->disabled) ? " [disabled]\n" : "\n");
}

static int mfg_krp_show(struct seq_file *m, void *unused)
{
	struct mfg_kretprobe *rp;
	struct mfg_krp_func *f;
	int bkt;

	seq_puts(m, "function                         hits       missed     instances\n");
	mutex_lock(&mfg_krp_mutex);
	hash_for_each(mfg_krp_funcs, bkt, f, node)
		list_for_each_entry(rp, &f->probes, node)
			mfg_krp_show_probe(m, rp, NULL);
	/* Their address may hold another module's code now: print no symbol of it. */
	list_for_each_entry(rp, &mfg_krp_gone, gone_node)
		mfg_krp_show_probe(m, rp, rp->symbol_name ?: "(address)");
	seq_printf(m, "pools: %u (retired %u), instances: %u, reclaimed at exit: %d\n",
		   mfg_krp_nr_pools, mfg_krp_nr_retired, mfg_krp_nr_instances,
		   atomic_read(&mfg_krp_reclaimed));
	mutex_unlock(&mfg_krp_mutex);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mfg_krp);

static int __init mfg_krp_init(void)
{
	struct dentry *dir;
	int ret;

	for_each_kernel_tracepoint(mfg_krp_find_tracepoint, &mfg_krp_tp_free);
	if (!mfg_krp_tp_free) {
		pr_err("mfg_kretprobe: no sched_process_free tracepoint\n");
		return -ENOENT;
	}
	ret = tracepoint_probe_register(mfg_krp_tp_free, mfg_krp_task_free, NULL);
	if (ret) {
		pr_err("mfg_kretprobe: cannot watch task exits: error %d\n", ret);
		return ret;
	}
	ret = register_module_notifier(&mfg_krp_module_nb);
	if (ret) {
		pr_err("mfg_kretprobe: cannot watch module unloads: error %d\n", ret);
		tracepoint_probe_unregister(mfg_krp_tp_free, mfg_krp_task_free, NULL);
		tracepoint_synchronize_unregister();
		return ret;
	}
	/* mfgraph creates its directory; we only add a file to it. */
	dir = debugfs_lookup("mfgraph", NULL);
	if (!IS_ERR_OR_NULL(dir)) {
		mfg_krp_debugfs = debugfs_create_file("kretprobes", 0444, dir, NULL, &mfg_krp_fops);
		dput(dir);
	}
	return 0;
}

static void __exit mfg_krp_exit(void)
{
	debugfs_remove(mfg_krp_debugfs);
	unregister_module_notifier(&mfg_krp_module_nb);
	tracepoint_probe_unregister(mfg_krp_tp_free, mfg_krp_task_free, NULL);
	/* The probe may still run on another CPU: let it finish with the pools. */
	tracepoint_synchronize_unregister();
	/* Every user of ours holds us loaded while it has probes. */
	WARN_ON(mfg_krp_nr_funcs || !list_empty(&mfg_krp_gone));
	/* mfgraph no longer calls us: nothing queues a reap after these. */
	irq_work_sync(&mfg_krp_reap_irq_work);
	cancel_work_sync(&mfg_krp_reap_work);
	mutex_lock(&mfg_krp_mutex);
	if (!mfg_krp_nr_funcs)
		mfg_krp_reap_locked(true);
	mutex_unlock(&mfg_krp_mutex);
	mfg_free_filter(&mfg_krp_ops);
}

module_init(mfg_krp_init);
module_exit(mfg_krp_exit);

MODULE_DESCRIPTION("mfgraph: kretprobe as one mfgraph user");
MODULE_LICENSE("GPL");
