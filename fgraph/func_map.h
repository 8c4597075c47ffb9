// SPDX-License-Identifier: GPL-2.0
//
// The function map: which users want a traced function.
//
// The entry hook asks one question per call, "which users want @ip?", and
// must answer it in O(1) however many users and filters exist. The map is
// built off the fast path whenever a filter changes, then published whole
// (RCU in the kernel); readers never see one being modified.
//
// It is an open-addressing hash table (linear probing, load factor <= 1/2)
// from function address to a mask of user slots, plus one mask of users whose
// filter is "everything", so "*" costs no table space at all.
#ifndef MFG_FUNC_MAP_H
#define MFG_FUNC_MAP_H

#include "ktl.h"
#include "registry.h"

namespace mfg {

// One user's filter, as the map builder reads it.
struct UserFilter {
	u32 slot;
	bool all;	  // the user traces every traceable function
	const u64 *ips;	  // function addresses (duplicates allowed)
	u32 count;
};

class FuncMap {
public:
	struct Entry {
		u64 ip;	// 0: empty
		UserMask users;
	};

	// Build a map from @n filters. Returns null with *@err = -ENOMEM when
	// memory runs out, or -EINVAL for a slot out of range or a zero address.
	// Context: may sleep.
	static FuncMap *create(const UserFilter *filters, u32 n, int *err)
	{
		u64 total = 0;
		for (u32 i = 0; i < n; i++) {
			if (filters[i].slot >= MFG_MAX_USERS || (filters[i].count && !filters[i].ips)) {
				*err = -ktl::err::kInval;
				return nullptr;
			}
			total += filters[i].count;
		}
		const u64 capacity = ktl::max<u64>(ktl::round_up_pow2(2 * total), 2);
		if (capacity > (u64{1} << 30)) {
			*err = -ktl::err::kNoMem;
			return nullptr;
		}
		void *mem = ktl::zalloc_counted<void>(sizeof(FuncMap) + capacity * sizeof(Entry));
		if (!mem) {
			*err = -ktl::err::kNoMem;
			return nullptr;
		}
		auto *map = static_cast<FuncMap *>(mem);
		map->capacity_ = static_cast<u32>(capacity);
		map->shift_ = 64 - ktl::log2_pow2(capacity);
		for (u32 i = 0; i < n; i++) {
			const UserMask bit = UserMask{1} << filters[i].slot;
			if (filters[i].all)
				map->all_users_ |= bit;
			for (u32 j = 0; j < filters[i].count; j++) {
				if (!filters[i].ips[j]) {
					destroy(map);
					*err = -ktl::err::kInval;
					return nullptr;
				}
				map->insert(filters[i].ips[j], bit);
			}
		}
		*err = 0;
		return map;
	}

	static void destroy(FuncMap *map)
	{
		if (map)
			ktl::free_counted(map, sizeof(FuncMap) + map->capacity_ * sizeof(Entry));
	}

	// The users that want @ip. The fast-path lookup: one hash, a short probe.
	UserMask users_for(u64 ip) const
	{
		const Entry *table = entries();
		for (u32 i = home(ip);; i = (i + 1) & (capacity_ - 1)) {
			const u64 key = table[i].ip;
			if (key == ip)
				return all_users_ | table[i].users;
			if (!key)
				return all_users_;
		}
	}

	UserMask all_users() const { return all_users_; }
	u32 size() const { return size_; }
	u32 capacity() const { return capacity_; }

	// The longest probe sequence any key needs: a health figure for tests
	// and statistics, not used on the fast path.
	u32 max_probe() const
	{
		u32 worst = 0;
		const Entry *table = entries();
		for (u32 i = 0; i < capacity_; i++) {
			if (!table[i].ip)
				continue;
			const u32 dist = (i - home(table[i].ip)) & (capacity_ - 1);
			worst = ktl::max(worst, dist + 1);
		}
		return worst;
	}

	// Visit every (ip, users) pair with a non-empty table entry.
	template <typename Fn> void for_each(Fn &&fn) const
	{
		const Entry *table = entries();
		for (u32 i = 0; i < capacity_; i++)
			if (table[i].ip)
				fn(table[i].ip, table[i].users);
	}

private:
	FuncMap() = default;

	// The table follows the object in the same allocation.
	Entry *entries() { return reinterpret_cast<Entry *>(this + 1); }
	const Entry *entries() const { return reinterpret_cast<const Entry *>(this + 1); }

	u32 home(u64 ip) const { return static_cast<u32>((ip * 0x9e3779b97f4a7c15ull) >> shift_); }

	void insert(u64 ip, UserMask bit)
	{
		Entry *table = entries();
		for (u32 i = home(ip);; i = (i + 1) & (capacity_ - 1)) {
			if (table[i].ip == ip) {
				table[i].users |= bit;
				return;
			}
			if (!table[i].ip) {
				table[i].ip = ip;
				table[i].users = bit;
				++size_;
				return;
			}
		}
	}

	UserMask all_users_;
	u32 capacity_;
	u32 size_;
	unsigned shift_;
	u32 pad_;
};

static_assert(sizeof(FuncMap) % alignof(FuncMap::Entry) == 0);

} // namespace mfg

#endif // MFG_FUNC_MAP_H
