// SPDX-License-Identifier: GPL-2.0
//
// Per-task shadow stacks: what a task owns, how a task finds its own
// without a lock, and where new ones come from without allocating on the
// tracing path.
//
//   TaskHash:   task -> TaskStack*, chains hashed by the task pointer.
//   TaskStack:  one page: the owner, the users' task variables, the return
//               dispatch in progress, and the frames.
//   StackPool:  a few zeroed TaskStacks per CPU. The tracing path takes one
//               (lock-free, NMI-safe); a work item refills the pool.
#ifndef MFG_TASK_STACK_H
#define MFG_TASK_STACK_H

#include "core.h"
#include "registry.h"
#include "shadow_stack.h"

namespace mfg {

// A return dispatch in progress on a task: which frame. Dispatches nest (an
// interrupt's returns run on top of the task's), so each remembers the one
// it interrupted. The unwinder uses it: from the dispatch on, the frame's
// return slot holds the real address again.
struct Dispatch {
	Dispatch *prev;
	u32 frame;
};

inline constexpr usize kTaskHeaderBytes = 5 * sizeof(void *) + 2 * sizeof(u64) * MFG_MAX_USERS;

struct TaskStack {
	using Frames = ShadowStack<MFG_SHADOW_STACK_BYTES - kTaskHeaderBytes>;

	void *owner;		// the task (struct task_struct *); bit 0: dead
	Dispatch *dispatch;	// innermost return dispatch, or null
	TaskStack *free_next;	// on the deferred-free list
	TaskStack *hash_next;	// the next stack in its TaskHash chain
	// Every frame's return slot holds its real return address again
	// (mfg_core_release_frames()): the frames are dead once no task can
	// still be in the trampoline. Written under the glue's mutex.
	unsigned long released;
	u64 var_generation[MFG_MAX_USERS];	// which user the variable belongs to
	u64 var_value[MFG_MAX_USERS];
	Frames frames;

	// The frame index of the innermost frame in return dispatch, or
	// kNone: frames at and above it have their real return address back.
	static constexpr u32 kNone = ~u32{0};
	u32 dispatching_frame() const { return dispatch ? dispatch->frame : kNone; }
};

static_assert(sizeof(TaskStack) <= MFG_SHADOW_STACK_BYTES);
static_assert(__is_trivially_constructible(TaskStack) && __is_standard_layout(TaskStack));

// Where a task's stack lives: a hash of chains keyed by the task itself
// (its task_struct pointer), never by its pid. A pid changes under a task
// (a non-leader thread that execs takes the leader's pid, exchange_tids()),
// and a dead task's pid is reused; the task_struct pointer names the task
// for its whole life, and is reused only after the task was freed, when its
// stack has already been marked dead.
//
//   - insert(): the tracing path, any context, NMI included, and only ever
//     by a task for itself: a compare-and-swap on the chain head. An
//     interrupt or NMI on the same CPU may insert the same task's stack in
//     between; insert() scans the chain it is about to extend, so a task
//     ends with exactly one stack linked.
//   - find(): any context, under RCU (preemption disabled).
//   - remove(): serialised by the caller (the glue's mutex), never on the
//     tracing path; only removers change links other than the heads. An
//     unlinked stack keeps its link, so a reader standing on it walks on,
//     and it is freed only after a grace period.
class TaskHash {
public:
	static constexpr u32 kBucketBits = 10;
	static constexpr u32 kBuckets = 1u << kBucketBits;

	// An empty hash. Context: may sleep.
	static TaskHash *create() { return ktl::zalloc_counted<TaskHash>(sizeof(TaskHash)); }
	// Free the hash (not the stacks). Context: may sleep.
	static void destroy(TaskHash *h) { ktl::free_counted(h, sizeof(TaskHash)); }

	// @task's live stack, or null.
	TaskStack *find(const void *task) { return find_from(bucket(task).load_acquire(), task); }

	// Link @s, whose owner is set, for its owner; the caller is that task.
	// Returns the stack the task now has: @s, or one an interrupt or NMI
	// linked for it first (the caller then gives @s back).
	TaskStack *insert(TaskStack *s)
	{
		ktl::Atomic<TaskStack *> &head = bucket(s->owner);
		TaskStack *first = head.load_acquire();
		for (;;) {
			if (TaskStack *own = find_from(first, s->owner))
				return own;
			ktl::write_once(s->hash_next, first);
			// Publishes s's owner and link (the exchange is a full barrier).
			if (head.compare_exchange(first, s))
				return s;
		}
	}

	// Unlink @s, if linked. Callers serialise removals.
	void remove(TaskStack *s)
	{
		ktl::Atomic<TaskStack *> &head = bucket(live_owner(s));
		TaskStack *first = head.load_acquire();
		// An insert may move the head between the load and the exchange;
		// then @s has a predecessor, and only removers change that link.
		if (first == s && head.compare_exchange(first, ktl::read_once(s->hash_next)))
			return;
		for (TaskStack *p = head.load_acquire(); p; p = ktl::read_once(p->hash_next)) {
			if (ktl::read_once(p->hash_next) == s) {
				ktl::write_once(p->hash_next, ktl::read_once(s->hash_next));
				return;
			}
		}
	}

	// Mark @s, owned by @task, dead: no lookup finds it any more. Exactly
	// one caller wins the stack (the task's exit, or a reap of idle
	// stacks) and becomes the one to unlink and free it.
	static bool claim(TaskStack *s, void *task)
	{
		void *expected = task;
		return ktl::compare_exchange(s->owner, expected,
					     reinterpret_cast<void *>(reinterpret_cast<usize>(task) | kDead));
	}
	static bool is_dead(const TaskStack *s) { return reinterpret_cast<usize>(ktl::read_once(s->owner)) & kDead; }

	// Visit every linked stack; @fn may remove the one it is given.
	// Context: callers serialise removals.
	template <typename Fn> void for_each_stack(Fn &&fn)
	{
		for (auto &head : buckets_) {
			TaskStack *s = head.load_acquire();
			while (s) {
				TaskStack *next = ktl::read_once(s->hash_next);
				fn(s);
				s = next;
			}
		}
	}

private:
	// task_structs are at least word-aligned: bit 0 of an owner is free.
	static constexpr usize kDead = 1;

	static void *live_owner(const TaskStack *s)
	{
		return reinterpret_cast<void *>(reinterpret_cast<usize>(ktl::read_once(s->owner)) & ~kDead);
	}

	static TaskStack *find_from(TaskStack *s, const void *task)
	{
		for (; s; s = ktl::read_once(s->hash_next))
			if (ktl::read_once(s->owner) == task)
				return s;
		return nullptr;
	}

	ktl::Atomic<TaskStack *> &bucket(const void *task)
	{
		// Fibonacci hashing of the pointer; slab objects differ in the
		// middle bits, which the multiply spreads into the top ones.
		const u64 h = reinterpret_cast<usize>(task) * 0x9e3779b97f4a7c15ull;
		return buckets_[h >> (64 - kBucketBits)];
	}

	ktl::Atomic<TaskStack *> buckets_[kBuckets];
};

// Zeroed stacks ready for tasks that enter traced code, per CPU.
//
// take() runs on the tracing path in any context, NMI included, and only for
// the local CPU; put() runs in task context with preemption disabled, also
// only for the local CPU. As nothing can interrupt an NMI's take(), and a
// put() never interrupts a take(), a compare-and-swap on the count is
// enough: an interrupted take() or put() sees the count move and retries.
class StackPool {
public:
	// Enough for a burst of new tasks (a fork storm, a thread pool
	// starting) between two refills: 32 KiB a CPU with 4 KiB stacks.
	static constexpr u32 kPerCpu = 8;
	// Ask for a refill as soon as a stack is taken, not when the last one
	// goes: a burst of new tasks on one CPU (a thread pool starting up)
	// then finds the pool refilled between takes more often. A take
	// happens once in a task's life, so the request costs little.
	static constexpr u32 kLowWater = kPerCpu;

	static StackPool *create(u32 nr_cpus)
	{
		auto *p = ktl::zalloc_counted<StackPool>(bytes_for(nr_cpus));
		if (p)
			p->nr_cpus_ = nr_cpus;
		return p;
	}

	// Free the pool and the stacks still in it. Context: may sleep.
	static void destroy(StackPool *p)
	{
		if (!p)
			return;
		for (u32 c = 0; c < p->nr_cpus_; c++)
			for (u32 i = 0; i < p->cpu(c).count.load_relaxed(); i++)
				ktl::free_counted(p->cpu(c).stacks[i], sizeof(TaskStack));
		ktl::free_counted(p, bytes_for(p->nr_cpus_));
	}

	// A stack from @cpu's pool, or null when it is empty. *@low: the pool
	// is below its low-water mark and wants a refill.
	TaskStack *take(u32 cpu, bool *low)
	{
		CpuPool &p = this->cpu(cpu);
		u32 n = p.count.load_relaxed();
		for (;;) {
			if (n == 0) {
				*low = true;
				return nullptr;
			}
			TaskStack *s = ktl::read_once(p.stacks[n - 1]);
			if (p.count.compare_exchange(n, n - 1)) {
				*low = n - 1 < kLowWater;
				return s;
			}
		}
	}

	// Give @s to @cpu's pool; false when it is full. Context: @cpu is the
	// local CPU and preemption is disabled, or no tracing is active.
	bool put(u32 cpu, TaskStack *s)
	{
		CpuPool &p = this->cpu(cpu);
		u32 n = p.count.load_relaxed();
		for (;;) {
			if (n >= kPerCpu)
				return false;
			ktl::write_once(p.stacks[n], s);
			if (p.count.compare_exchange(n, n + 1))
				return true;
		}
	}

	u32 level(u32 cpu) { return this->cpu(cpu).count.load_relaxed(); }
	u32 nr_cpus() const { return nr_cpus_; }

private:
	struct CpuPool {
		ktl::Atomic<u32> count;
		TaskStack *stacks[kPerCpu];
	};
	CpuPool &cpu(u32 c) { return reinterpret_cast<CpuPool *>(this + 1)[c]; }
	static usize bytes_for(u64 nr_cpus) { return sizeof(StackPool) + nr_cpus * sizeof(CpuPool); }

	u64 nr_cpus_;
};

} // namespace mfg

#endif // MFG_TASK_STACK_H
