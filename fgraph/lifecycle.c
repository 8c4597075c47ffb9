// SPDX-License-Identifier: GPL-2.0
/*
 * Per-task shadow stacks over their life: the per-CPU pools refilled off the
 * tracing path, the stacks of exited tasks freed after a grace period, and
 * the drain that gives every stack back once the last user is gone and no
 * frame is outstanding.
 */
#include <linux/irq_work.h>
#include <linux/llist.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/tracepoint.h>
#include <linux/workqueue.h>

#include "hook.h"

#if defined(CONFIG_X86_64)
#include "../arch/x86/mfg_arch.h"
#elif defined(CONFIG_ARM64)
#include "../arch/arm64/mfg_arch.h"
#endif

static unsigned int release_sleepers_ms = 1000;
module_param(release_sleepers_ms, uint, 0644);
MODULE_PARM_DESC(release_sleepers_ms,
		 "once the last user left, hand the frames of tasks still asleep in traced calls back to their callers after this many ms, checked every 100 ms (0: never; wait for them to return)");

/* One per CPU: asks for a pool refill off the tracing path. */
struct mfg_cpu_request {
	struct irq_work irq;
	struct work_struct work;
	unsigned int cpu;
	bool pending;		/* asked, and the refill has not run yet */
};

static bool mfg_started;
bool mfg_releasing;
static unsigned long mfg_drain_since;	/* jiffies: the drain began waiting */
static bool mfg_holds_ref;	/* a module reference while stacks may hold frames */
static struct tracepoint *mfg_tp_free;
static DEFINE_PER_CPU(struct mfg_cpu_request, mfg_requests);
static void mfg_drain_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(mfg_drain_work, mfg_drain_fn);
static void mfg_free_fn(struct work_struct *work);
static DECLARE_WORK(mfg_free_work, mfg_free_fn);

/* The tracing path asks: any context, NMI included. */
void mfg_request_refill(void)
{
	struct mfg_cpu_request *req = this_cpu_ptr(&mfg_requests);

	/*
	 * One request per CPU until the refill has run: when everything is
	 * traced ("*"), the irq_work handler's own traced calls find the
	 * pool empty as well, and each would raise the next irq_work, for
	 * ever. And none from a CPU going down or not up yet: an irq_work
	 * queued after the dying CPU flushed its list stays pending, and
	 * the unload's irq_work_sync() would wait for it for ever. An NMI
	 * between the test and the store queues the same irq_work, which
	 * irq_work_queue() turns into one.
	 */
	if (READ_ONCE(req->pending) || !cpu_online(req->cpu))
		return;
	WRITE_ONCE(req->pending, true);
	/* irq_work is NMI-safe; the work item it queues may sleep. */
	irq_work_queue(&req->irq);
}

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

	mutex_lock(&mfg_mutex);
	if (!mfg_started)
		goto unlock;
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
	WRITE_ONCE(req->pending, false);
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
		/*
		 * A task whose last return ran during the reap may have cached
		 * the stack; nothing can cache it again now that it is
		 * unlinked and no reader is left.
		 */
		mfg_core_forget_stack(node);
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
	if (mfg_core_task_freed(task))
		schedule_work(&mfg_free_work);
}

static void mfg_find_tracepoint(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "sched_process_free"))
		*(struct tracepoint **)priv = tp;
}

/* Readers of the task table run with preemption disabled: see core.h. */
static void mfg_wait_table_readers(void)
{
	synchronize_rcu();
}

int mfg_start_locked(void)
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
	ret = tracepoint_probe_register(mfg_tp_free, mfg_task_free_probe, NULL);
	if (ret) {
		mfg_core_stacks_stop(mfg_wait_table_readers);
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

static bool mfg_release_one(void *arg, unsigned long key, unsigned long ret_addr, bool commit)
{
	return mfg_arch_release_slot(arg, key, ret_addr, commit);
}

/*
 * Tasks that sleep for long in traced calls (a kthread waiting for a rare
 * event in schedule(), once "*" was traced) would keep mfgraph loaded until
 * they run again, which may be never. With no user left and the hook off,
 * no frame is pushed any more and no return callback is due: put each such
 * frame's real return address back into its return slot, so that the task
 * returns straight to its caller, wait until no task is still in the
 * trampoline for a frame whose address it read before the swap, and drop
 * the frames. Returns how many frames were dropped.
 */
static unsigned int mfg_release_sleepers_locked(void)
{
	const unsigned long tramp = (unsigned long)mfg_return_trampoline;
	struct mfg_arch_release r;
	struct task_struct *g, *t;
	unsigned int tasks = 0, frames;

	/*
	 * The task list and each listed task's stack are safe to read under
	 * RCU: a dead task's stack is freed (or cached, and zeroed when reused)
	 * only after a grace period. Tasks on a CPU right now are left alone:
	 * they are likely to return by themselves.
	 */
	/*
	 * mfg_stack_trace_save() swaps a running task's return slots to the
	 * real addresses and back: let every such section that began before
	 * the flag end (it runs with preemption disabled) before we swap.
	 */
	WRITE_ONCE(mfg_releasing, true);
	synchronize_rcu();
	rcu_read_lock();
	for_each_process_thread(g, t) {
		if (t == current || READ_ONCE(t->on_cpu) ||
		    !mfg_arch_release_begin(&r, t, tramp))
			continue;
		if (mfg_core_release_frames(t, mfg_release_one, &r) > 0)
			tasks++;
	}
	rcu_read_unlock();
	if (!tasks) {
		WRITE_ONCE(mfg_releasing, false);
		return 0;
	}
	/* A task that read the trampoline's address just before its swap. */
	mfg_wait_trampoline_users();
	frames = mfg_core_drop_released();
	WRITE_ONCE(mfg_releasing, false);
	pr_info("mfgraph: gave %u frames of %u sleeping tasks back to their callers\n",
		frames, tasks);
	return frames;
}

/* The last user left release_sleepers_ms ago (or the last attempt did). */
static bool mfg_release_due(void)
{
	return release_sleepers_ms &&
	       time_after_eq(jiffies, mfg_drain_since + msecs_to_jiffies(release_sleepers_ms));
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
	if (mfg_reap_locked(true)) {
		if (!mfg_release_due())
			return false;
		/*
		 * What cannot be handed back (tasks on a CPU, idle tasks,
		 * frames under another tracer's swap) waits another period.
		 */
		mfg_drain_since = jiffies;
		if (!mfg_release_sleepers_locked() || mfg_reap_locked(true))
			return false;
	}
	tracepoint_probe_unregister(mfg_tp_free, mfg_task_free_probe, NULL);
	tracepoint_synchronize_unregister();
	mfg_reap_locked(true);
	mfg_core_stacks_stop(mfg_wait_table_readers);
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
void mfg_stop_locked(void)
{
	mfg_started = false;
	mfg_drain_since = jiffies;
	if (!mfg_drain_locked())
		mod_delayed_work(system_wq, &mfg_drain_work, HZ / 10);
}

void mfg_lifecycle_init(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct mfg_cpu_request *req = per_cpu_ptr(&mfg_requests, cpu);

		init_irq_work(&req->irq, mfg_request_irq);
		INIT_WORK(&req->work, mfg_request_fn);
		req->cpu = cpu;
	}
}

void mfg_lifecycle_exit(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		irq_work_sync(&per_cpu_ptr(&mfg_requests, cpu)->irq);
		cancel_work_sync(&per_cpu_ptr(&mfg_requests, cpu)->work);
	}
	cancel_delayed_work_sync(&mfg_drain_work);
	cancel_work_sync(&mfg_free_work);
	/*
	 * The drain saw every stack empty, but a task that popped the last
	 * frame may still be preempted in the return path's tail or the
	 * trampoline, about to run our text again: see kcompat.h.
	 */
	mfg_wait_trampoline_users();
	mutex_lock(&mfg_mutex);
	if (mfg_core_stacks_started()) {
		/* Only when load failed half way: nothing can hold frames. */
		mfg_reap_locked(true);
		mfg_core_stacks_stop(mfg_wait_table_readers);
	}
	mutex_unlock(&mfg_mutex);
}
