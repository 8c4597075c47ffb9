// SPDX-License-Identifier: GPL-2.0
// Test fixtures for mfg-report: format files and raw ring-buffer pages
// written the way the kernel writes them (kernel/trace/ring_buffer.c):
// a page is "u64 timestamp; local_t commit; data", an event a 32-bit word
// of type_len:5 and time_delta:27, then the payload (type_len 1..28: that
// many words; 0: a length word first), TIME_EXTEND (30) for deltas over 27
// bits and PADDING (29) to fill a page's end.
#pragma once

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace fixture {

struct Field {
	std::string type, name;
	int size;
	bool is_signed = false;
	int offset = -1;	// -1: next one, aligned to its size
};

struct EventFormat {
	std::string name;
	int id;
	std::vector<Field> fields;
	int size = 8;

	EventFormat(std::string n, int i, std::vector<Field> f) : name(std::move(n)), id(i), fields(std::move(f))
	{
		int off = 8;	// common_type, common_flags, common_preempt_count, common_pid
		for (auto &x : fields) {
			if (x.offset < 0) {
				off = (off + x.size - 1) / x.size * x.size;
				x.offset = off;
			}
			off = std::max(off, x.offset + x.size);
		}
		size = off;
	}

	std::string text() const
	{
		std::string s = "name: " + name + "\nID: " + std::to_string(id) + "\nformat:\n"
			"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
			"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
			"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
			"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n";
		for (auto &f : fields)
			s += "\tfield:" + f.type + " " + f.name + ";\toffset:" + std::to_string(f.offset) +
			     ";\tsize:" + std::to_string(f.size) + ";\tsigned:" + (f.is_signed ? "1" : "0") + ";\n";
		s += "\nprint fmt: \"inst=%u depth=%u func=%ps\", REC->instance, REC->depth, (void *)REC->func\n";
		return s;
	}

	std::vector<uint8_t> payload(int pid, const std::map<std::string, uint64_t> &vals) const
	{
		std::vector<uint8_t> p(size, 0);
		uint16_t type = id;
		memcpy(p.data(), &type, 2);
		memcpy(p.data() + 4, &pid, 4);
		for (auto &f : fields) {
			auto it = vals.find(f.name);
			uint64_t v = it == vals.end() ? 0 : it->second;
			memcpy(p.data() + f.offset, &v, f.size);	// little endian
		}
		return p;
	}
};

// The contract's events, fields in the order given (layouts may change).
inline EventFormat entry_format(int id = 1501)
{
	return EventFormat("graph_entry", id, {{"unsigned int", "instance", 4}, {"unsigned int", "depth", 4},
					       {"unsigned long", "func", 8}});
}

inline EventFormat return_format(const std::string &name = "graph_return", int id = 1502)
{
	return EventFormat(name, id, {{"unsigned int", "instance", 4}, {"unsigned int", "depth", 4},
				     {"unsigned long", "func", 8}, {"unsigned long", "retval", 8},
				     {"unsigned int", "has_retval", 4}, {"u64", "calltime", 8},
				     {"u64", "rettime", 8}});
}

inline std::string header_page(int page_size = 4096)
{
	return "\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n"
	       "\tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n"
	       "\tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\n"
	       "\tfield: char data;\toffset:16;\tsize:" + std::to_string(page_size - 16) + ";\tsigned:1;\n";
}

class RingWriter {
public:
	explicit RingWriter(size_t page_size = 4096) : page_(page_size) {}

	void add(uint64_t ts, const std::vector<uint8_t> &data)
	{
		size_t len = data.empty() ? 1 : data.size();
		bool big = len > 28 * 4;
		size_t evlen = 4 + (big ? 4 : 0) + ((len + 3) & ~size_t(3));
		if (open_ && ts < last_ts_)
			ts = last_ts_;
		uint64_t delta = open_ ? ts - last_ts_ : 0;
		size_t need = evlen + (delta >= (1u << 27) ? 8 : 0);
		if (open_ && tail_ + need > page_ - 16)
			flush(true);
		if (!open_) {
			cur_.assign(page_, 0);
			memcpy(cur_.data(), &ts, 8);
			tail_ = 0;
			last_ts_ = ts;
			delta = 0;
			open_ = true;
		}
		if (delta >= (1u << 27)) {
			put32(30 | uint32_t(delta & ((1u << 27) - 1)) << 5);
			put32(uint32_t(delta >> 27));
			delta = 0;
		}
		if (big) {
			put32(uint32_t(delta) << 5);
			put32(uint32_t(len + 4));
		} else {
			put32(uint32_t((len + 3) / 4) | uint32_t(delta) << 5);
		}
		memcpy(cur_.data() + 16 + tail_, data.data(), data.size());
		tail_ += (len + 3) & ~size_t(3);
		last_ts_ = ts;
	}

	// Ends the current page: padded to the end when full, as the kernel
	// leaves a page it moved off; partial (commit = tail) otherwise.
	void flush(bool pad)
	{
		if (!open_)
			return;
		size_t dsz = page_ - 16;
		if (pad && tail_ < dsz) {
			size_t rest = dsz - tail_;
			put32(29 | 1u << 5);
			if (rest >= 8)
				put32(uint32_t(rest - 4));
			tail_ = dsz;
		}
		uint64_t commit = tail_;
		memcpy(cur_.data() + 8, &commit, 8);
		out_.append((const char *)cur_.data(), cur_.size());
		open_ = false;
	}

	std::string bytes()
	{
		flush(false);
		return out_;
	}

private:
	void put32(uint32_t v)
	{
		memcpy(cur_.data() + 16 + tail_, &v, 4);
		tail_ += 4;
	}

	size_t page_;
	std::vector<uint8_t> cur_;
	std::string out_;
	size_t tail_ = 0;
	uint64_t last_ts_ = 0;
	bool open_ = false;
};

inline void write(const std::filesystem::path &p, const std::string &s)
{
	std::filesystem::create_directories(p.parent_path());
	std::ofstream(p, std::ios::binary) << s;
}

// A trace directory as the contract lays it out.
struct Dir {
	EventFormat entry = entry_format(), ret = return_format();
	std::map<int, RingWriter> cpus;
	std::string kallsyms, cmdlines, instances;

	void enter(int cpu, uint64_t ts, int pid, uint32_t inst, uint32_t depth, uint64_t func)
	{
		cpus[cpu].add(ts, entry.payload(pid, {{"instance", inst}, {"depth", depth}, {"func", func}}));
	}
	void leave(int cpu, uint64_t ts, int pid, uint32_t inst, uint32_t depth, uint64_t func,
		   uint64_t calltime, uint64_t retval, bool has_retval = true)
	{
		cpus[cpu].add(ts, ret.payload(pid, {{"instance", inst}, {"depth", depth}, {"func", func},
						    {"retval", retval}, {"has_retval", has_retval},
						    {"calltime", calltime}, {"rettime", ts}}));
	}

	void save(const std::filesystem::path &d)
	{
		std::filesystem::remove_all(d);
		write(d / "events/header_page", header_page());
		write(d / "events/mfgraph/graph_entry/format", entry.text());
		write(d / "events/mfgraph/graph_return/format", ret.text());
		for (auto &[cpu, w] : cpus)
			write(d / ("per_cpu/cpu" + std::to_string(cpu)) / "trace_pipe_raw", w.bytes());
		write(d / "kallsyms", kallsyms);
		write(d / "saved_cmdlines", cmdlines);
		write(d / "instances", instances);
	}
};

} // namespace fixture
