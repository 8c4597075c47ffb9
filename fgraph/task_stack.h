// SPDX-License-Identifier: GPL-2.0
//
// Per-task shadow stacks: what a task owns, how a task finds its own in O(1)
// without a lock, and where new ones come from without allocating on the
// tracing path.
//
//   TaskTable:  pid -> TaskStack*, three levels (directory, groups of
//               chunks, chunks of 1024 slots) covering every possible pid
//               (PID_MAX_LIMIT); groups and chunks exist only for pid ranges
//               in use. Idle tasks all have pid 0, so each CPU's idle task
//               has its own slot.
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

// A return dispatch in progress on a task: which frame, which user is being
// called. Dispatches nest (a return callback may call traced functions), so
// each remembers the one it interrupted.
struct Dispatch {
	Dispatch *prev;
	u32 frame;
	u32 slot;
	u64 *data;		// the user's data words in the frame
	u32 data_words;
};

inline constexpr usize kTaskHeaderBytes = 4 * sizeof(void *) + 2 * sizeof(u64) * MFG_MAX_USERS;

struct TaskStack {
	using Frames = ShadowStack<MFG_SHADOW_STACK_BYTES - kTaskHeaderBytes>;

	void *owner;		// the task (struct task_struct *)
	Dispatch *dispatch;	// innermost return dispatch, or null
	TaskStack *free_next;	// on the deferred-free list
	void *pad;
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

// Where a task's stack pointer lives. Key: the pid, or for an idle task
// (pid 0 on every CPU) -1 - cpu.
//
// Three levels, so that memory follows the pids in use: a directory of 64
// pointers (each covering 65536 pids) inside the table, groups of 64 chunk
// pointers, and chunks of 1024 slots. A system with pids below a few
// thousand uses the table, one group and a few chunks.
class TaskTable {
public:
	static constexpr u32 kChunkBits = MFG_PID_CHUNK_BITS;
	static constexpr u32 kChunkSlots = 1u << kChunkBits;
	static constexpr u32 kGroupBits = 6;
	static constexpr u32 kGroupChunks = 1u << kGroupBits;
	static constexpr u32 kMaxPid = MFG_PID_LIMIT; // PID_MAX_LIMIT on 64-bit
	static constexpr u32 kGroups = kMaxPid >> (kChunkBits + kGroupBits);

	using Slot = ktl::Atomic<TaskStack *>;
	struct Chunk {
		Slot slots[kChunkSlots];
	};
	struct Group {
		ktl::Atomic<Chunk *> chunks[kGroupChunks];
	};

	// Build an empty table (no chunks). Context: may sleep.
	static TaskTable *create(u32 nr_cpus)
	{
		auto *t = ktl::zalloc_counted<TaskTable>(bytes_for(nr_cpus));
		if (t)
			t->nr_cpus_ = nr_cpus;
		return t;
	}

	// Free the table and its chunks (not the stacks). Context: may sleep.
	static void destroy(TaskTable *t)
	{
		if (!t)
			return;
		for (u32 g = 0; g < kGroups; g++) {
			Group *group = t->groups_[g].load_relaxed();
			if (!group)
				continue;
			for (u32 c = 0; c < kGroupChunks; c++)
				ktl::free_counted(group->chunks[c].load_relaxed(), sizeof(Chunk));
			ktl::free_counted(group, sizeof(Group));
		}
		ktl::free_counted(t, bytes_for(static_cast<u32>(t->nr_cpus_)));
	}

	// The slot of @key, or null when its chunk does not exist yet.
	Slot *slot(long key)
	{
		if (key < 0) {
			const u64 cpu = static_cast<u64>(-1 - key);
			return cpu < nr_cpus_ ? &idle_slots()[cpu] : nullptr;
		}
		const u64 pid = static_cast<u64>(key);
		if (pid >= kMaxPid)
			return nullptr;
		Group *g = groups_[pid >> (kChunkBits + kGroupBits)].load_acquire();
		if (!g)
			return nullptr;
		Chunk *c = g->chunks[(pid >> kChunkBits) & (kGroupChunks - 1)].load_acquire();
		return c ? &c->slots[pid & (kChunkSlots - 1)] : nullptr;
	}

	// Make sure @pid's chunk exists. Returns false only when out of memory.
	// Callers serialise growth; readers may run concurrently.
	bool grow(long pid)
	{
		if (pid < 0 || static_cast<u64>(pid) >= kMaxPid)
			return pid < 0;
		auto &g = groups_[pid >> (kChunkBits + kGroupBits)];
		if (!g.load_relaxed()) {
			auto *fresh = ktl::zalloc_counted<Group>(sizeof(Group));
			if (!fresh)
				return false;
			// Zeroed pointers before the group is visible.
			g.store_release(fresh);
		}
		auto &c = g.load_relaxed()->chunks[(pid >> kChunkBits) & (kGroupChunks - 1)];
		if (c.load_relaxed())
			return true;
		auto *fresh = ktl::zalloc_counted<Chunk>(sizeof(Chunk));
		if (!fresh)
			return false;
		// Zeroed slots before the chunk is visible.
		c.store_release(fresh);
		return true;
	}

	// Visit every slot that holds a stack. Context: callers serialise.
	template <typename Fn> void for_each_stack(Fn &&fn)
	{
		for (u32 i = 0; i < nr_cpus_; i++)
			if (TaskStack *s = idle_slots()[i].load_acquire())
				fn(idle_slots()[i], s);
		for_each_chunk([&](Chunk *c) {
			for (u32 j = 0; j < kChunkSlots; j++)
				if (TaskStack *s = c->slots[j].load_acquire())
					fn(c->slots[j], s);
		});
	}

	u32 chunks_in_use()
	{
		u32 n = 0;
		for_each_chunk([&](Chunk *) { ++n; });
		return n;
	}

private:
	template <typename Fn> void for_each_chunk(Fn &&fn)
	{
		for (u32 g = 0; g < kGroups; g++) {
			Group *group = groups_[g].load_acquire();
			for (u32 c = 0; group && c < kGroupChunks; c++)
				if (Chunk *chunk = group->chunks[c].load_acquire())
					fn(chunk);
		}
	}

	static usize bytes_for(u32 nr_cpus) { return sizeof(TaskTable) + nr_cpus * sizeof(Slot); }
	Slot *idle_slots() { return reinterpret_cast<Slot *>(this + 1); }

	u64 nr_cpus_;
	ktl::Atomic<Group *> groups_[kGroups];
};

static_assert(TaskTable::kGroups * TaskTable::kGroupChunks * TaskTable::kChunkSlots == MFG_PID_LIMIT);

// Zeroed stacks ready for tasks that enter traced code, per CPU.
//
// take() runs on the tracing path in any context, NMI included, and only for
// the local CPU; put() runs in task context with preemption disabled, also
// only for the local CPU. As nothing can interrupt an NMI's take(), and a
// put() never interrupts a take(), a compare-and-swap on the count is
// enough: an interrupted take() or put() sees the count move and retries.
class StackPool {
public:
	static constexpr u32 kPerCpu = 2;
	static constexpr u32 kLowWater = 1;

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
