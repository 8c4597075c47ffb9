// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "mfgraph_sched": what the scheduler does to traced calls.
 *
 *   - calls that sleep and return on another CPU than their entry;
 *   - a new task that gets a dead task's pid (and maybe its task_struct)
 *     while the dead one left frames and a task variable behind;
 *   - the idle tasks (pid 0 on every CPU, never exiting) in traced calls;
 *   - a registration racing the drain that follows the last user's
 *     unregistration, and the hand-back of sleeping tasks' frames.
 *
 * Runs after the other suites: it expects to be mfgraph's only user.
 */
#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/wait.h>

#include <mfgraph.h>

#include "../../fgraph/kcompat.h"
#include "sched_targets.h"
#include "test_util.h"

/* What the entry callbacks write into each call's data words. */
#define SCHED_WORDS 5
#define SCHED_MAGIC 0x5c4ed0000UL
#define SCHED_WAIT (10 * HZ)

/* What one calling thread did and saw; the traced targets carry it. */
struct mfg_sched_rec {
	atomic_t entries;
	atomic_t returns;
	atomic_t migrated;	/* returns on another CPU than their entry */
	atomic_t bad;		/* returns whose data, task, depth or times were wrong */
	int wrong;		/* calls that returned the wrong value */
	int round;
	bool quit;
	int cpu;		/* the CPU a bound thread runs on, or -1 */
	struct completion start, asleep, wake, done;
	/* The pid case: */
	int role;
	pid_t pid;
	struct task_struct *task;	/* compared, never dereferenced */
	int first_depth;
	unsigned long first_var;
	int result;
	struct mfg_sched_race *race;
};

enum { SCHED_PLAIN, SCHED_OLD, SCHED_NEW };

/* One user: counts, and checks each return against its entry's data. */
struct mfg_sched_user {
	struct mfg_ops ops;
	unsigned long ip_call, ip_inner;	/* ftrace locations */
	bool check_depth;	/* callers have no traced frame below mfg_sched_call */
	unsigned long tag;	/* a round number, written at entry, checked at return */
	atomic_t live;		/* cleared once mfg_unregister() returned */
	atomic_t entries;
	atomic_t returns;
	atomic_t migrated;
	atomic_t bad;
	atomic_t after_unregister;
};

static int sched_entry(const struct mfg_entry *trace, struct mfg_ops *ops,
		       struct ftrace_regs *fregs)
{
	struct mfg_sched_user *u = container_of(ops, struct mfg_sched_user, ops);
	struct mfg_sched_rec *rec = (void *)ftrace_regs_get_argument(fregs, 1);
	unsigned long *data = mfg_reserve_data(SCHED_WORDS * sizeof(long));
	unsigned long *var;

	atomic_inc(&u->entries);
	if (!data) {
		atomic_inc(&u->bad);
		return 0;
	}
	data[0] = (unsigned long)rec;
	data[1] = (unsigned long)current;
	data[2] = raw_smp_processor_id();
	data[3] = trace->depth;
	data[4] = READ_ONCE(u->tag);
	if (!rec)
		return 1;
	if (rec->role == SCHED_OLD && trace->depth == 0) {
		/* Left behind when the task exits: a new task must not see it. */
		var = mfg_task_var(ops);
		if (var)
			*var = SCHED_MAGIC;
		else
			atomic_inc(&rec->bad);
	}
	if (rec->role == SCHED_NEW && atomic_read(&rec->entries) == 0) {
		var = mfg_task_var(ops);
		rec->first_depth = trace->depth;
		rec->first_var = var ? *var : ~0UL;
	}
	atomic_inc(&rec->entries);
	return 1;
}

static void sched_return(const struct mfg_return *trace, struct mfg_ops *ops,
			 struct ftrace_regs *fregs)
{
	struct mfg_sched_user *u = container_of(ops, struct mfg_sched_user, ops);
	int size = 0;
	unsigned long *data = mfg_retrieve_data(&size);
	struct mfg_sched_rec *rec;
	bool bad;

	atomic_inc(&u->returns);
	if (!atomic_read(&u->live))
		atomic_inc(&u->after_unregister);
	if (!data || size != SCHED_WORDS * sizeof(long)) {
		atomic_inc(&u->bad);
		return;
	}
	rec = (void *)data[0];
	/* Another task's frame, another depth's, another registration's. */
	bad = data[1] != (unsigned long)current || data[3] != trace->depth ||
	      data[4] != READ_ONCE(u->tag);
	if (u->check_depth && ((trace->func == u->ip_call && trace->depth != 0) ||
			       (trace->func == u->ip_inner && trace->depth != 1)))
		bad = true;
	if ((ops->flags & MFG_OPS_FL_TIMESTAMPS) &&
	    (!trace->calltime || trace->rettime <= trace->calltime))
		bad = true;
	if (data[2] != raw_smp_processor_id()) {
		atomic_inc(&u->migrated);
		if (rec)
			atomic_inc(&rec->migrated);
	}
	if (bad)
		atomic_inc(&u->bad);
	if (!rec)
		return;
	if (bad)
		atomic_inc(&rec->bad);
	atomic_inc(&rec->returns);
}

static void sched_unregister_action(void *ops)
{
	struct mfg_sched_user *u = container_of(ops, struct mfg_sched_user, ops);

	if (atomic_read(&u->live))
		mfg_unregister(ops);
	mfg_free_filter(ops);
}

static struct mfg_sched_user *sched_new_user(struct kunit *test, unsigned long flags)
{
	struct mfg_sched_user *u = kunit_kzalloc(test, sizeof(*u), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, u);
	u->ops.entryfunc = sched_entry;
	u->ops.retfunc = sched_return;
	u->ops.flags = flags;
	KUNIT_ASSERT_EQ(test, mfg_func_ip(NULL, (unsigned long)mfg_sched_call, &u->ip_call), 0);
	KUNIT_ASSERT_EQ(test, mfg_func_ip(NULL, (unsigned long)mfg_sched_inner, &u->ip_inner), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, sched_unregister_action, &u->ops), 0);
	return u;
}

static void sched_trace(struct kunit *test, struct mfg_sched_user *u, unsigned long *ips,
			unsigned int n)
{
	KUNIT_ASSERT_EQ(test, mfg_set_filter_ips(&u->ops, ips, n, false, true), 0);
}

static void sched_register(struct kunit *test, struct mfg_sched_user *u)
{
	atomic_set(&u->live, 1);
	KUNIT_ASSERT_EQ(test, mfg_register(&u->ops), 0);
}

static void sched_unregister(struct mfg_sched_user *u)
{
	mfg_unregister(&u->ops);
	atomic_set(&u->live, 0);
}

static unsigned long long sched_miss(enum mfg_miss cause)
{
	struct mfg_stats st;

	mfg_get_stats(&st);
	return st.misses[cause];
}

/* mfgraph's only user from here on, with nothing left of earlier ones. */
static unsigned int sched_baseline(struct kunit *test)
{
	struct mfg_stats st;

	mfg_get_stats(&st);
	if (st.users)
		kunit_skip(test, "%u other mfgraph users are registered: no drain to watch",
			   st.users);
	return mfg_test_wait_stacks(0);
}

static struct mfg_sched_rec *sched_new_rec(struct kunit *test, int cpu)
{
	struct mfg_sched_rec *rec = kunit_kzalloc(test, sizeof(*rec), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, rec);
	rec->cpu = cpu;
	init_completion(&rec->start);
	init_completion(&rec->asleep);
	init_completion(&rec->wake);
	init_completion(&rec->done);
	return rec;
}

/*
 * A thread the test stops with sched_stop(): it holds a reference, so the
 * thread may return (or exit inside a traced call) before that.
 */
static struct task_struct *sched_start(struct kunit *test, int (*fn)(void *),
				       struct mfg_sched_rec *rec, const char *name)
{
	struct task_struct *t = kthread_create(fn, rec, "%s", name);

	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	get_task_struct(t);
	if (rec->cpu >= 0)
		kthread_bind(t, rec->cpu);
	wake_up_process(t);
	return t;
}

static void sched_stop(struct task_struct *t)
{
	kthread_stop(t);
	put_task_struct(t);
}

/* ------------------------------------------------------------ migration */

/*
 * A traced call that sleeps may wake on another CPU and return there: its
 * frame is on the task's stack, never on the CPU's, and each CPU's cache
 * of the last task's stack must then find the task's own. Sleepers enter
 * two nested traced calls on one CPU, are moved to the other while asleep
 * (set_cpus_allowed_ptr(): they can wake nowhere else), and return there;
 * a bound thread on each CPU calls traced functions meanwhile, so each
 * CPU's cache names another task's stack when the sleeper comes back.
 */
#define SCHED_MIGRATORS 2
#define SCHED_MIGRATE_ROUNDS 8

static int sched_wait_fn(struct mfg_sched_rec *rec)
{
	complete(&rec->asleep);
	wait_for_completion(&rec->wake);
	return rec->round;
}

static int sched_nest_fn(struct mfg_sched_rec *rec)
{
	return mfg_sched_inner(sched_wait_fn, rec);
}

static int sched_migrator_fn(void *arg)
{
	struct mfg_sched_rec *rec = arg;

	for (;;) {
		wait_for_completion(&rec->start);
		if (READ_ONCE(rec->quit))
			break;
		if (mfg_sched_call(sched_nest_fn, rec) != rec->round + 3)
			rec->wrong++;
		complete(&rec->done);
	}
	return 0;
}

static int sched_one_fn(struct mfg_sched_rec *rec)
{
	return 0;
}

static int sched_busy_fn(void *arg)
{
	struct mfg_sched_rec *rec = arg;
	unsigned int n = 0;

	while (!READ_ONCE(rec->quit)) {
		if (mfg_sched_call(sched_one_fn, rec) != 1)
			rec->wrong++;
		if (++n % 16 == 0)
			usleep_range(200, 400);
	}
	return 0;
}

static void sched_migrating_returns(struct kunit *test)
{
	struct mfg_sched_user *u = sched_new_user(test, MFG_OPS_FL_TIMESTAMPS);
	struct mfg_sched_rec *sleeper[SCHED_MIGRATORS], *busy[2];
	struct task_struct *st[SCHED_MIGRATORS], *bt[2];
	unsigned long long mismatch = sched_miss(MFG_MISS_MISMATCH);
	unsigned int before, cpu[2], i, r;
	int migrated = 0;
	bool ok = true;

	if (num_online_cpus() < 2)
		kunit_skip(test, "one CPU online: no call can return on another");
	before = sched_baseline(test);
	cpu[0] = cpumask_first(cpu_online_mask);
	cpu[1] = cpumask_next(cpu[0], cpu_online_mask);
	sched_trace(test, u, &u->ip_call, 1);
	KUNIT_ASSERT_EQ(test, mfg_set_filter_ips(&u->ops, &u->ip_inner, 1, false, false), 0);
	u->check_depth = true;
	sched_register(test, u);

	for (i = 0; i < 2; i++) {
		busy[i] = sched_new_rec(test, cpu[i]);
		bt[i] = sched_start(test, sched_busy_fn, busy[i], "mfg_sched_busy");
	}
	for (i = 0; i < SCHED_MIGRATORS; i++) {
		sleeper[i] = sched_new_rec(test, -1);
		st[i] = sched_start(test, sched_migrator_fn, sleeper[i], "mfg_sched_mig");
	}
	/* Failures end the rounds, never the case: the threads use its memory. */
	for (r = 0; r < SCHED_MIGRATE_ROUNDS && ok; r++) {
		for (i = 0; i < SCHED_MIGRATORS && ok; i++) {
			/* Enter on one CPU... */
			sleeper[i]->round = r;
			ok = !set_cpus_allowed_ptr(st[i], cpumask_of(cpu[(r + i) & 1]));
			complete(&sleeper[i]->start);
		}
		for (i = 0; i < SCHED_MIGRATORS && ok; i++) {
			ok = wait_for_completion_timeout(&sleeper[i]->asleep, SCHED_WAIT) &&
			     /* ...wake on the other: it may run nowhere else. */
			     !set_cpus_allowed_ptr(st[i], cpumask_of(cpu[(r + i + 1) & 1]));
		}
		for (i = 0; i < SCHED_MIGRATORS; i++)
			complete(&sleeper[i]->wake);
		for (i = 0; i < SCHED_MIGRATORS && ok; i++)
			ok = wait_for_completion_timeout(&sleeper[i]->done, SCHED_WAIT);
		KUNIT_EXPECT_TRUE_MSG(test, ok, "round %u: a sleeper did not move or come back", r);
	}
	for (i = 0; i < SCHED_MIGRATORS; i++) {
		WRITE_ONCE(sleeper[i]->quit, true);
		complete(&sleeper[i]->wake);
		complete(&sleeper[i]->start);
		sched_stop(st[i]);
	}
	for (i = 0; i < 2; i++) {
		WRITE_ONCE(busy[i]->quit, true);
		sched_stop(bt[i]);
	}
	if (!ok)
		return;

	for (i = 0; i < SCHED_MIGRATORS; i++) {
		struct mfg_sched_rec *s = sleeper[i];

		/* Two frames a round, every one entered on one CPU and returned on the other. */
		KUNIT_EXPECT_EQ(test, atomic_read(&s->entries), 2 * SCHED_MIGRATE_ROUNDS);
		KUNIT_EXPECT_EQ(test, atomic_read(&s->returns), 2 * SCHED_MIGRATE_ROUNDS);
		KUNIT_EXPECT_EQ(test, atomic_read(&s->migrated), 2 * SCHED_MIGRATE_ROUNDS);
		KUNIT_EXPECT_EQ(test, atomic_read(&s->bad), 0);
		KUNIT_EXPECT_EQ(test, s->wrong, 0);
		migrated += atomic_read(&s->migrated);
	}
	for (i = 0; i < 2; i++) {
		struct mfg_sched_rec *b = busy[i];

		KUNIT_EXPECT_GT(test, atomic_read(&b->entries), 0);
		KUNIT_EXPECT_EQ(test, atomic_read(&b->returns), atomic_read(&b->entries));
		/* Bound: every return on the entry's CPU. */
		KUNIT_EXPECT_EQ(test, atomic_read(&b->migrated), 0);
		KUNIT_EXPECT_EQ(test, atomic_read(&b->bad), 0);
		KUNIT_EXPECT_EQ(test, b->wrong, 0);
	}
	kunit_info(test, "%d of %d sleeping calls returned on another CPU; busy threads made %d and %d calls\n",
		   migrated, 2 * SCHED_MIGRATORS * SCHED_MIGRATE_ROUNDS,
		   atomic_read(&busy[0]->entries), atomic_read(&busy[1]->entries));
	/* Counted, not assumed: a test where nothing migrated tested nothing. */
	KUNIT_EXPECT_GT(test, migrated, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&u->returns), atomic_read(&u->entries));
	KUNIT_EXPECT_EQ(test, atomic_read(&u->bad), 0);
	KUNIT_EXPECT_EQ(test, sched_miss(MFG_MISS_MISMATCH), mismatch);
	sched_unregister(u);
	/* Every stack went with its task, and the drain freed the rest. */
	KUNIT_EXPECT_EQ(test, mfg_test_wait_stacks(before), before);
}

/* ------------------------------------------------------------ pid reuse */

/*
 * A task that exits with frames outstanding and a task variable set leaves
 * its pid (and, often, its task_struct) to a later task, which must start
 * with an empty shadow stack: depth 0 at its first traced entry, the
 * variable 0, and only its own returns. Pids are handed out cyclically;
 * the case points the allocator back at the dead task's pid, as
 * /proc/sys/kernel/ns_last_pid does, so that the next task gets it.
 */
#define SCHED_PID_TRIES 20

static int sched_exit_inner(struct mfg_sched_rec *rec)
{
	/* Two frames outstanding, for ever (kthread_exit() is not exported by 6.1). */
	kthread_complete_and_exit(&rec->asleep, 0);
}

static int sched_exit_outer(struct mfg_sched_rec *rec)
{
	return mfg_sched_inner(sched_exit_inner, rec);
}

static int sched_old_fn(void *arg)
{
	struct mfg_sched_rec *rec = arg;

	rec->pid = task_pid_nr(current);
	rec->task = current;
	rec->result = mfg_sched_call(sched_exit_outer, rec);
	return 0;
}

static int sched_forty_fn(struct mfg_sched_rec *rec)
{
	return 40;
}

static int sched_new_fn(void *arg)
{
	struct mfg_sched_rec *rec = arg;

	rec->pid = task_pid_nr(current);
	rec->task = current;
	rec->result = mfg_sched_call(sched_forty_fn, rec);
	complete(&rec->done);
	return 0;
}

static bool sched_pid_in_use(pid_t nr)
{
	bool used;

	rcu_read_lock();
	used = find_pid_ns(nr, &init_pid_ns);
	rcu_read_unlock();
	return used;
}

static void sched_pid_reuse(struct kunit *test)
{
	struct mfg_sched_user *u = sched_new_user(test, 0);
	unsigned long long mismatch = sched_miss(MFG_MISS_MISMATCH);
	struct mfg_sched_rec *old = NULL, *new = NULL;
	unsigned int before, tries;
	struct task_struct *t;
	int i;

	before = sched_baseline(test);
	sched_trace(test, u, &u->ip_call, 1);
	KUNIT_ASSERT_EQ(test, mfg_set_filter_ips(&u->ops, &u->ip_inner, 1, false, false), 0);
	sched_register(test, u);
	for (tries = 1; tries <= SCHED_PID_TRIES; tries++) {
		old = sched_new_rec(test, 0);
		old->role = SCHED_OLD;
		t = sched_start(test, sched_old_fn, old, "mfg_sched_old");
		KUNIT_ASSERT_GT(test, wait_for_completion_timeout(&old->asleep, SCHED_WAIT), 0);
		sched_stop(t);
		/* Its pid is free once it is reaped, its task_struct after a grace period. */
		for (i = 0; i < 500 && sched_pid_in_use(old->pid); i++)
			msleep(20);
		KUNIT_ASSERT_FALSE(test, sched_pid_in_use(old->pid));
		rcu_barrier();
		KUNIT_EXPECT_EQ(test, atomic_read(&old->entries), 2);
		KUNIT_EXPECT_EQ(test, atomic_read(&old->returns), 0);

		new = sched_new_rec(test, 0);
		new->role = SCHED_NEW;
		/* What a write of pid - 1 to ns_last_pid does. */
		idr_set_cursor(&init_pid_ns.idr, old->pid);
		t = sched_start(test, sched_new_fn, new, "mfg_sched_new");
		KUNIT_ASSERT_GT(test, wait_for_completion_timeout(&new->done, SCHED_WAIT), 0);
		sched_stop(t);
		if (new->pid == old->pid)
			break;
		kunit_info(test, "try %u: pid %d went to another task; the new one got %d\n",
			   tries, old->pid, new->pid);
	}
	if (tries > SCHED_PID_TRIES)
		kunit_skip(test, "no task got a dead task's pid in %d tries", SCHED_PID_TRIES);
	kunit_info(test, "pid %d reused after %u tries, %s task_struct\n", new->pid, tries,
		   new->task == old->task ? "and its" : "not its");
	/* An empty stack of its own: no frame, no variable, no stale return. */
	KUNIT_EXPECT_EQ(test, new->first_depth, 0);
	KUNIT_EXPECT_EQ(test, new->first_var, 0UL);
	KUNIT_EXPECT_EQ(test, new->result, 41);
	KUNIT_EXPECT_EQ(test, atomic_read(&new->entries), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&new->returns), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&new->bad), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&old->returns), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&u->bad), 0);
	KUNIT_EXPECT_EQ(test, sched_miss(MFG_MISS_MISMATCH), mismatch);
	sched_unregister(u);
	/* The dead tasks' stacks, frames and all, went with them. */
	KUNIT_EXPECT_EQ(test, mfg_test_wait_stacks(before), before);
}

/* ------------------------------------------------------------ idle tasks */

/*
 * The idle tasks (pid 0, one per CPU, on no task list, never exiting) enter
 * schedule_idle() each time their CPU gets work and return from it when
 * the CPU goes idle again: a frame outstanding for as long as the CPU is
 * busy. Every entry must get its return on the same idle task and CPU; the
 * stacks, which no task exit frees, must go when the last user leaves.
 */
struct sched_idle_user {
	struct mfg_ops ops;
	atomic_t counting;	/* ask for returns */
	atomic_t *entries;	/* per CPU */
	atomic_t *returns;
	atomic_t not_idle;
	atomic_t bad;
	bool registered;
};

static void sched_idle_action(void *arg)
{
	struct sched_idle_user *u = arg;

	if (u->registered)
		mfg_unregister(&u->ops);
	mfg_free_filter(&u->ops);
}

static int sched_idle_entry(const struct mfg_entry *trace, struct mfg_ops *ops,
			    struct ftrace_regs *fregs)
{
	struct sched_idle_user *u = container_of(ops, struct sched_idle_user, ops);
	unsigned int cpu = raw_smp_processor_id();
	unsigned long *data;

	if (!is_idle_task(current))
		atomic_inc(&u->not_idle);
	if (!atomic_read(&u->counting))
		return 0;
	data = mfg_reserve_data(3 * sizeof(long));
	if (!data) {
		atomic_inc(&u->bad);
		return 0;
	}
	data[0] = (unsigned long)current;
	data[1] = cpu;
	data[2] = trace->depth;
	atomic_inc(&u->entries[cpu]);
	return 1;
}

static void sched_idle_return(const struct mfg_return *trace, struct mfg_ops *ops,
			      struct ftrace_regs *fregs)
{
	struct sched_idle_user *u = container_of(ops, struct sched_idle_user, ops);
	unsigned int cpu = raw_smp_processor_id();
	int size = 0;
	unsigned long *data = mfg_retrieve_data(&size);

	/* An idle task never leaves its CPU. */
	if (!data || size != 3 * sizeof(long) || data[0] != (unsigned long)current ||
	    data[1] != cpu || data[2] != trace->depth || !is_idle_task(current) ||
	    !trace->calltime || trace->rettime < trace->calltime)
		atomic_inc(&u->bad);
	atomic_inc(&u->returns[cpu]);
}

/*
 * Multi-threaded TCG on x86_64 has executed a stale int3 where ftrace had
 * just rewritten a call site another vCPU was running through (see
 * docs/design.md, "Test harness caveat"), and the idle tasks run through
 * schedule_idle() all the time. So its call site changes only while a
 * spinning thread on every CPU keeps the idle tasks off (switched out
 * inside schedule_idle(), past its call site), and never as the hook's
 * last function (that unregisters the hook and waits for tasks RCU, which
 * a spinning thread would hold up): a keeper user stays registered.
 */
#define SCHED_MAX_HOGS 8

struct sched_hogs {
	struct mfg_sched_rec *rec[SCHED_MAX_HOGS];
	struct task_struct *task[SCHED_MAX_HOGS];
	atomic_t running;
	unsigned int n;
};

static int sched_hog_fn(void *arg)
{
	struct mfg_sched_rec *rec = arg;

	atomic_inc(&rec->entries);
	/*
	 * Always runnable, so the idle task stays off this CPU; but yield to
	 * the test and RCU's kthreads, which a kernel without preemption
	 * (Debian's arm64) would otherwise starve into a soft lockup.
	 */
	while (!READ_ONCE(rec->quit))
		cond_resched();
	return 0;
}

static void sched_hogs_start(struct kunit *test, struct sched_hogs *h)
{
	unsigned int cpu, i;
	bool all;

	h->n = 0;
	for_each_online_cpu(cpu) {
		if (h->n == SCHED_MAX_HOGS)
			break;
		h->rec[h->n] = sched_new_rec(test, cpu);
		h->task[h->n] = sched_start(test, sched_hog_fn, h->rec[h->n], "mfg_sched_hog");
		h->n++;
	}
	/* Every hog on its CPU, spinning. */
	do {
		usleep_range(5000, 10000);
		for (i = 0, all = true; i < h->n; i++)
			all &= atomic_read(&h->rec[i]->entries) > 0;
	} while (!all);
}

static void sched_hogs_stop(struct sched_hogs *h)
{
	unsigned int i;

	for (i = 0; i < h->n; i++)
		WRITE_ONCE(h->rec[i]->quit, true);
	for (i = 0; i < h->n; i++)
		sched_stop(h->task[i]);
}

/* Sleep and wake on one CPU, so that its idle task switches out often. */
static int sched_napper_fn(void *arg)
{
	struct mfg_sched_rec *rec = arg;

	while (!READ_ONCE(rec->quit))
		usleep_range(500, 1000);
	return 0;
}

static int sched_idle_sum(atomic_t *v)
{
	int cpu, n = 0;

	for_each_possible_cpu(cpu)
		n += atomic_read(&v[cpu]);
	return n;
}

static void sched_idle_tasks(struct kunit *test)
{
	struct sched_idle_user *u = kunit_kzalloc(test, sizeof(*u), GFP_KERNEL);
	unsigned long long mismatch = sched_miss(MFG_MISS_MISMATCH);
	struct mfg_sched_user *keeper = sched_new_user(test, 0);
	struct sched_hogs *hogs = kunit_kzalloc(test, sizeof(*hogs), GFP_KERNEL);
	struct mfg_sched_rec *nap[2];
	struct task_struct *nt[2];
	unsigned long cold_ip;
	struct mfg_stats st;
	unsigned int before;
	int cpu, i, ret;

	KUNIT_ASSERT_NOT_NULL(test, u);
	KUNIT_ASSERT_NOT_NULL(test, hogs);
	u->entries = kunit_kcalloc(test, nr_cpu_ids, sizeof(atomic_t), GFP_KERNEL);
	u->returns = kunit_kcalloc(test, nr_cpu_ids, sizeof(atomic_t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, u->entries);
	KUNIT_ASSERT_NOT_NULL(test, u->returns);
	u->ops.entryfunc = sched_idle_entry;
	u->ops.retfunc = sched_idle_return;
	u->ops.flags = MFG_OPS_FL_TIMESTAMPS;
	before = sched_baseline(test);
	KUNIT_ASSERT_EQ(test, before, 0U);
	KUNIT_ASSERT_EQ(test, mfg_set_filter(&u->ops, "schedule_idle", true), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, sched_idle_action, u), 0);
	/* Nothing calls it here: it keeps the hook registered throughout. */
	KUNIT_ASSERT_EQ(test, mfg_func_ip(NULL, (unsigned long)mfg_sched_busy, &cold_ip), 0);
	sched_trace(test, keeper, &cold_ip, 1);
	sched_register(test, keeper);
	atomic_set(&u->counting, 1);
	sched_hogs_start(test, hogs);
	ret = mfg_register(&u->ops);
	sched_hogs_stop(hogs);
	KUNIT_ASSERT_EQ(test, ret, 0);
	u->registered = true;
	/* Let every CPU go idle and come back, many times. */
	for (i = 0; i < 2; i++) {
		cpu = i ? cpumask_next(cpumask_first(cpu_online_mask), cpu_online_mask) :
			  cpumask_first(cpu_online_mask);
		nap[i] = sched_new_rec(test, cpu < nr_cpu_ids ? cpu : -1);
		nt[i] = sched_start(test, sched_napper_fn, nap[i], "mfg_sched_nap");
	}
	msleep(1000);
	for (i = 0; i < 2; i++) {
		WRITE_ONCE(nap[i]->quit, true);
		sched_stop(nt[i]);
	}
	atomic_set(&u->counting, 0);
	/* Each idle task returns when its CPU next goes idle. */
	for (i = 0; i < 500 && sched_idle_sum(u->returns) < sched_idle_sum(u->entries); i++)
		msleep(20);
	for_each_online_cpu(cpu) {
		KUNIT_EXPECT_GT_MSG(test, atomic_read(&u->entries[cpu]), 0, "cpu %d", cpu);
		KUNIT_EXPECT_EQ_MSG(test, atomic_read(&u->returns[cpu]),
				    atomic_read(&u->entries[cpu]), "cpu %d", cpu);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&u->not_idle), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&u->bad), 0);
	mfg_get_stats(&st);
	/* Only idle tasks call it: one stack each, each its own. */
	KUNIT_EXPECT_EQ(test, st.stacks_in_use, num_online_cpus());
	kunit_info(test, "%d entries and %d returns on the idle tasks, %u stacks\n",
		   sched_idle_sum(u->entries), sched_idle_sum(u->returns), st.stacks_in_use);

	/*
	 * Leave with frames outstanding: this CPU's idle task is inside
	 * schedule_idle() while this thread runs. The drain must wait for it
	 * (an idle task is on no task list: its frames are never handed
	 * back) and then free the idle tasks' stacks, which no exit frees.
	 */
	atomic_set(&u->counting, 1);
	msleep(200);
	sched_hogs_start(test, hogs);
	mfg_unregister(&u->ops);
	u->registered = false;
	sched_hogs_stop(hogs);
	sched_unregister(keeper);
	KUNIT_EXPECT_EQ(test, mfg_test_wait_stacks(0), 0U);
	KUNIT_EXPECT_EQ(test, sched_miss(MFG_MISS_MISMATCH), mismatch);
}

/* ------------------------------------------------------------ drain race */

/*
 * When the last user leaves, the drain waits for outstanding frames and,
 * release_sleepers_ms later, hands sleeping tasks' frames back to their
 * callers. Each round here registers A, lets sleepers enter A's traced
 * calls, unregisters A (the last user) and registers B from another
 * thread, before, during or after the drain's hand-back, while the
 * sleepers wake before, during or after it and B's function runs on every
 * CPU. A must never see a return after it left or from an earlier
 * registration, B must see every return, every call must get back to its
 * caller with its value, and in all the hand-back must have happened and
 * not happened.
 */
#define SCHED_SLEEPERS 3
#define SCHED_RACE_ROUNDS 16
#define SCHED_PARAM "/sys/module/mfgraph/parameters/release_sleepers_ms"

struct mfg_sched_race {
	wait_queue_head_t wq;
	int start_round;	/* sleepers: call for rounds up to this one */
	int wake_round;		/* sleepers: wake from rounds up to this one */
	int reg_round;		/* registrar: register B for rounds up to this one */
	int reg_done;
	unsigned int reg_delay_ms;
	int reg_ret;
	s64 reg_us;		/* how long B's mfg_register() took */
	bool pause;		/* workers: stop calling */
	bool quit;
	atomic_t asleep;
	atomic_t completed;
	atomic_t paused;
	struct mfg_sched_user *b;
};

/* A round's timing: B registers after reg ms, the sleepers wake after wake ms. */
static const struct {
	unsigned int reg, wake;
	bool reg_first;		/* ask for B before A's unregistration starts */
} sched_race_plan[] = {
	{ 0, 0, true }, { 0, 400, true }, { 300, 400 }, { 100, 400 },
	{ 110, 90 }, { 90, 110 }, { 120, 120 }, { 300, 0 },
};

static int sched_quick_fn(struct mfg_sched_rec *rec)
{
	return 7;
}

static int sched_doze_fn(struct mfg_sched_rec *rec)
{
	struct mfg_sched_race *race = rec->race;

	atomic_inc(&race->asleep);
	wake_up(&race->wq);
	wait_event_interruptible(race->wq, READ_ONCE(race->wake_round) >= rec->round);
	return rec->round;
}

static int sched_sleeper_outer(struct mfg_sched_rec *rec)
{
	if (mfg_sched_inner(sched_quick_fn, rec) != 9)
		rec->wrong++;
	return mfg_sched_inner(sched_doze_fn, rec);
}

static int sched_sleeper_fn(void *arg)
{
	struct mfg_sched_rec *rec = arg;
	struct mfg_sched_race *race = rec->race;
	int r;

	for (r = 0;; r++) {
		wait_event_interruptible(race->wq, READ_ONCE(race->start_round) >= r ||
					 READ_ONCE(race->quit));
		if (READ_ONCE(race->quit))
			break;
		rec->round = r;
		if (mfg_sched_call(sched_sleeper_outer, rec) != r + 3)
			rec->wrong++;
		atomic_inc(&race->completed);
		wake_up(&race->wq);
	}
	return 0;
}

static int sched_worker_fn(void *arg)
{
	struct mfg_sched_rec *rec = arg;
	struct mfg_sched_race *race = rec->race;
	int n = 0;

	while (!READ_ONCE(race->quit)) {
		if (READ_ONCE(race->pause)) {
			atomic_inc(&race->paused);
			wake_up(&race->wq);
			wait_event_interruptible(race->wq, !READ_ONCE(race->pause) ||
						 READ_ONCE(race->quit));
			atomic_dec(&race->paused);
			continue;
		}
		if (mfg_sched_busy(n, rec) != n * 3 + 1)
			rec->wrong++;
		n = (n + 1) & 0xffff;
		if (n % 8 == 0)
			usleep_range(100, 200);
	}
	return 0;
}

static int sched_registrar_fn(void *arg)
{
	struct mfg_sched_rec *rec = arg;
	struct mfg_sched_race *race = rec->race;
	ktime_t t0;
	int r;

	for (r = 0;; r++) {
		wait_event_interruptible(race->wq, READ_ONCE(race->reg_round) > r ||
					 READ_ONCE(race->quit));
		if (READ_ONCE(race->quit))
			break;
		if (race->reg_delay_ms)
			msleep(race->reg_delay_ms);
		/*
		 * B's registration rewrites its function's call site: not
		 * while the workers run through it (see sched_hogs).
		 */
		WRITE_ONCE(race->pause, true);
		wait_event_interruptible(race->wq, atomic_read(&race->paused) >= 2 ||
					 READ_ONCE(race->quit));
		race->b->tag = r;
		atomic_set(&race->b->live, 1);
		t0 = ktime_get();
		race->reg_ret = mfg_register(&race->b->ops);
		race->reg_us = ktime_us_delta(ktime_get(), t0);
		WRITE_ONCE(race->pause, false);
		wake_up(&race->wq);
		WRITE_ONCE(race->reg_done, r + 1);
		wake_up(&race->wq);
	}
	return 0;
}

/* Write @val to mfgraph's release_sleepers_ms; the old value goes to @old. */
static int sched_set_release_ms(const char *val, char *old, size_t len)
{
	struct file *f;
	loff_t pos = 0;
	ssize_t n = 0;

	if (old) {
		f = filp_open(SCHED_PARAM, O_RDONLY, 0);
		if (IS_ERR(f))
			return PTR_ERR(f);
		n = kernel_read(f, old, len - 1, &pos);
		filp_close(f, NULL);
		if (n <= 0)
			return n ? n : -EIO;
		old[n] = '\0';
	}
	f = filp_open(SCHED_PARAM, O_WRONLY, 0);
	if (IS_ERR(f))
		return PTR_ERR(f);
	pos = 0;
	n = kernel_write(f, val, strlen(val), &pos);
	filp_close(f, NULL);
	return n < 0 ? n : 0;
}

static char sched_old_release_ms[16];

static void sched_restore_release_ms(void *unused)
{
	sched_set_release_ms(sched_old_release_ms, NULL, 0);
}

static bool sched_race_wait(struct mfg_sched_race *race, bool (*cond)(struct mfg_sched_race *, int),
			    int arg)
{
	return wait_event_timeout(race->wq, cond(race, arg), 20 * HZ) > 0;
}

static bool sched_all_asleep(struct mfg_sched_race *race, int n)
{
	return atomic_read(&race->asleep) >= n;
}

static bool sched_all_back(struct mfg_sched_race *race, int n)
{
	return atomic_read(&race->completed) >= n &&
	       READ_ONCE(race->reg_done) >= n / SCHED_SLEEPERS;
}

static bool sched_all_paused(struct mfg_sched_race *race, int n)
{
	return atomic_read(&race->paused) >= n;
}

static void sched_register_races_drain(struct kunit *test)
{
	struct mfg_sched_user *a = sched_new_user(test, 0);
	struct mfg_sched_user *b = sched_new_user(test, MFG_OPS_FL_TIMESTAMPS);
	struct mfg_sched_race *race = kunit_kzalloc(test, sizeof(*race), GFP_KERNEL);
	struct mfg_sched_rec *recs[SCHED_SLEEPERS + 3];
	struct task_struct *tasks[SCHED_SLEEPERS + 3];
	unsigned long busy_ip;
	unsigned int before, r, i, cpu[2], released = 0, returned = 0, released_rounds = 0;
	int ret, wrong = 0, n = 0;

	KUNIT_ASSERT_NOT_NULL(test, race);
	before = sched_baseline(test);
	ret = sched_set_release_ms("1", sched_old_release_ms, sizeof(sched_old_release_ms));
	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "cannot set %s", SCHED_PARAM);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, sched_restore_release_ms, NULL), 0);
	init_waitqueue_head(&race->wq);
	race->start_round = -1;
	race->wake_round = -1;
	race->b = b;
	sched_trace(test, a, &a->ip_call, 1);
	KUNIT_ASSERT_EQ(test, mfg_set_filter_ips(&a->ops, &a->ip_inner, 1, false, false), 0);
	KUNIT_ASSERT_EQ(test, mfg_func_ip(NULL, (unsigned long)mfg_sched_busy, &busy_ip), 0);
	sched_trace(test, b, &busy_ip, 1);

	/* Sleepers anywhere, a worker on each CPU, the registrar anywhere. */
	if (num_online_cpus() < 2)
		kunit_skip(test, "one CPU online: nothing runs beside the drain");
	cpu[0] = cpumask_first(cpu_online_mask);
	cpu[1] = cpumask_next(cpu[0], cpu_online_mask);
	for (i = 0; i < ARRAY_SIZE(recs); i++) {
		bool worker = i >= SCHED_SLEEPERS && i < SCHED_SLEEPERS + 2;

		recs[i] = sched_new_rec(test, worker ? cpu[i - SCHED_SLEEPERS] : -1);
		recs[i]->race = race;
		if (i < SCHED_SLEEPERS)
			tasks[i] = sched_start(test, sched_sleeper_fn, recs[i], "mfg_sched_sleep");
		else if (worker)
			tasks[i] = sched_start(test, sched_worker_fn, recs[i], "mfg_sched_work");
		else
			tasks[i] = sched_start(test, sched_registrar_fn, recs[i], "mfg_sched_reg");
	}

	for (r = 0; r < SCHED_RACE_ROUNDS; r++) {
		unsigned int p = r % ARRAY_SIZE(sched_race_plan);
		unsigned long long stale;
		unsigned int got;

		a->tag = r;
		atomic_set(&a->live, 1);
		ret = mfg_register(&a->ops);
		if (ret) {
			atomic_set(&a->live, 0);
			KUNIT_FAIL(test, "round %u: registering A: %d", r, ret);
			break;
		}
		WRITE_ONCE(race->start_round, r);
		wake_up(&race->wq);
		if (!sched_race_wait(race, sched_all_asleep, SCHED_SLEEPERS * (r + 1))) {
			KUNIT_FAIL(test, "round %u: the sleepers did not enter A's calls", r);
			break;
		}
		stale = sched_miss(MFG_MISS_STALE);
		race->reg_delay_ms = sched_race_plan[p].reg;
		if (sched_race_plan[p].reg_first) {
			WRITE_ONCE(race->reg_round, r + 1);
			wake_up(&race->wq);
		}
		sched_unregister(a);
		if (!sched_race_plan[p].reg_first) {
			WRITE_ONCE(race->reg_round, r + 1);
			wake_up(&race->wq);
		}
		msleep(sched_race_plan[p].wake);
		WRITE_ONCE(race->wake_round, r);
		wake_up(&race->wq);
		if (!sched_race_wait(race, sched_all_back, SCHED_SLEEPERS * (r + 1))) {
			KUNIT_FAIL(test, "round %u: sleepers or B's registration never done", r);
			break;
		}
		KUNIT_EXPECT_EQ_MSG(test, race->reg_ret, 0, "round %u: B's registration", r);
		/* Each sleeper's two frames of A: returned (stale) or handed back. */
		got = sched_miss(MFG_MISS_STALE) - stale;
		KUNIT_EXPECT_LE_MSG(test, got, 2U * SCHED_SLEEPERS, "round %u", r);
		returned += got;
		released += 2 * SCHED_SLEEPERS - got;
		released_rounds += got < 2 * SCHED_SLEEPERS;
		/* A registration that waited out a hand-back took milliseconds. */
		kunit_info(test, "round %u: B after %u ms%s (took %lld us), wake after %u ms: %u frames handed back\n",
			   r, sched_race_plan[p].reg,
			   sched_race_plan[p].reg_first ? " (asked first)" : "",
			   race->reg_us, sched_race_plan[p].wake, 2 * SCHED_SLEEPERS - got);

		/* B's calls, quiescent: every entry has had its return. */
		WRITE_ONCE(race->pause, true);
		if (!sched_race_wait(race, sched_all_paused, 2)) {
			KUNIT_FAIL(test, "round %u: the workers did not pause", r);
			break;
		}
		KUNIT_EXPECT_EQ_MSG(test, atomic_read(&b->returns), atomic_read(&b->entries),
				    "round %u", r);
		sched_unregister(b);
		WRITE_ONCE(race->pause, false);
		wake_up(&race->wq);
	}
	WRITE_ONCE(race->quit, true);
	WRITE_ONCE(race->wake_round, INT_MAX);
	wake_up(&race->wq);
	for (i = 0; i < ARRAY_SIZE(recs); i++) {
		sched_stop(tasks[i]);
		wrong += recs[i]->wrong;
		if (i < SCHED_SLEEPERS)
			n += atomic_read(&recs[i]->returns);
	}
	if (atomic_read(&b->live))
		sched_unregister(b);

	kunit_info(test, "%u frames of A returned stale, %u handed back (in %u rounds); B: %d calls\n",
		   returned, released, released_rounds, atomic_read(&b->entries));
	/* Every call got back to its caller with its value. */
	KUNIT_EXPECT_EQ(test, wrong, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&race->completed), SCHED_SLEEPERS * (int)r);
	/* A: only the calls that returned while it was registered, only its own. */
	KUNIT_EXPECT_EQ(test, atomic_read(&a->after_unregister), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->bad), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->entries), 3 * SCHED_SLEEPERS * (int)r);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->returns), SCHED_SLEEPERS * (int)r);
	KUNIT_EXPECT_EQ(test, n, SCHED_SLEEPERS * (int)r);
	/* B: all of them, none of another registration's. */
	KUNIT_EXPECT_GT(test, atomic_read(&b->entries), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&b->returns), atomic_read(&b->entries));
	KUNIT_EXPECT_EQ(test, atomic_read(&b->bad), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&b->after_unregister), 0);
	/* Both ways happened: handed back, and returned through the trampoline. */
	KUNIT_EXPECT_GT(test, released, 0U);
	KUNIT_EXPECT_GT(test, returned, 0U);
	/* The drain ends: nothing holds a stack (rmmod mfgraph follows in the runner). */
	KUNIT_EXPECT_EQ(test, mfg_test_wait_stacks(before), before);
}

static struct kunit_case sched_cases[] = {
	KUNIT_CASE_SLOW(sched_migrating_returns),
	KUNIT_CASE(sched_pid_reuse),
	KUNIT_CASE_SLOW(sched_idle_tasks),
	KUNIT_CASE_SLOW(sched_register_races_drain),
	{}
};

static struct kunit_suite sched_suite = {
	.name = "mfgraph_sched",
	.test_cases = sched_cases,
};

kunit_test_suite(sched_suite);

MODULE_DESCRIPTION("mfgraph: KUnit suite for migration, pid reuse, idle tasks and the drain");
MODULE_LICENSE("GPL");
