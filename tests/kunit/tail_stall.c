// SPDX-License-Identifier: GPL-2.0
/*
 * mfg_tail_test: holds a task in mfgraph's return path, after its last
 * frame popped, while mfgraph unloads (tests/qemu/scenarios/
 * unload-under-return.sh). It does not link against mfgraph, so mfgraph
 * can unload while it is loaded.
 *
 * A kprobe on mfg_return_handler() learns where the handler returns to in
 * the trampoline (parameter "tail"). "arm <pid>" (to "ctl") puts a kprobe
 * there that sends that task, on its next return through the trampoline,
 * into mfg_tail_stall() with the trampoline as its return address: the
 * task has popped its frame and is about to run mfgraph's text again, like
 * a task preempted in the tail. It spins there, preemptible but never
 * sleeping (a voluntary switch would end a tasks-RCU grace period), until
 * mfgraph's unload has started and one more second has passed, then
 * returns into the trampoline. If mfgraph's text goes meanwhile, the
 * module notifier says so ("went_under") and the return oopses.
 */
#include <linux/atomic.h>
#include <linux/kprobes.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/string.h>

#define MFG_TAIL_AFTER_EXIT_NS	NSEC_PER_SEC
#define MFG_TAIL_LONGEST_NS	(30 * NSEC_PER_SEC)

static unsigned long mfg_tail_addr;
static atomic_t mfg_tail_pid = ATOMIC_INIT(0);
static bool stalling;
module_param(stalling, bool, 0444);
MODULE_PARM_DESC(stalling, "a task is held in the return path");
static bool saw_exit;
module_param(saw_exit, bool, 0444);
MODULE_PARM_DESC(saw_exit, "mfgraph's unload started while the task was held");
static bool went_under;
module_param(went_under, bool, 0444);
MODULE_PARM_DESC(went_under, "mfgraph went while the task was held (the bug)");
static DEFINE_MUTEX(mfg_tail_lock);

static int mfg_tail_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%ps\n", (void *)READ_ONCE(mfg_tail_addr));
}

static const struct kernel_param_ops mfg_tail_ops = {
	.get = mfg_tail_get,
};
module_param_cb(tail, &mfg_tail_ops, NULL, 0444);
MODULE_PARM_DESC(tail, "where mfg_return_handler() returns to");

/* Runs as if called from the trampoline's tail; @x0 is handed back (arm64: live). */
static noinline unsigned long mfg_tail_stall(unsigned long x0)
{
	u64 start = ktime_get_mono_fast_ns(), now = start, exit_at = 0;

	while (now - start < MFG_TAIL_LONGEST_NS) {
		if (!exit_at && READ_ONCE(saw_exit))
			exit_at = now;
		if (exit_at && now - exit_at > MFG_TAIL_AFTER_EXIT_NS)
			break;
		cpu_relax();
		now = ktime_get_mono_fast_ns();
	}
	WRITE_ONCE(stalling, false);
	return x0;
}

static int mfg_tail_divert(struct kprobe *p, struct pt_regs *regs)
{
	if (!atomic_read(&mfg_tail_pid) ||
	    atomic_cmpxchg(&mfg_tail_pid, current->pid, 0) != current->pid)
		return 0;
	WRITE_ONCE(stalling, true);
	/* A call of mfg_tail_stall() from the probed instruction. */
#if defined(CONFIG_X86_64)
	/* Kernel-mode int3 entry leaves a gap below the stack for this. */
	regs->sp -= sizeof(long);
	*(unsigned long *)regs->sp = (unsigned long)p->addr;
#elif defined(CONFIG_ARM64)
	procedure_link_pointer_set(regs, (unsigned long)p->addr);
#else
#error "x86_64 and arm64 only"
#endif
	instruction_pointer_set(regs, (unsigned long)mfg_tail_stall);
	return 1;
}

/* A post handler keeps the probe an int3/brk one: an optimised probe ignores a new ip. */
static void mfg_tail_post(struct kprobe *p, struct pt_regs *regs, unsigned long flags)
{
}

static int mfg_tail_learn(struct kprobe *p, struct pt_regs *regs)
{
	/* At the handler's first instruction: its return address. */
#if defined(CONFIG_X86_64)
	WRITE_ONCE(mfg_tail_addr, *(unsigned long *)regs->sp);
#else
	WRITE_ONCE(mfg_tail_addr, regs->regs[30]);
#endif
	return 0;
}

static struct kprobe mfg_tail_learn_kp = {
	.symbol_name = "mfg_return_handler",
	.pre_handler = mfg_tail_learn,
};

static int mfg_tail_exit_seen(struct kprobe *p, struct pt_regs *regs)
{
	WRITE_ONCE(saw_exit, READ_ONCE(stalling));
	return 0;
}

/* mfgraph's exit path, before it would wait for the return path. */
static struct kprobe mfg_tail_exit_kp = {
	.symbol_name = "mfg_lifecycle_exit",
	.pre_handler = mfg_tail_exit_seen,
};

static struct kprobe mfg_tail_kp = {
	.pre_handler = mfg_tail_divert,
	.post_handler = mfg_tail_post,
};

static bool mfg_tail_learning, mfg_tail_armed, mfg_tail_exit_armed;

static int mfg_tail_arm(pid_t pid)
{
	int ret;

	if (!READ_ONCE(mfg_tail_addr) || mfg_tail_armed) {
		pr_err("mfg_tail_test: %s\n", mfg_tail_armed ? "already armed" :
		       "no return through the trampoline seen yet");
		return -EINVAL;
	}
	if (mfg_tail_learning)
		unregister_kprobe(&mfg_tail_learn_kp);
	mfg_tail_learning = false;
	ret = register_kprobe(&mfg_tail_exit_kp);
	if (ret)
		return ret;
	mfg_tail_exit_armed = true;
	mfg_tail_kp.addr = (kprobe_opcode_t *)mfg_tail_addr;
	atomic_set(&mfg_tail_pid, pid);
	ret = register_kprobe(&mfg_tail_kp);
	if (ret) {
		pr_err("mfg_tail_test: cannot probe %pS: %d\n", (void *)mfg_tail_addr, ret);
		atomic_set(&mfg_tail_pid, 0);
		return ret;
	}
	mfg_tail_armed = true;
	return 0;
}

static void mfg_tail_disarm(void)
{
	if (mfg_tail_armed)
		unregister_kprobe(&mfg_tail_kp);
	mfg_tail_armed = false;
	atomic_set(&mfg_tail_pid, 0);
}

static int mfg_tail_ctl_set(const char *val, const struct kernel_param *kp)
{
	int pid, ret = 0;

	mutex_lock(&mfg_tail_lock);
	if (sscanf(val, "arm %d", &pid) == 1 && pid > 0) {
		ret = mfg_tail_arm(pid);
	} else if (sysfs_streq(val, "disarm")) {
		mfg_tail_disarm();
	} else {
		pr_err("mfg_tail_test: usage: arm <pid> | disarm\n");
		ret = -EINVAL;
	}
	mutex_unlock(&mfg_tail_lock);
	return ret;
}

static const struct kernel_param_ops mfg_tail_ctl_ops = {
	.set = mfg_tail_ctl_set,
};
module_param_cb(ctl, &mfg_tail_ctl_ops, NULL, 0200);
MODULE_PARM_DESC(ctl, "arm <pid> | disarm");

static int mfg_tail_module_notify(struct notifier_block *nb, unsigned long state, void *data)
{
	struct module *mod = data;

	if (state == MODULE_STATE_GOING && !strcmp(mod->name, "mfgraph") && READ_ONCE(stalling)) {
		WRITE_ONCE(went_under, true);
		pr_err("mfg_tail_test: mfgraph unloaded while a task is still to run its return path\n");
	}
	return NOTIFY_DONE;
}

static struct notifier_block mfg_tail_nb = {
	.notifier_call = mfg_tail_module_notify,
};

static int __init mfg_tail_init(void)
{
	int ret = register_module_notifier(&mfg_tail_nb);

	if (ret)
		return ret;
	ret = register_kprobe(&mfg_tail_learn_kp);
	if (ret) {
		pr_err("mfg_tail_test: cannot probe mfg_return_handler (is mfgraph loaded?): %d\n",
		       ret);
		unregister_module_notifier(&mfg_tail_nb);
		return ret;
	}
	mfg_tail_learning = true;
	return 0;
}

static void __exit mfg_tail_exit(void)
{
	mfg_tail_disarm();
	if (mfg_tail_learning)
		unregister_kprobe(&mfg_tail_learn_kp);
	/* Gone with mfgraph by now; unregistering a gone probe is fine. */
	if (mfg_tail_exit_armed)
		unregister_kprobe(&mfg_tail_exit_kp);
	unregister_module_notifier(&mfg_tail_nb);
}

module_init(mfg_tail_init);
module_exit(mfg_tail_exit);

MODULE_DESCRIPTION("mfgraph: holds a task in the return path while mfgraph unloads");
MODULE_LICENSE("GPL");
