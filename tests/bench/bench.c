// SPDX-License-Identifier: GPL-2.0
/*
 * mfg_bench: what a traced call costs, mfgraph beside the kernel's own
 * return-hooking mechanisms, all in one boot.
 *
 * Each row times @calls calls of one traceable no-op function with
 * interrupts off, @rounds times, and keeps the median. Under QEMU with
 * -icount shift=0 one nanosecond of guest time is one retired guest
 * instruction, so the figures are instruction path lengths, identical from
 * run to run. Rows are printed net of the untraced call and as a ratio to
 * the matching kernel row.
 *
 * The kernel's fgraph rows need register_ftrace_graph(), which 6.12 does not
 * export: it is looked up at run time through kallsyms_lookup_name(), whose
 * address a kprobe reveals. That trick is confined to this benchmark.
 *
 * The memory rows create @sleepers kthreads that sleep without ever
 * entering traced code, then measure free memory and slab around
 * registering one user, in mfgraph and in the kernel's fgraph.
 *
 * Fairness: the kernel's fgraph reads the clock at entry and at return of
 * every call, so the "vs kernel" ratios are those of mfgraph users with
 * MFG_OPS_FL_TIMESTAMPS; the rows without are what a user who opts out
 * gets. The switching rows make two tasks take turns on one CPU between
 * calls, so that each call pays the lookup of its task's stack instead of
 * the per-CPU cache's hit. Every callback counts its calls: a row that
 * could not register, or whose callbacks did not run for every call,
 * fails the benchmark instead of printing a figure.
 */
#include <linux/delay.h>
#include <linux/fprobe.h>
#include <linux/ftrace.h>
#include <linux/irqflags.h>
#include <linux/kprobes.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/timekeeping.h>
#include <linux/vmstat.h>
#include <linux/wait.h>

#include <mfgraph.h>
#include <mfg_kretprobe.h>

static unsigned int calls = 20000;
module_param(calls, uint, 0444);
MODULE_PARM_DESC(calls, "calls per measurement");

static unsigned int rounds = 5;
module_param(rounds, uint, 0444);
MODULE_PARM_DESC(rounds, "measurements per row; the median is kept");

static unsigned int sleepers = 1000;
module_param(sleepers, uint, 0444);
MODULE_PARM_DESC(sleepers, "sleeping tasks for the memory rows (0: skip them)");

#define MFG_BENCH_USERS 16

/* Calls and returns each user's callbacks saw (index: user, or 0). */
static unsigned long mfg_bench_entries[MFG_BENCH_USERS];
static unsigned long mfg_bench_returns[MFG_BENCH_USERS];
static bool mfg_bench_failed;

static void mfg_bench_count_reset(void)
{
	memset(mfg_bench_entries, 0, sizeof(mfg_bench_entries));
	memset(mfg_bench_returns, 0, sizeof(mfg_bench_returns));
}

/* A row's callbacks must have seen every call it made: else no figure. */
static bool mfg_bench_check(const char *label, unsigned int users, unsigned long calls_made,
			    bool returns)
{
	unsigned int i;

	for (i = 0; i < users; i++) {
		if (mfg_bench_entries[i] == calls_made &&
		    mfg_bench_returns[i] == (returns ? calls_made : 0))
			continue;
		pr_err("mfg_bench: %s: user %u saw %lu entries and %lu returns of %lu calls\n",
		       label, i, mfg_bench_entries[i], mfg_bench_returns[i], calls_made);
		mfg_bench_failed = true;
		return false;
	}
	return true;
}

static void mfg_bench_fail(const char *label, const char *why, int err)
{
	pr_err("mfg_bench: %s: %s (%d)\n", label, why, err);
	mfg_bench_failed = true;
}

noinline int mfg_bench_target(int x);
noinline int mfg_bench_target(int x)
{
	barrier_data(&x);
	return x;
}

noinline int mfg_bench_other(int x);
noinline int mfg_bench_other(int x)
{
	barrier_data(&x);
	return x + 1;
}

/* ------------------------------------------------------------ timing */

static u64 notrace mfg_bench_once(void)
{
	unsigned long flags;
	unsigned int i;
	u64 t0, t1;

	local_irq_save(flags);
	t0 = ktime_get_mono_fast_ns();
	for (i = 0; i < calls; i++)
		mfg_bench_target(i);
	t1 = ktime_get_mono_fast_ns();
	local_irq_restore(flags);
	return t1 - t0;
}

static int mfg_bench_cmp(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/*
 * Profile mode (profile=1, tests/bench/profile.py): each row makes one call
 * between two calls of the mark, and a debugger attached to QEMU's gdbstub
 * single-steps from one mark to the next. The module waits for the
 * debugger to set mfg_bench_go first.
 */
static bool profile;
module_param(profile, bool, 0444);
MODULE_PARM_DESC(profile, "one call per row between marks, for tests/bench/profile.py");

static int mfg_bench_go;

noinline void notrace mfg_bench_mark(const char *label);
noinline void notrace mfg_bench_mark(const char *label)
{
	barrier_data((void *)label);
}

static void notrace mfg_bench_profile_call(const char *label)
{
	unsigned long flags;

	local_irq_save(flags);
	mfg_bench_mark(label);
	mfg_bench_target(1);
	mfg_bench_mark(NULL);
	local_irq_restore(flags);
}

/* Wait up to ~60 s of guest time for the debugger. */
static bool mfg_bench_wait_debugger(void)
{
	u64 until = ktime_get_mono_fast_ns() + 60ULL * NSEC_PER_SEC;

	/* Raw addresses on purpose: the debugger needs them. */
	pr_info("mfg_bench: profile: waiting for the debugger: go=%lx mark=%lx target=%lx\n",
		(unsigned long)&mfg_bench_go, (unsigned long)mfg_bench_mark,
		(unsigned long)mfg_bench_target);
	while (!READ_ONCE(mfg_bench_go)) {
		if (ktime_get_mono_fast_ns() > until)
			return false;
		cpu_relax();
	}
	return true;
}

/* How many calls of the target one mfg_bench_row() makes. */
static unsigned long mfg_bench_row_calls(void)
{
	return profile ? 2 : 1 + (unsigned long)clamp(rounds, 1U, 16U) * calls;
}

/* Median over the rounds, in hundredths of a ns per call. */
static u64 notrace mfg_bench_row(const char *label)
{
	u64 t[16];
	unsigned int i, n = clamp(rounds, 1U, 16U);

	mfg_bench_count_reset();
	mfg_bench_target(0);	/* the first traced call may set things up */
	if (profile) {
		mfg_bench_profile_call(label);
		return 1;
	}
	for (i = 0; i < n; i++)
		t[i] = mfg_bench_once();
	sort(t, n, sizeof(t[0]), mfg_bench_cmp, NULL);
	return div_u64(t[n / 2] * 100, calls);
}

static u64 mfg_bench_base;

/* "row | ns/call | net of @base | ratio to @kernel_row (0: none)"; 0: failed */
static void mfg_bench_print_from(const char *row, u64 v, u64 kernel_row, u64 base)
{
	s64 net = (s64)v - (s64)base;
	s64 knet = (s64)kernel_row - (s64)base;

	if (!v) {
		pr_err("mfg_bench: %s: no figure (the row failed)\n", row);
		mfg_bench_failed = true;
		return;
	}
	if (kernel_row && knet > 0)
		pr_info("mfg_bench: | %-40s | %8llu.%02llu | %8lld.%02lld | %5lld.%02lld |\n", row,
			v / 100, v % 100, net / 100, abs(net) % 100,
			div64_s64(net * 100, knet) / 100, abs(div64_s64(net * 100, knet)) % 100);
	else
		pr_info("mfg_bench: | %-40s | %8llu.%02llu | %8lld.%02lld |       |\n", row,
			v / 100, v % 100, net / 100, abs(net) % 100);
}

static void mfg_bench_print(const char *row, u64 v, u64 kernel_row)
{
	mfg_bench_print_from(row, v, kernel_row, mfg_bench_base);
}

/* ------------------------------------------------------------ switching tasks */

/*
 * Two kthreads on one CPU take turns: each call of the target follows a
 * switch to the other task, so a traced call cannot find its task's stack
 * in the per-CPU cache and pays the lookup.
 */
struct mfg_bench_pp {
	struct completion go[2];
	struct completion done;
	unsigned int per_task;
	atomic_t finished;
};

struct mfg_bench_pp_task {
	struct mfg_bench_pp *pp;
	int me;
};

static int mfg_bench_pp_fn(void *arg)
{
	struct mfg_bench_pp_task *t = arg;
	struct mfg_bench_pp *pp = t->pp;
	unsigned int i;

	for (i = 0; i < pp->per_task; i++) {
		wait_for_completion(&pp->go[t->me]);
		mfg_bench_target(i);
		complete(&pp->go[!t->me]);
	}
	if (atomic_inc_return(&pp->finished) == 2)
		complete(&pp->done);
	return 0;
}

/* One round: the time per call, in hundredths of a ns; 0 on failure. */
static u64 mfg_bench_switching_once(struct mfg_bench_pp *pp)
{
	struct mfg_bench_pp_task tasks[2];
	struct task_struct *t[2];
	int cpu = raw_smp_processor_id(), i;
	u64 t0, t1;

	init_completion(&pp->go[0]);
	init_completion(&pp->go[1]);
	init_completion(&pp->done);
	atomic_set(&pp->finished, 0);
	for (i = 0; i < 2; i++) {
		tasks[i] = (struct mfg_bench_pp_task){ .pp = pp, .me = i };
		t[i] = kthread_create(mfg_bench_pp_fn, &tasks[i], "mfg_bench_pp/%d", i);
		if (IS_ERR(t[i])) {
			/* The other one, if any, waits for a turn that never comes. */
			if (i) {
				pp->per_task = 0;
				wake_up_process(t[0]);
				wait_for_completion(&pp->done);
			}
			return 0;
		}
		kthread_bind(t[i], cpu);
	}
	for (i = 0; i < 2; i++)
		wake_up_process(t[i]);
	t0 = ktime_get_mono_fast_ns();
	complete(&pp->go[0]);
	wait_for_completion(&pp->done);
	t1 = ktime_get_mono_fast_ns();
	return div_u64((t1 - t0) * 100, 2 * pp->per_task);
}

/* Median over the rounds; checks that the callbacks saw every call if @traced. */
static u64 mfg_bench_switching(const char *label, bool traced)
{
	struct mfg_bench_pp pp = { .per_task = max(calls / 8, 1U) };
	unsigned int i, n = profile ? 1 : clamp(rounds, 1U, 16U);
	u64 t[16];

	mfg_bench_count_reset();
	for (i = 0; i < n; i++) {
		t[i] = mfg_bench_switching_once(&pp);
		if (!t[i]) {
			mfg_bench_fail(label, "cannot start the switching tasks", -ENOMEM);
			return 0;
		}
	}
	if (traced && !mfg_bench_check(label, 1, 2UL * pp.per_task * n, true))
		return 0;
	sort(t, n, sizeof(t[0]), mfg_bench_cmp, NULL);
	return t[n / 2];
}

/* ------------------------------------------------------------ mfgraph rows */

static struct mfg_ops mfg_bench_ops[MFG_BENCH_USERS];

static int mfg_bench_entry(const struct mfg_entry *trace, struct mfg_ops *ops,
			   struct ftrace_regs *fregs)
{
	mfg_bench_entries[ops - mfg_bench_ops]++;
	return 1;
}

static int mfg_bench_entry_reserve(const struct mfg_entry *trace, struct mfg_ops *ops,
				   struct ftrace_regs *fregs)
{
	mfg_bench_entries[ops - mfg_bench_ops]++;
	return !!mfg_reserve_data(4 * sizeof(long));
}

static void mfg_bench_return(const struct mfg_return *trace, struct mfg_ops *ops,
			     struct ftrace_regs *fregs)
{
	mfg_bench_returns[ops - mfg_bench_ops]++;
}

static u64 mfg_bench_switching(const char *label, bool traced);

/*
 * @n users; @wanting of them trace the target, the others another function.
 * @flags: their MFG_OPS_FL_*; @switching: time two tasks taking turns.
 */
static u64 mfg_bench_users(const char *label, unsigned int n, unsigned int wanting,
			   mfg_entry_fn entry, mfg_return_fn ret, unsigned long flags,
			   bool switching)
{
	unsigned long target = (unsigned long)mfg_bench_target;
	unsigned long other = (unsigned long)mfg_bench_other;
	unsigned int i, done = 0;
	int err = 0;
	u64 v = 0;

	for (i = 0; i < n; i++) {
		struct mfg_ops *ops = &mfg_bench_ops[i];

		memset(ops, 0, sizeof(*ops));
		ops->entryfunc = entry;
		ops->retfunc = ret;
		ops->flags = flags;
		err = mfg_set_filter_ips(ops, i < wanting ? &target : &other, 1, false, true);
		if (!err)
			err = mfg_register(ops);
		if (err) {
			mfg_bench_fail(label, "cannot register", err);
			goto out;
		}
		done++;
	}
	v = switching ? mfg_bench_switching(label, true) : mfg_bench_row(label);
	if (!switching && !mfg_bench_check(label, wanting, mfg_bench_row_calls(), ret))
		v = 0;
out:
	for (i = 0; i < n; i++) {
		if (i < done)
			mfg_unregister(&mfg_bench_ops[i]);
		mfg_free_filter(&mfg_bench_ops[i]);
	}
	return v;
}

static void mfg_bench_users_row(const char *label, unsigned int n, unsigned int wanting,
				mfg_entry_fn entry, mfg_return_fn ret, unsigned long flags,
				u64 kernel_row)
{
	mfg_bench_print(label, mfg_bench_users(label, n, wanting, entry, ret, flags, false),
			kernel_row);
}

/* ------------------------------------------------------------ kernel rows */

static int mfg_bench_krp_entry(struct mfg_kretprobe_instance *ri, struct pt_regs *regs)
{
	mfg_bench_entries[0]++;
	return 0;
}

static int mfg_bench_krp_return(struct mfg_kretprobe_instance *ri, struct pt_regs *regs)
{
	mfg_bench_returns[0]++;
	return 0;
}

static int mfg_bench_kernel_krp_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	mfg_bench_entries[0]++;
	return 0;
}

static int mfg_bench_kernel_krp_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	mfg_bench_returns[0]++;
	return 0;
}

static u64 mfg_bench_mfg_kretprobe(const char *label)
{
	struct mfg_kretprobe rp = {
		.addr = mfg_bench_target, .handler = mfg_bench_krp_return,
		.entry_handler = mfg_bench_krp_entry,
	};
	int err = mfg_register_kretprobe(&rp);
	u64 v;

	if (err) {
		mfg_bench_fail(label, "cannot register", err);
		return 0;
	}
	v = mfg_bench_row(label);
	mfg_unregister_kretprobe(&rp);
	return mfg_bench_check(label, 1, mfg_bench_row_calls(), true) ? v : 0;
}

static u64 mfg_bench_kernel_kretprobe(const char *label)
{
	struct kretprobe rp = {
		.kp.addr = (kprobe_opcode_t *)mfg_bench_target,
		.handler = mfg_bench_kernel_krp_return,
		.entry_handler = mfg_bench_kernel_krp_entry,
	};
	int err = register_kretprobe(&rp);
	u64 v;

	if (err) {
		mfg_bench_fail(label, "cannot register", err);
		return 0;
	}
	v = mfg_bench_row(label);
	unregister_kretprobe(&rp);
	/* One task, interrupts off: the kernel's instances never run out here. */
	return mfg_bench_check(label, 1, mfg_bench_row_calls(), true) ? v : 0;
}

#ifdef CONFIG_FPROBE
static int mfg_bench_fprobe_entry(struct fprobe *fp, unsigned long entry_ip,
				  unsigned long ret_ip, struct pt_regs *regs, void *data)
{
	mfg_bench_entries[0]++;
	return 0;
}

static void mfg_bench_fprobe_exit(struct fprobe *fp, unsigned long entry_ip,
				  unsigned long ret_ip, struct pt_regs *regs, void *data)
{
	mfg_bench_returns[0]++;
}

static u64 mfg_bench_fprobe(const char *label)
{
	unsigned long ip = (unsigned long)mfg_bench_target;
	struct fprobe *fp = kzalloc(sizeof(*fp), GFP_KERNEL);
	u64 v = 0;
	int err;

	if (!fp)
		return 0;
	fp->entry_handler = mfg_bench_fprobe_entry;
	fp->exit_handler = mfg_bench_fprobe_exit;
	err = register_fprobe_ips(fp, &ip, 1);
	if (!err) {
		v = mfg_bench_row(label);
		unregister_fprobe(fp);
		if (!mfg_bench_check(label, 1, mfg_bench_row_calls(), true))
			v = 0;
	} else {
		mfg_bench_fail(label, "cannot register", err);
	}
	kfree(fp);
	return v;
}
#else
static u64 mfg_bench_fprobe(const char *label)
{
	return 0;
}
#endif

static void notrace mfg_bench_ftrace_func(unsigned long ip, unsigned long parent_ip,
					  struct ftrace_ops *op, struct ftrace_regs *fregs)
{
	mfg_bench_entries[0]++;
}

static u64 mfg_bench_ftrace_ops(const char *label)
{
	struct ftrace_ops *ops = kzalloc(sizeof(*ops), GFP_KERNEL);
	unsigned long ip = (unsigned long)mfg_bench_target;
	u64 v = 0;
	int err;

	if (!ops)
		return 0;
	ops->func = mfg_bench_ftrace_func;
	/* The bare floor: an empty callback needs no recursion guard. */
	ops->flags = 0;
	err = ftrace_set_filter_ips(ops, &ip, 1, 0, 1);
	if (!err)
		err = register_ftrace_function(ops);
	if (!err) {
		v = mfg_bench_row(label);
		unregister_ftrace_function(ops);
		if (!mfg_bench_check(label, 1, mfg_bench_row_calls(), false))
			v = 0;
	} else {
		mfg_bench_fail(label, "cannot register", err);
	}
	ftrace_free_filter(ops);
	kfree(ops);
	return v;
}

/* register_ftrace_graph() and friends, found at run time (see the top). */
static int (*mfg_bench_register_graph)(struct fgraph_ops *gops);
static void (*mfg_bench_unregister_graph)(struct fgraph_ops *gops);

static unsigned long mfg_bench_lookup(const char *name)
{
	struct kprobe kp = { .symbol_name = "kallsyms_lookup_name" };
	unsigned long (*lookup)(const char *name);
	unsigned long addr;

	if (register_kprobe(&kp))
		return 0;
	addr = (unsigned long)kp.addr;
	unregister_kprobe(&kp);
	/* kprobes step over an ENDBR; a call must land on it (IBT). */
	if (IS_ENABLED(CONFIG_X86_KERNEL_IBT) && *(u32 *)(addr - 4) == 0xfa1e0ff3)
		addr -= 4;
	lookup = (void *)addr;
	return lookup(name);
}

static struct fgraph_ops mfg_bench_gops[MFG_BENCH_USERS];

static int mfg_bench_graph_entry(struct ftrace_graph_ent *trace, struct fgraph_ops *gops)
{
	mfg_bench_entries[gops - mfg_bench_gops]++;
	return 1;
}

static void mfg_bench_graph_return(struct ftrace_graph_ret *trace, struct fgraph_ops *gops)
{
	mfg_bench_returns[gops - mfg_bench_gops]++;
}

static u64 mfg_bench_fgraph(const char *label, unsigned int n, bool switching)
{
	unsigned long ip = (unsigned long)mfg_bench_target;
	unsigned int i, done = 0;
	int err;
	u64 v = 0;

	if (!mfg_bench_register_graph)
		return 0;
	for (i = 0; i < n; i++) {
		struct fgraph_ops *g = &mfg_bench_gops[i];

		memset(g, 0, sizeof(*g));
		g->entryfunc = mfg_bench_graph_entry;
		g->retfunc = mfg_bench_graph_return;
		err = ftrace_set_filter_ips(&g->ops, &ip, 1, 0, 1);
		if (!err)
			err = mfg_bench_register_graph(g);
		if (err) {
			mfg_bench_fail(label, "cannot register", err);
			goto out;
		}
		done++;
	}
	v = switching ? mfg_bench_switching(label, true) : mfg_bench_row(label);
	if (!switching && !mfg_bench_check(label, n, mfg_bench_row_calls(), true))
		v = 0;
out:
	for (i = 0; i < n; i++) {
		if (i < done)
			mfg_bench_unregister_graph(&mfg_bench_gops[i]);
		ftrace_free_filter(&mfg_bench_gops[i].ops);
	}
	return v;
}

/* ------------------------------------------------------------ memory */

static DECLARE_WAIT_QUEUE_HEAD(mfg_bench_wq);
static bool mfg_bench_wake;

static int mfg_bench_sleeper(void *arg)
{
	wait_event_interruptible(mfg_bench_wq, READ_ONCE(mfg_bench_wake) || kthread_should_stop());
	while (!kthread_should_stop())
		msleep_interruptible(1000);
	return 0;
}

struct mfg_bench_mem {
	long free_kb;
	long slab_kb;
};

static void mfg_bench_mem_now(struct mfg_bench_mem *m)
{
	/* Let deferred frees (RCU, work) settle first. */
	synchronize_rcu();
	msleep(200);
	m->free_kb = global_zone_page_state(NR_FREE_PAGES) << (PAGE_SHIFT - 10);
	m->slab_kb = (global_node_page_state_pages(NR_SLAB_UNRECLAIMABLE_B) +
		      global_node_page_state_pages(NR_SLAB_RECLAIMABLE_B)) << (PAGE_SHIFT - 10);
}

static void mfg_bench_mem_print(const char *what, const struct mfg_bench_mem *from,
				const struct mfg_bench_mem *to)
{
	pr_info("mfg_bench: | %-40s | %8ld KiB | slab %+6ld KiB |\n", what,
		from->free_kb - to->free_kb, to->slab_kb - from->slab_kb);
}

static void mfg_bench_memory(void)
{
	struct task_struct **tasks;
	struct mfg_bench_mem before, registered, unregistered;
	struct mfg_stats held[3];
	unsigned long ip = (unsigned long)mfg_bench_target;
	/* One of mfg_bench_ops[]: the callbacks count by their index there. */
	struct mfg_ops *ops = &mfg_bench_ops[0];
	unsigned int i, n = 0;

	tasks = kvcalloc(sleepers, sizeof(*tasks), GFP_KERNEL);
	if (!tasks)
		return;
	for (i = 0; i < sleepers; i++) {
		tasks[i] = kthread_run(mfg_bench_sleeper, NULL, "mfg_sleep/%u", i);
		if (IS_ERR(tasks[i]))
			break;
		n++;
	}
	pr_info("mfg_bench: memory with %u sleeping tasks (free memory used, slab grown)\n", n);

	memset(ops, 0, sizeof(*ops));
	ops->entryfunc = mfg_bench_entry;
	ops->retfunc = mfg_bench_return;
	mfg_bench_mem_now(&before);
	mfg_get_stats(&held[0]);
	if (!mfg_set_filter_ips(ops, &ip, 1, false, true) && !mfg_register(ops)) {
		mfg_bench_target(1);
		mfg_bench_mem_now(&registered);
		mfg_get_stats(&held[1]);
		mfg_unregister(ops);
		mfg_bench_mem_now(&unregistered);
		mfg_get_stats(&held[2]);
		mfg_bench_mem_print("mfgraph: register one user", &before, &registered);
		mfg_bench_mem_print("mfgraph: after unregistering it", &before, &unregistered);
		/* mfgraph's own count is exact; the page counts above are not. */
		pr_info("mfg_bench: | %-40s | %8llu B   | %u stacks |\n",
			"mfgraph: bytes held, one user",
			held[1].bytes_held - held[0].bytes_held, held[1].stacks_in_use);
		pr_info("mfg_bench: | %-40s | %8llu B   | %u stacks |\n",
			"mfgraph: bytes held after unregistering", held[2].bytes_held,
			held[2].stacks_in_use);
	}
	mfg_free_filter(ops);

	if (mfg_bench_register_graph) {
		struct fgraph_ops *g = &mfg_bench_gops[0];

		memset(g, 0, sizeof(*g));
		g->entryfunc = mfg_bench_graph_entry;
		g->retfunc = mfg_bench_graph_return;
		mfg_bench_mem_now(&before);
		if (!ftrace_set_filter_ips(&g->ops, &ip, 1, 0, 1) &&
		    !mfg_bench_register_graph(g)) {
			mfg_bench_target(1);
			mfg_bench_mem_now(&registered);
			mfg_bench_unregister_graph(g);
			mfg_bench_mem_now(&unregistered);
			mfg_bench_mem_print("kernel fgraph: register one user", &before,
					    &registered);
			mfg_bench_mem_print("kernel fgraph: after unregistering it", &before,
					    &unregistered);
		}
		ftrace_free_filter(&g->ops);
	}

	WRITE_ONCE(mfg_bench_wake, true);
	wake_up_all(&mfg_bench_wq);
	for (i = 0; i < n; i++)
		kthread_stop(tasks[i]);
	kvfree(tasks);
}

/* ------------------------------------------------------------ the table */

static int __init mfg_bench_init(void)
{
	mfg_entry_fn e = mfg_bench_entry;
	mfg_return_fn r = mfg_bench_return;
	const unsigned long ts = MFG_OPS_FL_TIMESTAMPS;
	const char *label;
	u64 k1, k2, k4, k16, krp, sw_base, ksw;

	if (!calls)
		return -EINVAL;
	if (profile && !mfg_bench_wait_debugger()) {
		pr_err("mfg_bench: profile: no debugger came\n");
		return -ETIMEDOUT;
	}
	mfg_bench_register_graph = (void *)mfg_bench_lookup("register_ftrace_graph");
	mfg_bench_unregister_graph = (void *)mfg_bench_lookup("unregister_ftrace_graph");
	if (!mfg_bench_register_graph || !mfg_bench_unregister_graph) {
		pr_warn("mfg_bench: register_ftrace_graph not found; no fgraph rows\n");
		mfg_bench_register_graph = NULL;
	}

	mfg_bench_base = mfg_bench_row("untraced");
	k1 = mfg_bench_fgraph("kernel fgraph, 1 user", 1, false);
	k2 = mfg_bench_fgraph("kernel fgraph, 2 users", 2, false);
	k4 = mfg_bench_fgraph("kernel fgraph, 4 users", 4, false);
	k16 = mfg_bench_fgraph("kernel fgraph, 16 users", 16, false);
	krp = mfg_bench_kernel_kretprobe("kernel kretprobe, empty handlers");
	sw_base = mfg_bench_switching("2 tasks switching, untraced", false);
	ksw = mfg_bench_fgraph("kernel fgraph, 1 user, 2 tasks switching", 1, true);

	pr_info("mfg_bench: | %-40s | %11s | %11s | %5s |\n", "row", "ns/call", "net", "ratio");
	mfg_bench_print("untraced", mfg_bench_base, 0);
	/*
	 * The kernel's fgraph reads the clock at entry and return: the ratios
	 * are those of users that want the times too.
	 */
	mfg_bench_users_row("mfgraph, 1 user, timestamps", 1, 1, e, r, ts, k1);
	mfg_bench_users_row("mfgraph, 2 users, timestamps", 2, 2, e, r, ts, k2);
	mfg_bench_users_row("mfgraph, 4 users, timestamps", 4, 4, e, r, ts, k4);
	mfg_bench_users_row("mfgraph, 16 users, timestamps", 16, 16, e, r, ts, k16);
	mfg_bench_users_row("mfgraph, 16 users, 1 wanting, timestamps", 16, 1, e, r, ts, k1);
	mfg_bench_users_row("mfgraph, 1 user reserving 4 words, ts", 1, 1,
			    mfg_bench_entry_reserve, r, ts, k1);
	/* What a user that opts out of the times gets: no kernel counterpart. */
	mfg_bench_users_row("mfgraph, 1 user", 1, 1, e, r, 0, 0);
	mfg_bench_users_row("mfgraph, 2 users", 2, 2, e, r, 0, 0);
	mfg_bench_users_row("mfgraph, 4 users", 4, 4, e, r, 0, 0);
	mfg_bench_users_row("mfgraph, 16 users", 16, 16, e, r, 0, 0);
	mfg_bench_users_row("mfgraph, 16 users, 1 wanting", 16, 1, e, r, 0, 0);
	mfg_bench_users_row("mfgraph, entry-only user", 1, 1, e, NULL, 0, 0);
	mfg_bench_users_row("mfgraph, 1 user reserving 4 words", 1, 1, mfg_bench_entry_reserve, r,
			    0, 0);
	/* Each call after a switch: the task's stack is looked up, not cached. */
	mfg_bench_print_from("2 tasks switching, untraced", sw_base, 0, sw_base);
	label = "mfgraph, 1 user, ts, 2 tasks switching";
	mfg_bench_print_from(label, mfg_bench_users(label, 1, 1, e, r, ts, true), ksw, sw_base);
	label = "mfgraph, 1 user, 2 tasks switching";
	mfg_bench_print_from(label, mfg_bench_users(label, 1, 1, e, r, 0, true), 0, sw_base);
	if (mfg_bench_register_graph)
		mfg_bench_print_from("kernel fgraph, 1 user, 2 tasks switching", ksw, 0, sw_base);
	label = "mfg_kretprobe, empty handlers";
	mfg_bench_print(label, mfg_bench_mfg_kretprobe(label), krp);
	mfg_bench_print("kernel kretprobe, empty handlers", krp, 0);
	label = "kernel fprobe, entry+exit";
	if (IS_ENABLED(CONFIG_FPROBE))
		mfg_bench_print(label, mfg_bench_fprobe(label), 0);
	label = "kernel ftrace_ops, empty callback";
	mfg_bench_print(label, mfg_bench_ftrace_ops(label), 0);
	if (mfg_bench_register_graph) {
		mfg_bench_print("kernel fgraph, 1 user", k1, 0);
		mfg_bench_print("kernel fgraph, 2 users", k2, 0);
		mfg_bench_print("kernel fgraph, 4 users", k4, 0);
		mfg_bench_print("kernel fgraph, 16 users", k16, 0);
	}
	if (profile)
		mfg_bench_mark("");	/* the debugger's cue to detach */
	else if (sleepers)
		mfg_bench_memory();
	if (mfg_bench_failed) {
		pr_err("mfg_bench: FAILED: a row could not register or missed calls (above)\n");
		return -EIO;
	}
	pr_info("mfg_bench: done\n");
	return 0;
}

static void __exit mfg_bench_exit(void)
{
}

module_init(mfg_bench_init);
module_exit(mfg_bench_exit);

MODULE_DESCRIPTION("mfgraph: benchmark against the kernel's return hooks");
MODULE_LICENSE("GPL");
