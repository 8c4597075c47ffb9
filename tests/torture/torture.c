// SPDX-License-Identifier: GPL-2.0
/*
 * mfg_torture: users that register, unregister and change filters on every
 * vCPU while the guest runs a real workload (tests/torture/torture.sh).
 * Public API only (mfgraph.h, mfg_kretprobe.h).
 *
 *   insmod mfg_torture.ko workload=fork duration=5
 *   ... the workload runs ...
 *   echo stop > /sys/kernel/debug/mfg_torture/stop
 *   cat /sys/kernel/debug/mfg_torture/result
 *
 * Loading registers the workload's steady users (they stay registered the
 * whole run) and starts one churn kthread per online CPU. Writing "stop"
 * stops the churn, waits until every steady user has seen as many returns as
 * entries (the script stops the workload first), unregisters everything and
 * leaves in "result" one line: "MFG-TORTURE: <workload>: <counts>: ok" or "...: FAIL
 * (<why>)". Each user keeps two words of per-call data that its return must
 * find intact, so a stale or foreign return shows as "bad", a callback after
 * unregistration as "dead".
 */
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include <mfg_kretprobe.h>

#include "torture.h"

static char *workload = "fork";
module_param(workload, charp, 0444);
MODULE_PARM_DESC(workload, "fork, exec, module, hotplug, star, starplain, selftrace, krp or ftrace");

static unsigned int duration = 600;
module_param(duration, uint, 0444);
MODULE_PARM_DESC(duration, "seconds of churn at most (writing stop stops it earlier)");

#define MFG_TT_CHURN_USERS 3
#define MFG_TT_CHURN_KRPS 2
#define MFG_TT_MAX_GLOBS 8
#define MFG_TT_BALANCE_MS 10000

/* The workload needs a user tracing "*" with traceable callbacks. */
#define MFG_TT_STAR	BIT(0)
/* The workload needs kretprobes: steady ones and churned ones. */
#define MFG_TT_KRP	BIT(1)
/* The "*" user's callbacks are the untraced ones (tells defects apart). */
#define MFG_TT_PLAIN	BIT(3)
/* Instead of "*", the second user traces its own callbacks by name. */
#define MFG_TT_SELF	BIT(4)
/* Filters may name functions that come and go (see mfg_tt_error()). */
#define MFG_TT_ENOENT	BIT(2)

struct mfg_tt_workload {
	const char *name;
	const char *steady[MFG_TT_MAX_GLOBS];
	const char *pool[MFG_TT_MAX_GLOBS];
	const char *krp[MFG_TT_MAX_GLOBS];
	unsigned int flags;
};

/* Every workload's filters name functions its load calls, in both arches. */
static const struct mfg_tt_workload mfg_tt_workloads[] = {
	{ "fork", { "copy_process", "wake_up_new_task", "release_task" },
	  { "copy_process", "kernel_clone", "wake_up_new_task", "release_task", "do_exit",
	    "mm_release", "kernel_wait4", "do_wait" } },
	{ "exec", { "bprm_execve", "begin_new_exec", "exec_mm_release" },
	  { "do_execveat_common", "bprm_execve", "begin_new_exec", "exec_mm_release",
	    "exchange_tids", "copy_process", "do_exit", "vfs_read" } },
	{ "module", { "do_init_module" },
	  { "mfg_torture_target_*", "mfg_torture_target_leaf", "mfg_torture_target_outer",
	    "do_init_module", "load_module" }, {}, MFG_TT_ENOENT },
	{ "hotplug", { "cpuhp_invoke_callback", "vfs_read", "do_sys_openat2" },
	  { "cpuhp_invoke_callback", "vfs_read", "do_sys_openat2", "hrtimer_nanosleep",
	    "do_nanosleep", "copy_process", "schedule_timeout" } },
	{ "star", { "vfs_read", "do_sys_openat2" },
	  { "vfs_read", "copy_process", "do_sys_openat2" }, {}, MFG_TT_STAR },
	{ "starplain", { "vfs_read", "do_sys_openat2" },
	  { "vfs_read", "copy_process", "do_sys_openat2" }, {}, MFG_TT_STAR | MFG_TT_PLAIN },
	{ "selftrace", { "vfs_read", "do_sys_openat2" },
	  { "vfs_read", "copy_process", "do_sys_openat2" }, {}, MFG_TT_STAR | MFG_TT_SELF },
	{ "krp", { "hrtimer_nanosleep" },
	  { "hrtimer_nanosleep", "do_nanosleep", "schedule_timeout" },
	  { "hrtimer_nanosleep", "do_nanosleep" }, MFG_TT_KRP },
	{ "ftrace", { "hrtimer_nanosleep", "vfs_read", "copy_process" },
	  { "hrtimer_nanosleep", "do_nanosleep", "vfs_read", "copy_process" },
	  { "hrtimer_nanosleep", "do_nanosleep", "vfs_read" }, MFG_TT_KRP },
};

/* An mfg_kretprobe with its counts. */
struct mfg_tt_krp {
	struct mfg_kretprobe rp;
	bool registered;
	atomic_long_t entries;
	atomic_long_t returns;
	atomic_long_t bad;
	long missed;
};

struct mfg_tt_churn {
	struct task_struct *task;
	unsigned int cpu;
	struct rnd_state rnd;
	struct mfg_torture_user users[MFG_TT_CHURN_USERS];
	struct mfg_tt_krp krps[MFG_TT_CHURN_KRPS];
};

static const struct mfg_tt_workload *mfg_tt_w;
static struct mfg_torture_func mfg_tt_steady_funcs[MFG_TORTURE_FUNCS];
static struct mfg_torture_user mfg_tt_steady = { .name = "steady", .funcs = mfg_tt_steady_funcs };
static struct mfg_torture_user mfg_tt_star = { .name = "star" };
static struct mfg_tt_krp mfg_tt_krp_inline;	/* data on the shadow stack */
static struct mfg_tt_krp mfg_tt_krp_pool;	/* data in a maxactive pool */
static struct mfg_tt_churn *mfg_tt_churn;
static unsigned int mfg_tt_nr_churn;
static unsigned long mfg_tt_end;		/* jiffies: churn stops here */
static unsigned long mfg_tt_start;
static struct mfg_stats mfg_tt_stats0;		/* the engine's counts at the start */

/* Churn counts, all kthreads together. */
static atomic_long_t mfg_tt_rounds, mfg_tt_registers, mfg_tt_unregisters, mfg_tt_refilters;
static atomic_long_t mfg_tt_krp_registers, mfg_tt_gone, mfg_tt_errors;

static DEFINE_MUTEX(mfg_tt_result_lock);
static char mfg_tt_result[1024];
static bool mfg_tt_done;
static struct dentry *mfg_tt_dir;

static int mfg_torture_entry(const struct mfg_entry *trace, struct mfg_ops *ops,
			     struct ftrace_regs *fregs)
{
	return mfg_torture_do_entry(trace, ops);
}

static void mfg_torture_return(const struct mfg_return *trace, struct mfg_ops *ops,
			       struct ftrace_regs *fregs)
{
	mfg_torture_do_return(trace, ops);
}

static void mfg_torture_miss(unsigned long func, struct mfg_ops *ops)
{
	mfg_torture_do_miss(func, ops);
}

/* ------------------------------------------------------------ kretprobes */

static int mfg_tt_krp_entry(struct mfg_kretprobe_instance *ri, struct pt_regs *regs)
{
	struct mfg_tt_krp *k = container_of(ri->rp, struct mfg_tt_krp, rp);

	*(unsigned long *)ri->data = (unsigned long)k ^ MFG_TORTURE_MAGIC;
	atomic_long_inc(&k->entries);
	return 0;
}

static int mfg_tt_krp_return(struct mfg_kretprobe_instance *ri, struct pt_regs *regs)
{
	struct mfg_tt_krp *k = container_of(ri->rp, struct mfg_tt_krp, rp);

	if (*(unsigned long *)ri->data != ((unsigned long)k ^ MFG_TORTURE_MAGIC))
		atomic_long_inc(&k->bad);
	atomic_long_inc(&k->returns);
	return 0;
}

/*
 * (Re)register a probe: its private fields must start zeroed each time.
 * 16 bytes of data fit on the shadow stack, 128 take the pool.
 */
static int mfg_tt_krp_register(struct mfg_tt_krp *k, const char *sym, size_t data_size)
{
	int ret;

	memset(&k->rp, 0, sizeof(k->rp));
	k->rp.symbol_name = sym;
	k->rp.entry_handler = mfg_tt_krp_entry;
	k->rp.handler = mfg_tt_krp_return;
	k->rp.data_size = data_size;
	k->rp.maxactive = 4;
	ret = mfg_register_kretprobe(&k->rp);
	k->registered = !ret;
	return ret;
}

static void mfg_tt_krp_unregister(struct mfg_tt_krp *k)
{
	if (!k->registered)
		return;
	mfg_unregister_kretprobe(&k->rp);
	k->missed += READ_ONCE(k->rp.nmissed);
	k->registered = false;
}

/* ------------------------------------------------------------ users */

static int mfg_tt_register(struct mfg_torture_user *u)
{
	int ret;

	/* A new serial: a return of the last registration would carry the old one. */
	WRITE_ONCE(u->serial, u->serial + 1);
	WRITE_ONCE(u->live, true);
	ret = mfg_register(&u->ops);
	if (ret)
		WRITE_ONCE(u->live, false);
	u->registered = !ret;
	return ret;
}

static void mfg_tt_unregister(struct mfg_torture_user *u)
{
	if (!u->registered)
		return;
	mfg_unregister(&u->ops);
	/* mfg_unregister() waited for every callback: none may see this set. */
	WRITE_ONCE(u->live, false);
	u->registered = false;
}

static void mfg_tt_error(const char *what, const char *glob, int ret)
{
	/*
	 * Filters on a module's functions: the module may be gone (-ENOENT),
	 * or be coming or going, its name known but not its ftrace sites
	 * (-EINVAL). Registration itself must never fail.
	 */
	if ((mfg_tt_w->flags & MFG_TT_ENOENT) && (ret == -ENOENT || ret == -EINVAL) &&
	    !strcmp(what, "mfg_set_filter")) {
		atomic_long_inc(&mfg_tt_gone);
		return;
	}
	if (atomic_long_inc_return(&mfg_tt_errors) <= 5)
		pr_err("mfg_torture: %s: %s %s: %d\n", mfg_tt_w->name, what, glob ?: "", ret);
}

static unsigned int mfg_tt_count(const char *const *globs)
{
	unsigned int n = 0;

	while (n < MFG_TT_MAX_GLOBS && globs[n])
		n++;
	return n;
}

/* A filter of one or two globs from the pool. */
static int mfg_tt_refilter(struct mfg_tt_churn *c, struct mfg_torture_user *u)
{
	unsigned int n = mfg_tt_count(mfg_tt_w->pool);
	const char *glob = mfg_tt_w->pool[prandom_u32_state(&c->rnd) % n];
	int ret = mfg_set_filter(&u->ops, glob, true);

	if (!ret && prandom_u32_state(&c->rnd) & 1) {
		glob = mfg_tt_w->pool[prandom_u32_state(&c->rnd) % n];
		ret = mfg_set_filter(&u->ops, glob, false);
	}
	if (ret)
		mfg_tt_error("mfg_set_filter", glob, ret);
	return ret;
}

static void mfg_tt_churn_user(struct mfg_tt_churn *c, struct mfg_torture_user *u)
{
	u32 op = prandom_u32_state(&c->rnd) % 4;
	int ret;

	if (!u->registered) {
		if (mfg_tt_refilter(c, u))
			return;
		ret = mfg_tt_register(u);
		if (ret)
			mfg_tt_error("mfg_register", u->name, ret);
		else
			atomic_long_inc(&mfg_tt_registers);
	} else if (op == 0) {
		if (!mfg_tt_refilter(c, u))
			atomic_long_inc(&mfg_tt_refilters);
	} else {
		mfg_tt_unregister(u);
		atomic_long_inc(&mfg_tt_unregisters);
		if (op == 1)
			mfg_free_filter(&u->ops);
	}
}

static void mfg_tt_churn_krp(struct mfg_tt_churn *c)
{
	unsigned int n = mfg_tt_count(mfg_tt_w->krp);
	unsigned int i = prandom_u32_state(&c->rnd) % MFG_TT_CHURN_KRPS;
	struct mfg_tt_krp *k = &c->krps[i];
	const char *sym = mfg_tt_w->krp[prandom_u32_state(&c->rnd) % n];
	int ret;

	if (k->registered) {
		mfg_tt_krp_unregister(k);
		return;
	}
	ret = mfg_tt_krp_register(k, sym, i ? 128 : 16);
	if (ret)
		mfg_tt_error("mfg_register_kretprobe", sym, ret);
	else
		atomic_long_inc(&mfg_tt_krp_registers);
}

static int mfg_tt_churn_fn(void *arg)
{
	struct mfg_tt_churn *c = arg;

	while (!kthread_should_stop()) {
		if (time_after(jiffies, mfg_tt_end)) {
			msleep_interruptible(100);
			continue;
		}
		mfg_tt_churn_user(c, &c->users[prandom_u32_state(&c->rnd) % MFG_TT_CHURN_USERS]);
		if (mfg_tt_w->flags & MFG_TT_KRP)
			mfg_tt_churn_krp(c);
		atomic_long_inc(&mfg_tt_rounds);
		usleep_range(500, 2000);
	}
	return 0;
}

/* ------------------------------------------------------------ the result */

static bool mfg_tt_balanced(void)
{
	if (atomic_long_read(&mfg_tt_steady.entries) != atomic_long_read(&mfg_tt_steady.returns))
		return false;
	/* Tracing its own callbacks by name, it traces no function that sleeps. */
	if ((mfg_tt_w->flags & MFG_TT_SELF) &&
	    atomic_long_read(&mfg_tt_star.entries) != atomic_long_read(&mfg_tt_star.returns))
		return false;
	if (!(mfg_tt_w->flags & MFG_TT_KRP))
		return true;
	return atomic_long_read(&mfg_tt_krp_inline.entries) ==
		       atomic_long_read(&mfg_tt_krp_inline.returns) &&
	       atomic_long_read(&mfg_tt_krp_pool.entries) ==
		       atomic_long_read(&mfg_tt_krp_pool.returns);
}

/*
 * The steady user and the inline probe both trace krp[0] the whole run (the
 * load runs only while both are registered): every call the user saw enter
 * or missed, the probe must have seen enter or counted in nmissed.
 */
static bool mfg_tt_krp_accounted(void)
{
	unsigned long ip;
	long user = 0, probe;
	unsigned int i;

	if (mfg_func_ip(mfg_tt_w->krp[0], 0, &ip))
		return false;
	for (i = 0; i < MFG_TORTURE_FUNCS; i++)
		if (mfg_tt_steady_funcs[i].func == ip)
			user = atomic_long_read(&mfg_tt_steady_funcs[i].entries) +
			       atomic_long_read(&mfg_tt_steady_funcs[i].misses);
	probe = atomic_long_read(&mfg_tt_krp_inline.entries) + mfg_tt_krp_inline.missed;
	if (user != probe)
		pr_err("mfg_torture: %s: %s: the user saw %ld calls (entries and misses), the kretprobe %ld (entries and nmissed)\n",
		       mfg_tt_w->name, mfg_tt_w->krp[0], user, probe);
	return user == probe;
}

/* Stop the churn, unregister the churned users and probes. */
static void mfg_tt_stop_churn(void)
{
	unsigned int i, j;

	for (i = 0; i < mfg_tt_nr_churn; i++) {
		struct mfg_tt_churn *c = &mfg_tt_churn[i];

		if (c->task) {
			kthread_stop(c->task);
			put_task_struct(c->task);
			c->task = NULL;
		}
		for (j = 0; j < MFG_TT_CHURN_USERS; j++) {
			mfg_tt_unregister(&c->users[j]);
			mfg_free_filter(&c->users[j].ops);
		}
		for (j = 0; j < MFG_TT_CHURN_KRPS; j++)
			mfg_tt_krp_unregister(&c->krps[j]);
	}
}

static void mfg_tt_stop_steady(void)
{
	mfg_tt_unregister(&mfg_tt_steady);
	mfg_free_filter(&mfg_tt_steady.ops);
	mfg_tt_unregister(&mfg_tt_star);
	mfg_free_filter(&mfg_tt_star.ops);
	mfg_tt_krp_unregister(&mfg_tt_krp_inline);
	mfg_tt_krp_unregister(&mfg_tt_krp_pool);
}

static void mfg_tt_finish(void)
{
	long entries = 0, returns = 0, bad, dead, nodata, krp_bad = 0, krp_missed = 0;
	unsigned long waited = jiffies;
	unsigned int i, j;
	char why[160] = "";
	struct mfg_stats st;
	size_t len;
	bool balanced;

	mfg_tt_stop_churn();
	while (!(balanced = mfg_tt_balanced()) &&
	       time_before(jiffies, waited + msecs_to_jiffies(MFG_TT_BALANCE_MS)))
		usleep_range(10000, 20000);
	mfg_tt_stop_steady();

	bad = atomic_long_read(&mfg_tt_steady.bad) + atomic_long_read(&mfg_tt_star.bad);
	dead = atomic_long_read(&mfg_tt_steady.dead) + atomic_long_read(&mfg_tt_star.dead);
	nodata = atomic_long_read(&mfg_tt_steady.nodata) + atomic_long_read(&mfg_tt_star.nodata);
	for (i = 0; i < mfg_tt_nr_churn; i++) {
		for (j = 0; j < MFG_TT_CHURN_USERS; j++) {
			struct mfg_torture_user *u = &mfg_tt_churn[i].users[j];

			entries += atomic_long_read(&u->entries);
			returns += atomic_long_read(&u->returns);
			bad += atomic_long_read(&u->bad);
			dead += atomic_long_read(&u->dead);
			nodata += atomic_long_read(&u->nodata);
		}
		for (j = 0; j < MFG_TT_CHURN_KRPS; j++) {
			krp_bad += atomic_long_read(&mfg_tt_churn[i].krps[j].bad);
			krp_missed += mfg_tt_churn[i].krps[j].missed;
		}
	}
	krp_bad += atomic_long_read(&mfg_tt_krp_inline.bad);
	krp_bad += atomic_long_read(&mfg_tt_krp_pool.bad);

	if (!balanced)
		strlcat(why, " steady entries != returns", sizeof(why));
	for (i = 0; i < MFG_TORTURE_FUNCS; i++) {
		struct mfg_torture_func *f = &mfg_tt_steady_funcs[i];

		if (f->func && atomic_long_read(&f->entries) != atomic_long_read(&f->returns))
			pr_err("mfg_torture: %s: steady user: %ps: %ld entries, %ld returns\n",
			       mfg_tt_w->name, (void *)f->func, atomic_long_read(&f->entries),
			       atomic_long_read(&f->returns));
	}
	if (!atomic_long_read(&mfg_tt_steady.entries))
		strlcat(why, " steady user saw nothing", sizeof(why));
	if (bad || krp_bad)
		strlcat(why, " returns with the wrong data", sizeof(why));
	if (dead)
		strlcat(why, " callbacks after unregistration", sizeof(why));
	if (atomic_long_read(&mfg_tt_errors))
		strlcat(why, " API errors", sizeof(why));
	if (!atomic_long_read(&mfg_tt_registers))
		strlcat(why, " no churn", sizeof(why));
	if ((mfg_tt_w->flags & MFG_TT_KRP) && !mfg_tt_krp_accounted())
		strlcat(why, " kretprobe calls unaccounted", sizeof(why));

	len = scnprintf(mfg_tt_result, sizeof(mfg_tt_result),
			"MFG-TORTURE: %s: %ums, %u churn threads; steady entries=%ld returns=%ld misses=%ld; churn rounds=%ld registers=%ld unregisters=%ld refilters=%ld entries=%ld returns=%ld gone=%ld errors=%ld; bad=%ld dead=%ld nodata=%ld",
			mfg_tt_w->name, jiffies_to_msecs(jiffies - mfg_tt_start), mfg_tt_nr_churn,
			atomic_long_read(&mfg_tt_steady.entries),
			atomic_long_read(&mfg_tt_steady.returns),
			atomic_long_read(&mfg_tt_steady.misses), atomic_long_read(&mfg_tt_rounds),
			atomic_long_read(&mfg_tt_registers), atomic_long_read(&mfg_tt_unregisters),
			atomic_long_read(&mfg_tt_refilters), entries, returns,
			atomic_long_read(&mfg_tt_gone), atomic_long_read(&mfg_tt_errors), bad,
			dead, nodata);
	if (mfg_tt_w->flags & MFG_TT_STAR)
		len += scnprintf(mfg_tt_result + len, sizeof(mfg_tt_result) - len,
				 "; star entries=%ld returns=%ld",
				 atomic_long_read(&mfg_tt_star.entries),
				 atomic_long_read(&mfg_tt_star.returns));
	if (mfg_tt_w->flags & MFG_TT_KRP)
		len += scnprintf(mfg_tt_result + len, sizeof(mfg_tt_result) - len,
				 "; krp inline entries=%ld returns=%ld missed=%ld, pool entries=%ld returns=%ld missed=%ld, churn registers=%ld missed=%ld bad=%ld",
				 atomic_long_read(&mfg_tt_krp_inline.entries),
				 atomic_long_read(&mfg_tt_krp_inline.returns),
				 mfg_tt_krp_inline.missed,
				 atomic_long_read(&mfg_tt_krp_pool.entries),
				 atomic_long_read(&mfg_tt_krp_pool.returns), mfg_tt_krp_pool.missed,
				 atomic_long_read(&mfg_tt_krp_registers), krp_missed, krp_bad);
	/* Calls the engine ran untraced, or returns it skipped, meanwhile. */
	mfg_get_stats(&st);
	len += scnprintf(mfg_tt_result + len, sizeof(mfg_tt_result) - len,
			 "; engine misses no_stack=%llu overflow=%llu mismatch=%llu stale=%llu recursion=%llu paused=%llu",
			 st.misses[MFG_MISS_NO_STACK] - mfg_tt_stats0.misses[MFG_MISS_NO_STACK],
			 st.misses[MFG_MISS_OVERFLOW] - mfg_tt_stats0.misses[MFG_MISS_OVERFLOW],
			 st.misses[MFG_MISS_MISMATCH] - mfg_tt_stats0.misses[MFG_MISS_MISMATCH],
			 st.misses[MFG_MISS_STALE] - mfg_tt_stats0.misses[MFG_MISS_STALE],
			 st.misses[MFG_MISS_RECURSION] - mfg_tt_stats0.misses[MFG_MISS_RECURSION],
			 st.misses[MFG_MISS_PAUSED] - mfg_tt_stats0.misses[MFG_MISS_PAUSED]);
	scnprintf(mfg_tt_result + len, sizeof(mfg_tt_result) - len, ": %s%s\n",
		  why[0] ? "FAIL" : "ok", why);
}

/*
 * Writing "stop" ends the run; a write, not a read, because the steady
 * users of several workloads trace vfs_read: the reader's own call would
 * never return while it waits for the balance.
 */
static ssize_t mfg_tt_stop_write(struct file *file, const char __user *buf, size_t count,
				 loff_t *ppos)
{
	char cmd[8] = "";

	if (copy_from_user(cmd, buf, min(count, sizeof(cmd) - 1)))
		return -EFAULT;
	if (strcmp(strim(cmd), "stop")) {
		pr_err("mfg_torture: write \"stop\" to stop, nothing else\n");
		return -EINVAL;
	}
	mutex_lock(&mfg_tt_result_lock);
	if (!mfg_tt_done) {
		mfg_tt_finish();
		mfg_tt_done = true;
	}
	mutex_unlock(&mfg_tt_result_lock);
	return count;
}

static ssize_t mfg_tt_result_read(struct file *file, char __user *buf, size_t count,
				  loff_t *ppos)
{
	ssize_t ret;

	mutex_lock(&mfg_tt_result_lock);
	ret = simple_read_from_buffer(buf, count, ppos, mfg_tt_result, strlen(mfg_tt_result));
	mutex_unlock(&mfg_tt_result_lock);
	return ret;
}

static const struct file_operations mfg_tt_stop_fops = {
	.owner = THIS_MODULE,
	.write = mfg_tt_stop_write,
};

static const struct file_operations mfg_tt_result_fops = {
	.owner = THIS_MODULE,
	.read = mfg_tt_result_read,
	.llseek = default_llseek,
};

/* ------------------------------------------------------------ init, exit */

static int mfg_tt_set_filters(struct mfg_torture_user *u, const char *const *globs)
{
	unsigned int i;
	int ret;

	for (i = 0; i < MFG_TT_MAX_GLOBS && globs[i]; i++) {
		ret = mfg_set_filter(&u->ops, globs[i], i == 0);
		if (ret) {
			pr_err("mfg_torture: %s: cannot filter on %s: %d\n", mfg_tt_w->name,
			       globs[i], ret);
			return ret;
		}
	}
	return 0;
}

static int mfg_tt_start_steady(void)
{
	int ret;

	mfg_tt_steady.ops.entryfunc = mfg_torture_entry;
	mfg_tt_steady.ops.retfunc = mfg_torture_return;
	mfg_tt_steady.ops.missfunc = mfg_torture_miss;
	ret = mfg_tt_set_filters(&mfg_tt_steady, mfg_tt_w->steady);
	if (!ret)
		ret = mfg_tt_register(&mfg_tt_steady);
	if (ret)
		return ret;
	if (mfg_tt_w->flags & MFG_TT_STAR) {
		static const char *const star[] = { "*", NULL };
		/* A glob that matches the user's own callbacks, as "my_*" would. */
		static const char *const self[] = { "mfg_torture_traced_*", "vfs_read", NULL };

		bool plain = mfg_tt_w->flags & MFG_TT_PLAIN;

		mfg_tt_star.ops.entryfunc = plain ? mfg_torture_entry : mfg_torture_traced_entry;
		mfg_tt_star.ops.retfunc = plain ? mfg_torture_return : mfg_torture_traced_return;
		ret = mfg_tt_set_filters(&mfg_tt_star, mfg_tt_w->flags & MFG_TT_SELF ? self : star);
		if (!ret)
			ret = mfg_tt_register(&mfg_tt_star);
		if (ret)
			return ret;
	}
	if (mfg_tt_w->flags & MFG_TT_KRP) {
		ret = mfg_tt_krp_register(&mfg_tt_krp_inline, mfg_tt_w->krp[0], 16);
		if (!ret)
			ret = mfg_tt_krp_register(&mfg_tt_krp_pool, mfg_tt_w->krp[1], 128);
		if (ret) {
			pr_err("mfg_torture: %s: cannot probe: %d\n", mfg_tt_w->name, ret);
			return ret;
		}
	}
	return 0;
}

static int __init mfg_tt_init(void)
{
	unsigned int i, j, cpu;
	int ret;

	for (i = 0; i < ARRAY_SIZE(mfg_tt_workloads); i++)
		if (!strcmp(workload, mfg_tt_workloads[i].name))
			mfg_tt_w = &mfg_tt_workloads[i];
	if (!mfg_tt_w) {
		pr_err("mfg_torture: unknown workload '%s'\n", workload);
		return -EINVAL;
	}
	mfg_tt_churn = kcalloc(num_possible_cpus(), sizeof(*mfg_tt_churn), GFP_KERNEL);
	if (!mfg_tt_churn)
		return -ENOMEM;
	mfg_get_stats(&mfg_tt_stats0);
	mfg_tt_start = jiffies;
	mfg_tt_end = jiffies + duration * HZ;
	ret = mfg_tt_start_steady();
	if (ret)
		goto fail;
	for_each_online_cpu(cpu) {
		struct mfg_tt_churn *c = &mfg_tt_churn[mfg_tt_nr_churn];
		struct task_struct *t;

		c->cpu = cpu;
		prandom_seed_state(&c->rnd, get_random_u64());
		for (j = 0; j < MFG_TT_CHURN_USERS; j++) {
			c->users[j].name = "churn";
			c->users[j].ops.entryfunc = mfg_torture_entry;
			c->users[j].ops.retfunc = mfg_torture_return;
			c->users[j].ops.missfunc = mfg_torture_miss;
		}
		t = kthread_create(mfg_tt_churn_fn, c, "mfg_torture/%u", cpu);
		if (IS_ERR(t)) {
			ret = PTR_ERR(t);
			goto fail;
		}
		get_task_struct(t);
		/* Not kthread_bind(): CPU hotplug may move it, it must not die. */
		set_cpus_allowed_ptr(t, cpumask_of(cpu));
		c->task = t;
		mfg_tt_nr_churn++;
		wake_up_process(t);
	}
	mfg_tt_dir = debugfs_create_dir("mfg_torture", NULL);
	debugfs_create_file("result", 0444, mfg_tt_dir, NULL, &mfg_tt_result_fops);
	debugfs_create_file("stop", 0200, mfg_tt_dir, NULL, &mfg_tt_stop_fops);
	pr_info("mfg_torture: %s: %u churn threads, %us at most\n", mfg_tt_w->name,
		mfg_tt_nr_churn, duration);
	return 0;
fail:
	mfg_tt_stop_churn();
	mfg_tt_stop_steady();
	kfree(mfg_tt_churn);
	return ret;
}

static void __exit mfg_tt_exit(void)
{
	debugfs_remove_recursive(mfg_tt_dir);
	mutex_lock(&mfg_tt_result_lock);
	if (!mfg_tt_done) {
		mfg_tt_finish();
		pr_info("%s", mfg_tt_result);
	}
	mutex_unlock(&mfg_tt_result_lock);
	kfree(mfg_tt_churn);
}

module_init(mfg_tt_init);
module_exit(mfg_tt_exit);

MODULE_DESCRIPTION("mfgraph: torture users for real workloads");
MODULE_LICENSE("GPL");
