// SPDX-License-Identifier: GPL-2.0
// mfg-report: reading mfgraph trace events out of raw ring-buffer pages.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace mfg {

// Everything wrong with the input goes here: a message naming the file and
// the offset, printed at once (unless quiet) and kept for tests.
struct Diag {
	bool echo = true;
	std::vector<std::string> messages;
	void warn(const std::string &file, long long offset, const std::string &msg);
	void note(const std::string &msg);
	// A badly damaged file says the first few things wrong with it, then
	// how many more there were (finish()).
	static constexpr unsigned per_file = 20;
	void finish();
private:
	std::map<std::string, unsigned> count_;
};

enum class Kind { Entry, Return, Leaf };

struct Event {
	uint64_t ts = 0;	// ring-buffer timestamp
	int cpu = 0;
	uint32_t seq = 0;	// order within its CPU's file, ties on ts
	int pid = 0;
	Kind kind = Kind::Entry;
	uint32_t instance = 0;
	uint32_t depth = 0;
	uint64_t func = 0;
	uint64_t retval = 0;
	bool has_retval = false;
	uint64_t calltime = 0;
	uint64_t rettime = 0;
};

class Symbols {
public:
	void load(const std::string &text);
	bool empty() const { return syms_.empty(); }
	// The name of the function holding addr, or addr in hex.
	std::string name(uint64_t addr) const;
private:
	struct Sym { uint64_t addr; std::string name; };
	std::vector<Sym> syms_;
};

struct Trace {
	std::vector<Event> events;	// all CPUs, sorted by (ts, cpu, seq)
	std::map<uint32_t, std::string> instances;
	std::map<int, std::string> comms;
	Symbols syms;
	int ncpus = 0;
	uint64_t pages = 0;
	uint64_t lost_events = 0;	// as counted by the ring buffer
	uint64_t other_events = 0;	// events of types we do not read
	uint64_t bad_events = 0;	// events too short for their format

	std::string comm(int pid) const;
	std::string instance_name(uint32_t id) const;
};

struct LoadOptions {
	bool live = false;	// dir is a live tracefs root: read trace_pipe_raw non-blocking
};

// Reads the input directory (see README). Returns false only when nothing
// at all could be read; every problem is reported through diag.
bool load_trace(const std::string &dir, const LoadOptions &opt, Trace &out, Diag &diag);

// Exposed for tests: decode one CPU's raw pages into events.
struct PageDecoder;

} // namespace mfg
