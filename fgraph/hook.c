// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel side of live hooking: the ftrace_ops whose callback enters the
 * engine, the return handler the trampolines call, the public registration
 * and filter API, the per-task stack lifecycle (pool refill, task free,
 * drain), and the unwinder API.
 *
 * Everything here is built without ftrace instrumentation (see Kbuild).
 */
#include <linux/ftrace.h>
#include <linux/irq_work.h>
#include <linux/kprobes.h>
#include <linux/llist.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/stacktrace.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/workqueue.h>

#include <mfgraph.h>

#include "core.h"
#include "hook.h"
#include "kcompat.h"

#if defined(CONFIG_X86_64)
#include "../arch/x86/mfg_arch.h"
#elif defined(CONFIG_ARM64)
#include "../arch/arm64/mfg_arch.h"
#else
#error "mfgraph supports x86_64 and arm64"
#endif

/* A user's filter: a private, never registered ftrace_ops holds its functions. */
struct mfg_filter {
	struct ftrace_ops resolver;
	bool all;
};

/* One per CPU: asks for a pool refill or a task table chunk off the tracing path. */
struct mfg_cpu_request {
	struct irq_work irq;
	struct work_struct work;
	long chunk_key;
	unsigned int cpu;
};

#define MFG_NO_CHUNK LONG_MIN

static DEFINE_MUTEX(mfg_mutex);			/* registration, filters, lifecycle */
static struct mfg_ops *mfg_users[MFG_MAX_USERS];	/* live users, by slot */
static unsigned int mfg_nr_users;
static bool mfg_hook_registered;
static bool mfg_hook_all;
static bool mfg_started;
static bool mfg_holds_ref;	/* a module reference while stacks may hold frames */
static struct tracepoint *mfg_tp_free;
static DEFINE_PER_CPU(struct mfg_cpu_request, mfg_requests);
static void mfg_drain_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(mfg_drain_work, mfg_drain_fn);
static void mfg_free_fn(struct work_struct *work);
static DECLARE_WORK(mfg_free_work, mfg_free_fn);

static void mfg_ftrace_entry(unsigned long ip, unsigned long parent_ip,
			     struct ftrace_ops *op, struct ftrace_regs *fregs);

static struct ftrace_ops mfg_hook_ops = {
	.func = mfg_ftrace_entry,
	/*
	 * No FTRACE_OPS_FL_RECURSION: that flag makes ftrace wrap the
	 * callback in ftrace_ops_assist_func (about 50 instructions a call)
	 * for a recursion guard the callback takes itself.
	 */
	.flags = 0,
};

/* @task's key in the task table: its pid; every CPU's idle task has pid 0, so -1 - cpu. */
static __always_inline long mfg_task_key(struct task_struct *task)
{
	return is_idle_task(task) ? -1L - (long)task_cpu(task) : (long)task->pid;
}

/* Context: preemption disabled (the RCU state read is the local CPU's). */
static __always_inline void mfg_ctx_of(struct mfg_core_ctx *ctx, struct task_struct *task,
				       unsigned int cpu)
{
	ctx->task = task;
	ctx->key = mfg_task_key(task);
	ctx->cpu = cpu;
	ctx->rcu_watching = mfg_rcu_is_watching_here();
}

/* ------------------------------------------------------------ tracing path */

static void mfg_request(const struct mfg_core_ctx *ctx, int want)
{
	struct mfg_cpu_request *req = this_cpu_ptr(&mfg_requests);

	if (want & MFG_WANT_CHUNK)
		WRITE_ONCE(req->chunk_key, ctx->key);
	/* irq_work is NMI-safe; the work item it queues may sleep. */
	irq_work_queue(&req->irq);
}

/* No buffer on the stack: spare every traced call the canary's cost. */
static void notrace __no_stack_protector
mfg_ftrace_entry(unsigned long ip, unsigned long parent_ip, struct ftrace_ops *op,
		 struct ftrace_regs *fregs)
{
	struct mfg_core_ctx ctx __uninitialized;	/* mfg_ctx_of() fills it */
	unsigned long *retp;
	int bit, want;

	/* Disables preemption too: the engine's RCU read side. */
	bit = ftrace_test_recursion_trylock(ip, parent_ip);
	if (bit < 0)
		return;
	mfg_ctx_of(&ctx, current, smp_processor_id());
	if (unlikely(!ctx.rcu_watching)) {
		/* Unregistration waits for RCU readers; this would not be one. */
		mfg_core_count_miss(ctx.cpu, MFG_MISS_NOT_WATCHING);
		goto out;
	}
	retp = mfg_arch_ret_slot(fregs);
	want = mfg_core_entry(&ctx, ip, retp, mfg_arch_entry_key(fregs, retp), fregs);
	if (unlikely(want))
		mfg_request(&ctx, want);
out:
	ftrace_test_recursion_unlock(bit);
}

/**
 * mfg_return_handler() - deliver a traced function's return
 * @fregs: return-time registers, built by the trampoline
 * @unwind_slot: where the trampoline's frame keeps its return address
 *
 * Called only from mfg_return_trampoline (arch/<arch>/return_trampoline.S).
 *
 * Context: any context the traced function returned in.
 * Return: the address the traced function really returns to.
 */
unsigned long notrace mfg_return_handler(struct ftrace_regs *fregs, unsigned long *unwind_slot);
unsigned long notrace __no_stack_protector
mfg_return_handler(struct ftrace_regs *fregs, unsigned long *unwind_slot)
{
	struct mfg_core_ctx ctx __uninitialized;	/* mfg_ctx_of() fills it */
	unsigned long ret;

	/* The RCU read side that keeps a user's ops alive during its callback. */
	preempt_disable_notrace();
	mfg_ctx_of(&ctx, current, smp_processor_id());
	ret = mfg_core_return(&ctx, mfg_arch_return_key(fregs),
			      ftrace_regs_get_return_value(fregs), unwind_slot, fregs);
	preempt_enable_notrace();
	return ret;
}

/* ------------------------------------------------------------ stack lifecycle */

static void mfg_request_irq(struct irq_work *irq)
{
	struct mfg_cpu_request *req = container_of(irq, struct mfg_cpu_request, irq);

	queue_work_on(req->cpu, system_highpri_wq, &req->work);
}

static void mfg_request_fn(struct work_struct *work)
{
	struct mfg_cpu_request *req = container_of(work, struct mfg_cpu_request, work);
	void *stacks[8];
	unsigned int want, got, used, i;
	long key = xchg(&req->chunk_key, MFG_NO_CHUNK);

	mutex_lock(&mfg_mutex);
	if (!mfg_started)
		goto unlock;
	if (key != MFG_NO_CHUNK && mfg_core_grow(key))
		pr_warn_ratelimited("mfgraph: no memory for the task table\n");
	want = min_t(unsigned int, mfg_core_pool_want(req->cpu), ARRAY_SIZE(stacks));
	for (got = 0; got < want; got++) {
		stacks[got] = kvzalloc(MFG_SHADOW_STACK_BYTES, GFP_KERNEL);
		if (!stacks[got])
			break;
	}
	mfg_core_account_stacks(got);
	/* Pools are only ever filled by their own CPU: see StackPool. */
	preempt_disable();
	used = mfg_core_refill_local(smp_processor_id(), stacks, got);
	preempt_enable();
	for (i = used; i < got; i++)
		kvfree(stacks[i]);
	mfg_core_account_stacks(-(long)(got - used));
unlock:
	mutex_unlock(&mfg_mutex);
}

static void mfg_collect_stack(void *stack, void *arg)
{
	/* The stack is unlinked: its first word may carry the list. */
	llist_add(stack, arg);
}

/* Reap, wait for every reader, free. Returns the stacks still holding frames. */
static unsigned int mfg_reap_locked(bool idle_too)
{
	LLIST_HEAD(reaped);
	struct llist_node *node, *next;
	unsigned int busy;

	busy = mfg_core_reap(mfg_collect_stack, &reaped, idle_too);
	if (llist_empty(&reaped))
		return busy;
	/* The return path reads a stack with preemption disabled. */
	synchronize_rcu();
	llist_for_each_safe(node, next, llist_del_all(&reaped)) {
		kvfree(node);
		mfg_core_account_stacks(-1);
	}
	return busy;
}

static void mfg_free_fn(struct work_struct *work)
{
	mutex_lock(&mfg_mutex);
	mfg_reap_locked(false);
	mutex_unlock(&mfg_mutex);
}

static void mfg_task_free_probe(void *data, struct task_struct *task)
{
	if (mfg_core_task_freed(task, mfg_task_key(task)))
		schedule_work(&mfg_free_work);
}

static void mfg_find_tracepoint(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "sched_process_free"))
		*(struct tracepoint **)priv = tp;
}

/* Grow the task table for every task alive now; new tasks ask on first use. */
static int mfg_grow_for_existing_tasks(void)
{
	struct task_struct *g, *t;
	unsigned long *seen;
	long pid;
	int ret = 0;

	seen = bitmap_zalloc(MFG_PID_CHUNKS, GFP_KERNEL);
	if (!seen)
		return -ENOMEM;
	rcu_read_lock();
	for_each_process_thread(g, t)
		if (t->pid > 0 && t->pid < MFG_PID_LIMIT)
			__set_bit(t->pid >> MFG_PID_CHUNK_BITS, seen);
	rcu_read_unlock();
	for_each_set_bit(pid, seen, MFG_PID_CHUNKS) {
		ret = mfg_core_grow(pid << MFG_PID_CHUNK_BITS);
		if (ret)
			break;
	}
	bitmap_free(seen);
	return ret;
}

static int mfg_start_locked(void)
{
	int ret;

	if (mfg_started)
		return 0;
	/* The drain of an earlier run may still be pending: it finds users now. */
	if (mfg_core_stacks_started())
		goto started;
	for_each_kernel_tracepoint(mfg_find_tracepoint, &mfg_tp_free);
	if (!mfg_tp_free) {
		pr_err("mfgraph: no sched_process_free tracepoint\n");
		return -ENOENT;
	}
	ret = mfg_core_stacks_start(nr_cpu_ids);
	if (ret)
		return ret;
	ret = mfg_grow_for_existing_tasks();
	if (!ret)
		ret = tracepoint_probe_register(mfg_tp_free, mfg_task_free_probe, NULL);
	if (ret) {
		mfg_core_stacks_stop();
		return ret;
	}
started:
	/*
	 * Tasks may hold frames that return into our trampoline until the
	 * drain has seen every stack empty: stay loaded until then.
	 */
	if (!mfg_holds_ref) {
		__module_get(THIS_MODULE);
		mfg_holds_ref = true;
	}
	mfg_started = true;
	return 0;
}

/*
 * With no user and the hook off, free every stack that holds no frame. Once
 * none holds one, nothing can return into the trampoline any more: stop
 * watching tasks and drop the module reference. Returns whether that point
 * was reached.
 */
static bool mfg_drain_locked(void)
{
	if (mfg_started || !mfg_core_stacks_started())
		return true;
	if (mfg_reap_locked(true))
		return false;
	tracepoint_probe_unregister(mfg_tp_free, mfg_task_free_probe, NULL);
	tracepoint_synchronize_unregister();
	mfg_reap_locked(true);
	mfg_core_stacks_stop();
	mfg_holds_ref = false;
	/*
	 * Our caller is mfgraph code: the unregistration of a client that
	 * still holds mfgraph through its symbols, or the drain work, which
	 * mfg_exit() flushes. Either way the module outlives this put.
	 */
	module_put(THIS_MODULE);
	return true;
}

static void mfg_drain_fn(struct work_struct *work)
{
	mutex_lock(&mfg_mutex);
	/* Tasks still sleep in traced calls: look again later. */
	if (!mfg_drain_locked())
		schedule_delayed_work(&mfg_drain_work, HZ / 10);
	mutex_unlock(&mfg_mutex);
}

/* The last user left: the hook is off. Give the stacks back when they drain. */
static void mfg_stop_locked(void)
{
	mfg_started = false;
	if (!mfg_drain_locked())
		mod_delayed_work(system_wq, &mfg_drain_work, HZ / 10);
}

/* ------------------------------------------------------------ filters */

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
static int mfg_update_hook_locked(void)
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

static bool mfg_is_registered(struct mfg_ops *ops)
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

/* ------------------------------------------------------------ registration */

/* See include/mfgraph.h. */
int mfg_register(struct mfg_ops *ops)
{
	int slot, ret;

	if (!ops || (!ops->entryfunc && !ops->retfunc)) {
		pr_err("mfgraph: register: %s\n",
		       ops ? "no entry or return callback" : "ops is NULL");
		return -EINVAL;
	}
	if (ops->flags & ~MFG_OPS_FL_ALL) {
		pr_err("mfgraph: register: unknown flags %#lx\n", ops->flags & ~MFG_OPS_FL_ALL);
		return -EINVAL;
	}
	mutex_lock(&mfg_mutex);
	if (mfg_is_registered(ops)) {
		pr_err("mfgraph: register: already registered (slot %d)\n", ops->slot);
		ret = -EBUSY;
		goto unlock;
	}
	ret = mfg_start_locked();
	if (ret)
		goto unlock;
	slot = mfg_core_claim(ops);
	if (slot < 0) {
		ret = slot;
		if (ret == -ENOSPC)
			pr_err("mfgraph: register: all %d user slots are taken\n", MFG_MAX_USERS);
		goto stop;
	}
	mfg_users[slot] = ops;
	mfg_nr_users++;
	ret = mfg_update_hook_locked();
	if (ret) {
		mfg_users[slot] = NULL;
		mfg_nr_users--;
		mfg_core_retire(slot);
		mfg_update_hook_locked();
		synchronize_rcu();
		mfg_core_release(slot);
		goto stop;
	}
	mutex_unlock(&mfg_mutex);
	return 0;
stop:
	if (!mfg_nr_users)
		mfg_stop_locked();
unlock:
	mutex_unlock(&mfg_mutex);
	return ret;
}
EXPORT_SYMBOL_GPL(mfg_register);

/* See include/mfgraph.h. */
void mfg_unregister(struct mfg_ops *ops)
{
	int slot;

	if (!ops) {
		pr_err("mfgraph: unregister: ops is NULL\n");
		return;
	}
	mutex_lock(&mfg_mutex);
	if (!mfg_is_registered(ops)) {
		pr_err("mfgraph: unregister: not registered\n");
		goto unlock;
	}
	slot = ops->slot;
	/* From here on, every entry it pushed is stale. */
	mfg_core_retire(slot);
	mfg_users[slot] = NULL;
	mfg_nr_users--;
	if (mfg_update_hook_locked())
		pr_warn("mfgraph: unregister: hook update failed; the user is retired all the same\n");
	/*
	 * Callbacks run with preemption disabled and check the generation
	 * first: after a grace period none can still be in @ops.
	 */
	synchronize_rcu();
	mfg_core_release(slot);
	if (!mfg_nr_users)
		mfg_stop_locked();
unlock:
	mutex_unlock(&mfg_mutex);
}
EXPORT_SYMBOL_GPL(mfg_unregister);

/* ------------------------------------------------------------ data and unwinder API */

static __always_inline void mfg_ctx_current(struct mfg_core_ctx *ctx)
{
	mfg_ctx_of(ctx, current, raw_smp_processor_id());
}

/* See include/mfgraph.h. */
void *mfg_reserve_data(int size)
{
	void *data;

	/* Preemption is off in a callback; outside one this keeps us honest. */
	preempt_disable_notrace();
	data = mfg_core_reserve_data(raw_smp_processor_id(), current, size);
	preempt_enable_notrace();
	return data;
}
EXPORT_SYMBOL_GPL(mfg_reserve_data);

/* See include/mfgraph.h. */
void *mfg_retrieve_data(int *size)
{
	void *data;

	preempt_disable_notrace();
	data = mfg_core_retrieve_data(raw_smp_processor_id(), current, size);
	preempt_enable_notrace();
	return data;
}
EXPORT_SYMBOL_GPL(mfg_retrieve_data);

/* See include/mfgraph.h. */
void *mfg_retrieve_parent_data(int depth, int *size)
{
	void *data;

	preempt_disable_notrace();
	data = mfg_core_retrieve_parent_data(raw_smp_processor_id(), current, depth, size);
	preempt_enable_notrace();
	return data;
}
EXPORT_SYMBOL_GPL(mfg_retrieve_parent_data);

/* See include/mfgraph.h. */
unsigned long *mfg_task_var(struct mfg_ops *ops)
{
	struct mfg_core_ctx ctx;
	unsigned long *var;

	/*
	 * Preemption is off in a callback; outside one this keeps the
	 * per-CPU stack cache written by its own CPU only.
	 */
	preempt_disable_notrace();
	mfg_ctx_current(&ctx);
	var = mfg_core_task_var(&ctx, ops);
	preempt_enable_notrace();
	return var;
}
EXPORT_SYMBOL_GPL(mfg_task_var);

/* See include/mfgraph.h. */
unsigned long mfg_ret_addr(struct task_struct *task, int *idx, unsigned long ret,
			   unsigned long *retp)
{
	struct mfg_core_ctx ctx;
	unsigned long real;

	preempt_disable_notrace();
	mfg_ctx_of(&ctx, task, raw_smp_processor_id());
	real = mfg_core_ret_addr(&ctx, idx, ret, (unsigned long)retp);
	preempt_enable_notrace();
	return real;
}
EXPORT_SYMBOL_GPL(mfg_ret_addr);

/* See include/mfgraph.h. */
noinline unsigned int mfg_stack_trace_save(unsigned long *store, unsigned int size,
					   unsigned int skipnr)
{
	struct mfg_core_ctx ctx;
	unsigned int n;

	preempt_disable_notrace();
	mfg_ctx_current(&ctx);
#if MFG_ARCH_KEY_IS_SLOT
	/*
	 * The unwinder cannot see through the trampoline address: put the
	 * real addresses back while it runs. Only current's own outer frames
	 * are touched, and nothing returns through them meanwhile.
	 */
	mfg_core_unswap_all(&ctx, false);
	n = stack_trace_save(store, size, skipnr + 1);
	mfg_core_unswap_all(&ctx, true);
#else
	/* The frame-pointer unwinder walks past it: fix the addresses after. */
	n = stack_trace_save(store, size, skipnr + 1);
	mfg_core_fix_trace(&ctx, store, n);
#endif
	preempt_enable_notrace();
	return n;
}
EXPORT_SYMBOL_GPL(mfg_stack_trace_save);

/* ------------------------------------------------------------ statistics */

void mfg_hook_stats(struct mfg_hook_stats *st)
{
	int slot;

	mutex_lock(&mfg_mutex);
	st->nr_users = mfg_nr_users;
	st->hook_registered = mfg_hook_registered;
	st->hook_all = mfg_hook_all;
	st->started = mfg_started;
	for (slot = 0; slot < MFG_MAX_USERS; slot++) {
		struct mfg_ops *ops = mfg_users[slot];
		struct mfg_filter *f = ops ? ops->filter : NULL;
		struct mfg_hook_user *u = &st->users[slot];

		u->ops = ops;
		u->generation = mfg_core_slot_generation(slot);
		u->filter_all = f && f->all;
		u->filter_size = 0;
		if (f && !f->all)
			u->filter_size = mfg_ftrace_ops_count(&f->resolver);
		mfg_core_user_stats(slot, &u->counts);
	}
	mutex_unlock(&mfg_mutex);
}

int mfg_hook_init(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct mfg_cpu_request *req = per_cpu_ptr(&mfg_requests, cpu);

		init_irq_work(&req->irq, mfg_request_irq);
		INIT_WORK(&req->work, mfg_request_fn);
		req->chunk_key = MFG_NO_CHUNK;
		req->cpu = cpu;
	}
	return mfg_core_stats_init(nr_cpu_ids);
}

void mfg_hook_exit(void)
{
	void *map;
	int cpu, err;

	/* No user and nothing outstanding, or the module could not unload. */
	for_each_possible_cpu(cpu) {
		irq_work_sync(&per_cpu_ptr(&mfg_requests, cpu)->irq);
		cancel_work_sync(&per_cpu_ptr(&mfg_requests, cpu)->work);
	}
	cancel_delayed_work_sync(&mfg_drain_work);
	cancel_work_sync(&mfg_free_work);
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
	if (mfg_core_stacks_started()) {
		/* Only when load failed half way: nothing can hold frames. */
		mfg_reap_locked(true);
		mfg_core_stacks_stop();
	}
	mutex_unlock(&mfg_mutex);
	mfg_core_stats_exit();
}
