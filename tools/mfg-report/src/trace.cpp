// SPDX-License-Identifier: GPL-2.0
// mfg-report: reading mfgraph trace events out of raw ring-buffer pages.
//
// libtraceevent parses the format files and reads fields by name; its kbuffer
// walks the pages. kbuffer trusts the page it is given (a corrupted length
// can send it past the page or round in a loop), so each page is first walked
// here with the same rules, and kbuffer only ever sees the prefix that walk
// found sound, in a copy with slack behind it.
#include "trace.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <unistd.h>

extern "C" {
#include <traceevent/event-parse.h>
#include <traceevent/kbuffer.h>
}

namespace mfg {

void Diag::warn(const std::string &file, long long offset, const std::string &msg)
{
	if (++count_[file] > per_file)
		return;
	std::string m = "mfg-report: " + file;
	if (offset >= 0)
		m += " offset " + std::to_string(offset) + " (0x" +
		     [&] { char b[32]; snprintf(b, sizeof(b), "%llx", offset); return std::string(b); }() + ")";
	m += ": " + msg;
	if (echo)
		std::cerr << m << '\n';
	messages.push_back(m);
}

void Diag::finish()
{
	for (auto &[file, n] : count_)
		if (n > per_file)
			note(file + ": " + std::to_string(n - per_file) + " more problems not shown");
	count_.clear();
}

void Diag::note(const std::string &msg)
{
	std::string m = "mfg-report: " + msg;
	if (echo)
		std::cerr << m << '\n';
	messages.push_back(m);
}

static std::string hex(uint64_t v)
{
	char b[24];
	snprintf(b, sizeof(b), "0x%llx", (unsigned long long)v);
	return b;
}

void Symbols::load(const std::string &text)
{
	std::istringstream in(text);
	std::string line;
	while (std::getline(in, line)) {
		char type = 0;
		char name[512];
		unsigned long long addr;
		// "ffffffff81000000 T _stext" or "... t func\t[module]"
		if (sscanf(line.c_str(), "%llx %c %511s", &addr, &type, name) != 3)
			continue;
		if (!strchr("tTwW", type) || addr == 0)
			continue;
		syms_.push_back({addr, name});
	}
	std::stable_sort(syms_.begin(), syms_.end(),
			 [](const Sym &a, const Sym &b) { return a.addr < b.addr; });
}

std::string Symbols::name(uint64_t addr) const
{
	auto it = std::upper_bound(syms_.begin(), syms_.end(), addr,
				   [](uint64_t a, const Sym &s) { return a < s.addr; });
	if (it == syms_.begin())
		return hex(addr);
	--it;
	// kallsyms has no sizes; past 1 MiB the nearest symbol is not an owner.
	// Inside one, the name alone, as %ps prints it: the traced address is
	// the fentry call site, a few bytes into the function (endbr64, BTI).
	if (addr - it->addr > (1u << 20))
		return hex(addr);
	return it->name;
}

std::string Trace::comm(int pid) const
{
	if (pid == 0)
		return "<idle>";
	auto it = comms.find(pid);
	return it == comms.end() ? "<...>" : it->second;
}

std::string Trace::instance_name(uint32_t id) const
{
	auto it = instances.find(id);
	return it == instances.end() ? std::to_string(id) : it->second;
}

static bool read_file(const std::string &path, std::string &out, bool nonblock = false)
{
	int fd = open(path.c_str(), O_RDONLY | (nonblock ? O_NONBLOCK : 0));
	if (fd < 0)
		return false;
	out.clear();
	char buf[65536];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)	// EOF, or EAGAIN on a drained live buffer
			break;
		out.append(buf, n);
	}
	close(fd);
	return true;
}

namespace {

struct Layout {
	int long_size = 8;
	int page_size = 4096;	// whole sub-buffer, header included
	int data_offset = 16;
};

struct Field {
	tep_format_field *f = nullptr;
	bool ok(int rec_size) const { return f && f->offset >= 0 && f->size > 0 && f->size <= 8 &&
					     f->offset + f->size <= rec_size; }
};

struct EventDesc {
	EventDesc(Kind k, const char *n) : kind(k), name(n) {}
	Kind kind;
	const char *name;
	int id = -1;
	int min_size = 0;	// record size that holds every field we read
	Field instance, depth, func, retval, has_retval, calltime, rettime, pid;
};

class Reader {
public:
	Reader(Trace &t, Diag &d) : t_(t), d_(d) {}
	~Reader()
	{
		if (kbuf_)
			kbuffer_free(kbuf_);
		if (tep_)
			tep_free(tep_);
	}
	bool setup(const std::string &dir);
	void read_cpu(int cpu, const std::string &path, const std::string &data);

private:
	bool parse_format(EventDesc &e, const std::string &dir);
	size_t sound_prefix(const uint8_t *data, size_t size, size_t limit,
			    const std::string &file, size_t page_off);
	void decode(const EventDesc &e, void *data, int size, uint64_t ts, int cpu);

	Trace &t_;
	Diag &d_;
	tep_handle *tep_ = nullptr;
	kbuffer *kbuf_ = nullptr;
	Layout lay_;
	Field common_type_;
	std::vector<EventDesc> evs_ = {EventDesc(Kind::Entry, "graph_entry"),
				       EventDesc(Kind::Return, "graph_return"),
				       EventDesc(Kind::Leaf, "graph_leaf")};
	uint32_t seq_ = 0;
};

bool Reader::setup(const std::string &dir)
{
	tep_set_loglevel(TEP_LOG_NONE);	// we say what failed ourselves
	tep_ = tep_alloc();
	if (!tep_)
		return false;

	std::string hp_path = dir + "/events/header_page", hp;
	if (!read_file(hp_path, hp) || hp.empty()) {
		d_.warn(hp_path, -1, "missing; assuming 8-byte longs and 4096-byte pages");
	} else {
		tep_parse_header_page(tep_, hp.data(), hp.size(), 8);
		int ts = tep_get_header_timestamp_size(tep_);
		int ls = tep_get_header_page_size(tep_);
		int sub = tep_get_sub_buffer_size(tep_);
		// The page is "u64 timestamp; local_t commit; data": anything else
		// is a header_page this reader (and kbuffer) cannot follow.
		if (ts != 8 || (ls != 4 && ls != 8) || sub < 64 || sub > (64 << 20)) {
			d_.warn(hp_path, -1, "cannot parse (timestamp size " + std::to_string(ts) +
				", commit size " + std::to_string(ls) + ", page size " +
				std::to_string(sub) + "); assuming 8-byte longs and 4096-byte pages");
		} else {
			lay_.long_size = ls;
			lay_.page_size = sub;
			lay_.data_offset = 8 + ls;
		}
	}
	tep_set_long_size(tep_, lay_.long_size);
	tep_set_page_size(tep_, lay_.page_size);
	tep_set_file_bigendian(tep_, TEP_LITTLE_ENDIAN);
	tep_set_local_bigendian(tep_, TEP_LITTLE_ENDIAN);
	kbuf_ = kbuffer_alloc(lay_.long_size == 8 ? KBUFFER_LSIZE_8 : KBUFFER_LSIZE_4,
			      KBUFFER_ENDIAN_SAME_AS_HOST);
	if (!kbuf_)
		return false;

	int usable = 0;
	for (auto &e : evs_)
		usable += parse_format(e, dir);
	return usable > 0;
}

bool Reader::parse_format(EventDesc &e, const std::string &dir)
{
	std::string path = dir + "/events/mfgraph/" + e.name + "/format", buf;
	if (!read_file(path, buf)) {
		if (e.kind != Kind::Leaf)	// graph_leaf is optional
			d_.warn(path, -1, std::string("missing: no ") + e.name + " events will be read");
		return false;
	}
	tep_event *ev = nullptr;
	enum tep_errno err = tep_parse_format(tep_, &ev, buf.data(), buf.size(), "mfgraph");
	if (err || !ev) {
		char msg[256] = "";
		tep_strerror(tep_, err, msg, sizeof(msg));
		d_.warn(path, -1, std::string("cannot parse format: ") + msg);
		return false;
	}
	if (!ev->name || strcmp(ev->name, e.name)) {
		d_.warn(path, -1, std::string("format names event '") + (ev->name ? ev->name : "") +
			"', expected '" + e.name + "'");
		return false;
	}
	auto field = [&](const char *name, bool required, Field &f) {
		f.f = tep_find_field(ev, name);
		if (f.f && (f.f->size <= 0 || f.f->size > 8 || f.f->offset < 0)) {
			d_.warn(path, -1, std::string("field '") + name + "' has size " +
				std::to_string(f.f->size) + ", offset " + std::to_string(f.f->offset));
			f.f = nullptr;
		}
		if (!f.f && required) {
			d_.warn(path, -1, std::string("no usable field '") + name + "'");
			return false;
		}
		if (f.f)
			e.min_size = std::max(e.min_size, f.f->offset + f.f->size);
		return true;
	};
	bool ok = true;
	ok &= field("instance", true, e.instance);
	ok &= field("depth", true, e.depth);
	ok &= field("func", true, e.func);
	if (e.kind != Kind::Entry) {
		ok &= field("calltime", true, e.calltime);
		ok &= field("rettime", true, e.rettime);
		field("retval", false, e.retval);
		field("has_retval", false, e.has_retval);
	}
	Field ctype;
	ctype.f = tep_find_common_field(ev, "common_type");
	e.pid.f = tep_find_common_field(ev, "common_pid");
	if (!ctype.f || ctype.f->size > 8 || ctype.f->offset < 0 || !e.pid.f ||
	    e.pid.f->size > 8 || e.pid.f->offset < 0) {
		d_.warn(path, -1, "no common_type/common_pid fields");
		ok = false;
	}
	if (!ok)
		return false;
	if (!common_type_.f)
		common_type_ = ctype;
	e.min_size = std::max({e.min_size, ctype.f->offset + ctype.f->size,
			       e.pid.f->offset + e.pid.f->size});
	for (auto &o : evs_)
		if (o.id == ev->id) {
			d_.warn(path, -1, "event ID " + std::to_string(ev->id) + " is also " + o.name);
			return false;
		}
	e.id = ev->id;
	return true;
}

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

// Walks a page's events the way kbuffer will and returns how much of the
// commit it can read safely: every event header and body inside the commit,
// every step forward. Reports the first thing wrong.
size_t Reader::sound_prefix(const uint8_t *data, size_t size, size_t limit,
			    const std::string &file, size_t page_off)
{
	size_t off = 0;
	auto bad = [&](const std::string &why) {
		d_.warn(file, page_off + lay_.data_offset + off,
			why + "; dropping the rest of this page (" +
			std::to_string(size - off) + " bytes)");
		return off;
	};
	while (off < size) {
		if (size - off < 4)
			return bad("event header cut short by the commit");
		uint32_t w = rd32(data + off);
		uint32_t type_len = w & 31;
		size_t next;
		if (type_len == KBUFFER_TYPE_PADDING) {
			// Tail padding may have no length word, or run to the
			// page's end: either way the page ends here.
			if (size - off < 8)
				return size;
			uint32_t len = rd32(data + off + 4);
			if (len == 0 || (int32_t)len < 0)
				return bad("padding event with length " + std::to_string((int32_t)len));
			next = off + 4 + (size_t)len;
			if (next >= size)
				return size;
		} else if (type_len == KBUFFER_TYPE_TIME_EXTEND || type_len == KBUFFER_TYPE_TIME_STAMP) {
			if (size - off < 8)
				return bad("time extend cut short by the commit");
			next = off + 8;
		} else if (type_len == 0) {
			if (size - off < 8)
				return bad("event length word cut short by the commit");
			uint32_t len = rd32(data + off + 4);
			if (len < 4 || len > limit)
				return bad("event length " + std::to_string(len) + " out of range");
			next = off + 8 + (((size_t)len - 4 + 3) & ~(size_t)3);
			if (next > size)
				return bad("event of " + std::to_string(len - 4) +
					   " bytes runs past the commit");
		} else {
			next = off + 4 + 4 * (size_t)type_len;
			if (next > size)
				return bad("event of " + std::to_string(4 * type_len) +
					   " bytes runs past the commit");
		}
		off = next;
	}
	return size;
}

void Reader::read_cpu(int cpu, const std::string &path, const std::string &raw)
{
	const size_t psz = lay_.page_size, dsz = psz - lay_.data_offset;
	if (raw.size() % psz)
		d_.warn(path, raw.size() - raw.size() % psz,
			"file ends in a partial page of " + std::to_string(raw.size() % psz) +
			" bytes (page size " + std::to_string(psz) + ")");
	// kbuffer reads up to 8 bytes at the commit and a lost-events long
	// behind it: give every copy that much slack, zeroed.
	std::vector<uint8_t> page(psz + 16);
	uint64_t prev_ts = 0;
	bool have_prev = false;
	size_t nfull = raw.size() / psz;
	// A partial page at the end is still read, up to where it stops.
	for (size_t i = 0; i * psz < raw.size(); i++) {
		size_t off = i * psz;
		size_t avail = std::min(psz, raw.size() - off);
		if (avail < (size_t)lay_.data_offset) {
			d_.warn(path, off, "page header cut short");
			break;
		}
		std::fill(page.begin(), page.end(), 0);
		memcpy(page.data(), raw.data() + off, avail);
		uint64_t commit = 0;
		memcpy(&commit, page.data() + 8, lay_.long_size);
		const uint64_t missed = 1ull << 31, stored = 1ull << 30, mask = (1ull << 27) - 1;
		if (commit & ~(mask | missed | stored)) {
			d_.warn(path, off + 8, "corrupted commit field " + hex(commit) + "; page skipped");
			continue;
		}
		size_t size = commit & mask;
		if (size == 0)
			continue;
		t_.pages++;
		size_t limit = std::min(dsz, avail - lay_.data_offset);
		if (size > limit) {
			d_.warn(path, off + 8, "commit " + std::to_string(size) +
				(i >= nfull ? " past the end of the file" : " larger than the page's data") +
				" (" + std::to_string(limit) + " bytes); reading what is there");
			size = limit;
		}
		if (commit & missed) {
			if ((commit & stored) && size + lay_.long_size <= dsz) {
				uint64_t lost = 0;
				memcpy(&lost, page.data() + lay_.data_offset + size, lay_.long_size);
				if (lost < (1ull << 40))
					t_.lost_events += lost;
			} else {
				t_.lost_events++;	// unknown count: at least one
			}
		}
		size = sound_prefix(page.data() + lay_.data_offset, size, dsz, path, off);
		// What kbuffer gets: the sound prefix, no missed-events flags.
		uint64_t fixed = size;
		memcpy(page.data() + 8, &fixed, lay_.long_size);
		if (!size)
			continue;

		kbuffer_load_subbuffer(kbuf_, page.data());
		unsigned long long ts = 0;
		void *ev = kbuffer_read_event(kbuf_, &ts);
		if (ev && have_prev && ts < prev_ts)
			d_.warn(path, off, "page starts " + std::to_string(prev_ts - ts) +
				" ns before the previous page's last event (pages out of order); "
				"events are merged by timestamp");
		for (; ev; ev = kbuffer_next_event(kbuf_, &ts)) {
			int esz = kbuffer_event_size(kbuf_);
			int eoff = kbuffer_curr_offset(kbuf_);
			if (esz < 0 || eoff < 0 || (size_t)eoff + esz > psz) {
				d_.warn(path, off + eoff, "event outside its page; page dropped");
				break;
			}
			prev_ts = ts;
			have_prev = true;
			if (!common_type_.ok(esz)) {
				t_.bad_events++;
				continue;
			}
			int type = (int)tep_read_number(tep_, (char *)ev + common_type_.f->offset,
						       common_type_.f->size);
			const EventDesc *desc = nullptr;
			for (auto &e : evs_)
				if (e.id >= 0 && e.id == type)
					desc = &e;
			if (!desc) {
				t_.other_events++;
				continue;
			}
			if (esz < desc->min_size) {
				if (t_.bad_events++ < 5)
					d_.warn(path, off + eoff, std::string(desc->name) + " event of " +
						std::to_string(esz) + " bytes, its format needs " +
						std::to_string(desc->min_size) + "; skipped");
				continue;
			}
			decode(*desc, ev, esz, ts, cpu);
		}
	}
}

void Reader::decode(const EventDesc &e, void *data, int size, uint64_t ts, int cpu)
{
	auto get = [&](const Field &f) -> uint64_t {
		unsigned long long v = 0;
		if (f.ok(size))
			tep_read_number_field(f.f, data, &v);
		return v;
	};
	Event ev;
	ev.ts = ts;
	ev.cpu = cpu;
	ev.seq = seq_++;
	ev.kind = e.kind;
	ev.pid = (int)get(e.pid);
	ev.instance = (uint32_t)get(e.instance);
	ev.depth = (uint32_t)get(e.depth);
	ev.func = get(e.func);
	if (e.kind != Kind::Entry) {
		ev.retval = get(e.retval);
		ev.has_retval = e.has_retval.f ? get(e.has_retval) != 0 : e.retval.f != nullptr;
		ev.calltime = get(e.calltime);
		ev.rettime = get(e.rettime);
	}
	t_.events.push_back(ev);
}

} // namespace

static void load_names(const std::string &dir, Trace &t, Diag &d, bool live)
{
	std::string buf, path = dir + "/kallsyms";
	if (!read_file(path, buf) && live)
		read_file(path = "/proc/kallsyms", buf);
	if (buf.empty())
		d.warn(path, -1, "missing or empty: functions are shown as addresses");
	t.syms.load(buf);
	if (!buf.empty() && t.syms.empty())
		d.warn(path, -1, "no text symbol with an address (kptr_restrict?): "
		       "functions are shown as addresses");

	path = dir + "/saved_cmdlines";
	if (!read_file(path, buf))
		d.warn(path, -1, "missing: tasks are shown by pid only");
	std::istringstream in(buf);
	std::string line;
	while (std::getline(in, line)) {
		int pid;
		char comm[64];
		if (sscanf(line.c_str(), "%d %63s", &pid, comm) == 2)
			t.comms[pid] = comm;
	}

	// A file "id name" per line; in a live tracefs "instances" is the
	// kernel's own directory, so look beside the control files too.
	path = dir + "/instances";
	if (!read_file(path, buf) || buf.empty())
		read_file(path = dir + "/mfgraph/instances", buf);
	std::istringstream in2(buf);
	while (std::getline(in2, line)) {
		unsigned id;
		char name[256];
		if (sscanf(line.c_str(), "%u %255s", &id, name) == 2)
			t.instances[id] = name;
	}
}

bool load_trace(const std::string &dir, const LoadOptions &opt, Trace &t, Diag &d)
{
	t = Trace();
	load_names(dir, t, d, opt.live);
	Reader r(t, d);
	if (!r.setup(dir)) {
		d.warn(dir + "/events/mfgraph", -1, "no usable mfgraph event format; nothing to read");
		return false;
	}

	std::vector<int> cpus;
	std::string pc = dir + "/per_cpu";
	if (DIR *dd = opendir(pc.c_str())) {
		while (dirent *de = readdir(dd)) {
			int n;
			char tail;
			if (sscanf(de->d_name, "cpu%d%c", &n, &tail) == 1 && n >= 0 && n < 65536)
				cpus.push_back(n);
		}
		closedir(dd);
	}
	std::sort(cpus.begin(), cpus.end());
	if (cpus.empty()) {
		d.warn(pc, -1, "no per_cpu/cpuN directories: no events");
		return false;
	}
	// Each CPU's events are in time order unless its pages were not: sort
	// those alone, then merge the CPUs, ties broken by CPU and position.
	auto before = [](const Event &a, const Event &b) {
		if (a.ts != b.ts)
			return a.ts < b.ts;
		if (a.cpu != b.cpu)
			return a.cpu < b.cpu;
		return a.seq < b.seq;
	};
	std::vector<size_t> runs{0};
	for (int cpu : cpus) {
		std::string path = pc + "/cpu" + std::to_string(cpu) + "/trace_pipe_raw", raw;
		if (!read_file(path, raw, opt.live)) {
			d.warn(path, -1, std::string("cannot read: ") + strerror(errno));
			continue;
		}
		t.ncpus = std::max(t.ncpus, cpu + 1);
		r.read_cpu(cpu, path, raw);
		auto first = t.events.begin() + runs.back();
		if (!std::is_sorted(first, t.events.end(), before))
			std::stable_sort(first, t.events.end(), before);
		if (runs.size() > 1)
			std::inplace_merge(t.events.begin(), first, t.events.end(), before);
		runs.push_back(t.events.size());
	}
	d.finish();
	if (t.lost_events)
		d.note("the ring buffer lost " + std::to_string(t.lost_events) +
		       " events (overruns): some calls have no entry or no return");
	return true;
}

} // namespace mfg
