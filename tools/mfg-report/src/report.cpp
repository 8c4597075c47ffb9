// SPDX-License-Identifier: GPL-2.0
// mfg-report: call trees rebuilt from the events, and the views printed from them.
#include "report.h"

#include <algorithm>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <unordered_map>

namespace mfg {

namespace {

std::string fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char *f, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, f);
	vsnprintf(buf, sizeof(buf), f, ap);
	va_end(ap);
	return buf;
}

// The kernel's trace_find_mark(): overhead marks in front of the duration.
char mark(uint64_t d)
{
	static const struct { uint64_t v; char c; } marks[] = {
		{1000000000ull, '$'}, {100000000ull, '@'}, {10000000ull, '*'},
		{1000000ull, '#'}, {100000ull, '!'}, {10000ull, '+'},
	};
	for (auto &m : marks)
		if (d > m.v)
			return m.c;
	return ' ';
}

// print_graph_retval() without funcgraph-retval-hex: error codes in
// decimal, everything else in hex.
std::string retval_str(uint64_t rv)
{
	int64_t err = 0;
	if (rv != 0) {
		err = (rv & (1ull << 31)) && (rv >> 32) == 0 ? (int32_t)rv : (int64_t)rv;
		if (!(err < 0 && err >= -4095))
			err = 0;
	}
	return err ? fmt("%" PRId64, err) : fmt("0x%" PRIx64, rv);
}

int bucket(uint64_t ns) { return ns ? 64 - __builtin_clzll(ns) : 0; }

struct Frame {
	uint64_t func;
	std::string name;
	uint64_t child_ns = 0;
};

constexpr size_t kMaxDepth = 256;

struct Task {
	std::vector<Frame> stack;
};

class Builder {
public:
	Builder(const Trace &t, InstanceReport &ir, int cpu_width, size_t limit, Diag &d)
		: t_(t), ir_(ir), cpu_width_(cpu_width), limit_(limit), d_(d) {}
	void run(const std::vector<const Event *> &evs);

private:
	std::string prefix(int cpu, int pid) const;
	std::string proc(int pid) const;
	void line(const Event &e, std::string text) { ir_.graph.push_back(prefix(e.cpu, e.pid) + text); }
	// Formatting lines nobody prints is most of the cost on big traces.
	bool want(size_t n = 1)
	{
		if (ir_.graph.size() + n <= limit_)
			return true;
		ir_.graph_more += n;
		return false;
	}
	void switch_lines(const Event &e);
	uint64_t duration(const Event &ret);
	void account(Task &task, const std::string &name, uint64_t dur, uint64_t child_ns);
	std::string indent(const Task &task) const { return std::string(2 * task.stack.size(), ' '); }

	const Trace &t_;
	InstanceReport &ir_;
	int cpu_width_;
	size_t limit_;
	Diag &d_;
	std::unordered_map<int, Task> tasks_;
	std::unordered_map<int, int> last_pid_;	// per CPU
	std::unordered_map<uint64_t, std::string> names_;
	const std::string &name(uint64_t func)
	{
		auto it = names_.find(func);
		if (it == names_.end())
			it = names_.emplace(func, t_.syms.name(func)).first;
		return it->second;
	}
};

std::string Builder::proc(int pid) const
{
	std::string s = t_.comm(pid).substr(0, 7) + "-" + std::to_string(pid);
	int spaces = std::max(0, 14 - (int)s.size());
	return std::string(spaces / 2, ' ') + s + std::string(spaces - spaces / 2, ' ');
}

std::string Builder::prefix(int cpu, int pid) const
{
	return fmt(" %*d) ", cpu_width_, cpu) + proc(pid) + " | ";
}

void Builder::switch_lines(const Event &e)
{
	auto [it, fresh] = last_pid_.emplace(e.cpu, e.pid);
	if (fresh || it->second == e.pid)
		return;
	int prev = it->second;
	it->second = e.pid;
	if (!want(4))
		return;
	ir_.graph.push_back(" ------------------------------------------");
	ir_.graph.push_back(fmt(" %*d) ", cpu_width_, e.cpu) + proc(prev) + " => " + proc(e.pid));
	ir_.graph.push_back(" ------------------------------------------");
	ir_.graph.push_back("");
}

uint64_t Builder::duration(const Event &ret)
{
	if (ret.rettime >= ret.calltime)
		return ret.rettime - ret.calltime;
	if (ir_.bad_times++ == 0)
		d_.note(fmt("instance %s: a return of %s has rettime %" PRIu64 " before calltime %"
			    PRIu64 "; counted as 0 ns", ir_.name.c_str(), t_.syms.name(ret.func).c_str(),
			    ret.rettime, ret.calltime));
	return 0;
}

void Builder::account(Task &task, const std::string &nm, uint64_t dur, uint64_t child_ns)
{
	FuncStats &s = ir_.funcs[nm];
	uint64_t self = dur > child_ns ? dur - child_ns : 0;
	s.calls++;
	s.total_ns += dur;
	s.self_ns += self;
	s.min_ns = std::min(s.min_ns, dur);
	s.max_ns = std::max(s.max_ns, dur);
	s.hist[bucket(dur)]++;
	std::string path;
	for (auto &f : task.stack)
		path += f.name + ";";
	ir_.folded[path + nm] += self;
	if (!task.stack.empty())
		task.stack.back().child_ns += dur;
}

std::string close_text(const std::string &nm, const Event &e)
{
	return e.has_retval ? "} /* " + nm + " = " + retval_str(e.retval) + " */"
			    : "} /* " + nm + " */";
}

std::string leaf_text(const std::string &nm, const Event &e)
{
	return e.has_retval ? nm + "(); /* = " + retval_str(e.retval) + " */" : nm + "();";
}

void Builder::run(const std::vector<const Event *> &evs)
{
	// A leaf is an entry whose task's next event is its own return: one
	// line "func();", as the kernel prints it.
	std::vector<int64_t> leaf_ret(evs.size(), -1);
	std::vector<bool> folded(evs.size(), false);
	{
		std::unordered_map<int, size_t> last;
		for (size_t j = 0; j < evs.size(); j++) {
			auto it = last.find(evs[j]->pid);
			if (it != last.end()) {
				const Event &a = *evs[it->second], &b = *evs[j];
				if (a.kind == Kind::Entry && b.kind == Kind::Return && a.func == b.func) {
					leaf_ret[it->second] = (int64_t)j;
					folded[j] = true;
				}
			}
			last[evs[j]->pid] = j;
		}
	}

	const std::string fill = "              |  ";
	for (size_t i = 0; i < evs.size(); i++) {
		const Event &e = *evs[i];
		if (folded[i])
			continue;
		switch_lines(e);
		Task &task = tasks_[e.pid];
		const std::string &nm = name(e.func);
		if (e.kind == Kind::Entry && leaf_ret[i] < 0) {
			// Real stacks are far shallower (the kernel's graph tracer
			// stops at 50); garbage must not make paths quadratic.
			if (task.stack.size() >= kMaxDepth) {
				if (ir_.too_deep++ == 0)
					d_.note(fmt("instance %s pid %d: calls nested deeper than %zu; "
						    "deeper entries ignored", ir_.name.c_str(), e.pid,
						    kMaxDepth));
				continue;
			}
			if (want())
				line(e, fill + indent(task) + nm + "() {");
			task.stack.push_back({e.func, nm});
			continue;
		}
		if (e.kind == Kind::Entry || e.kind == Kind::Leaf) {
			const Event &r = e.kind == Kind::Leaf ? e : *evs[leaf_ret[i]];
			uint64_t d = duration(r);
			if (want())
				line(e, fmt("%c ", mark(d)) + format_duration_us(d) + "|  " + indent(task) +
					leaf_text(nm, r));
			account(task, nm, d, 0);
			continue;
		}
		// A return: close the innermost open call of that function.
		// Calls above it lost their returns (overrun); a return with no
		// open call began before the trace did, or lost its entry.
		auto it = std::find_if(task.stack.rbegin(), task.stack.rend(),
				       [&](const Frame &f) { return f.func == e.func; });
		uint64_t d = duration(e), child = 0;
		if (it == task.stack.rend()) {
			ir_.orphan_returns++;
		} else {
			size_t keep = task.stack.size() - (it - task.stack.rbegin()) - 1;
			ir_.lost_returns += task.stack.size() - keep - 1;
			child = task.stack[keep].child_ns;
			task.stack.resize(keep);
		}
		if (want())
			line(e, fmt("%c ", mark(d)) + format_duration_us(d) + "|  " + indent(task) +
				close_text(nm, e));
		account(task, nm, d, child);
	}
	for (auto &[pid, task] : tasks_)
		ir_.unfinished += task.stack.size();
}

} // namespace

std::string format_duration_us(uint64_t ns)
{
	// trace_print_graph_duration(): at most 7 digits, then " us ", padded.
	std::string s = std::to_string(ns / 1000);
	size_t len = s.size();
	if (len < 7) {
		std::string frac = fmt("%03u", (unsigned)(ns % 1000)).substr(0, std::min<size_t>(4, 7 - len));
		s += "." + frac;
		len += frac.size() + 1;
	}
	s += " us ";
	if (len < 8)
		s += std::string(8 - len, ' ');
	return s;
}

bool analyze(const Trace &t, const ReportOptions &opt, Report &out, Diag &d)
{
	out = Report();
	out.ncpus = std::max(1, t.ncpus);
	std::map<uint32_t, std::vector<const Event *>> per;
	for (auto &e : t.events)
		per[e.instance].push_back(&e);
	for (auto &[id, name] : t.instances)
		per.try_emplace(id);

	if (opt.instance) {
		const std::string &want = *opt.instance;
		std::optional<uint32_t> pick;
		for (auto &[id, evs] : per)
			if (t.instance_name(id) == want || std::to_string(id) == want)
				pick = id;
		if (!pick) {
			std::string known;
			for (auto &[id, evs] : per)
				known += " " + std::to_string(id) + "(" + t.instance_name(id) + ")";
			d.note("no instance '" + want + "' in this trace; instances:" +
			       (known.empty() ? " none" : known));
			return false;
		}
		for (auto it = per.begin(); it != per.end();)
			it = it->first == *pick ? std::next(it) : per.erase(it);
	}

	int cpu_width = (int)std::to_string(out.ncpus - 1).size();
	for (auto &[id, evs] : per) {
		InstanceReport &ir = out.instances.emplace_back();
		ir.id = id;
		ir.name = t.instance_name(id);
		ir.events = evs.size();
		Builder(t, ir, cpu_width, opt.graph_lines, d).run(evs);
		if (ir.orphan_returns)
			d.note(fmt("instance %s: %" PRIu64 " returns without an entry (called before "
				   "the trace started, or the entry was lost)", ir.name.c_str(),
				   ir.orphan_returns));
		if (ir.lost_returns)
			d.note(fmt("instance %s: %" PRIu64 " calls lost their return (closed by an "
				   "outer return)", ir.name.c_str(), ir.lost_returns));
		if (ir.unfinished)
			d.note(fmt("instance %s: %" PRIu64 " calls without a return (still running "
				   "when the trace stopped, or the return was lost)", ir.name.c_str(),
				   ir.unfinished));
	}
	return true;
}

std::string render_graph(const Report &r, size_t max_lines)
{
	std::string out;
	size_t shown = 0, total = 0;
	for (auto &ir : r.instances)
		total += ir.graph.size() + ir.graph_more;
	for (auto &ir : r.instances) {
		if (max_lines && shown >= max_lines)
			break;
		out += fmt("# mfgraph instance %u (%s): function_graph\n", ir.id, ir.name.c_str());
		out += "# CPU  TASK/PID         DURATION                  FUNCTION CALLS\n";
		out += "# |     |    |           |   |                     |   |   |   |\n";
		for (auto &l : ir.graph) {
			if (max_lines && shown >= max_lines)
				break;
			out += l + "\n";
			shown++;
		}
		if (!max_lines || shown < max_lines)
			out += "\n";
	}
	if (shown < total)
		out += fmt("# ... %zu more lines (--max-lines 0 shows all)\n", total - shown);
	return out;
}

static std::string us(uint64_t ns)
{
	return fmt("%" PRIu64 ".%03u", ns / 1000, (unsigned)(ns % 1000));
}

static std::string bucket_label(int k)
{
	if (k == 0)
		return "0";
	if (k > 64)
		return "16E";
	uint64_t v = 1ull << (k - 1);
	static const char *sfx[] = {"", "K", "M", "G", "T", "P", "E"};
	int s = 0;
	while (v >= 1024 && v % 1024 == 0) {
		v /= 1024;
		s++;
	}
	return std::to_string(v) + sfx[s];
}

std::string render_summary(const Report &r, size_t hist_top)
{
	std::string out;
	for (auto &ir : r.instances) {
		uint64_t calls = 0;
		for (auto &[n, s] : ir.funcs)
			calls += s.calls;
		out += fmt("# mfgraph instance %u (%s): %" PRIu64 " events, %" PRIu64
			   " completed calls, %zu functions\n",
			   ir.id, ir.name.c_str(), ir.events, calls, ir.funcs.size());
		if (ir.orphan_returns || ir.lost_returns || ir.unfinished)
			out += fmt("# incomplete: %" PRIu64 " returns without entry, %" PRIu64
				   " lost returns, %" PRIu64 " calls still open\n",
				   ir.orphan_returns, ir.lost_returns, ir.unfinished);
		std::vector<std::pair<std::string, const FuncStats *>> rows;
		for (auto &[n, s] : ir.funcs)
			rows.push_back({n, &s});
		std::stable_sort(rows.begin(), rows.end(), [](auto &a, auto &b) {
			return a.second->total_ns > b.second->total_ns;
		});
		out += "#    CALLS      TOTAL us       SELF us        AVG us        MAX us  FUNCTION\n";
		for (auto &[n, s] : rows)
			out += fmt("%10" PRIu64 " %13s %13s %13s %13s  %s\n", s->calls,
				   us(s->total_ns).c_str(), us(s->self_ns).c_str(),
				   us(s->total_ns / s->calls).c_str(), us(s->max_ns).c_str(), n.c_str());
		for (size_t i = 0; i < rows.size() && i < hist_top; i++) {
			auto &[n, s] = rows[i];
			int lo = 64, hi = 0;
			uint64_t peak = 0;
			for (int k = 0; k <= 64; k++)
				if (s->hist[k]) {
					lo = std::min(lo, k);
					hi = std::max(hi, k);
					peak = std::max(peak, s->hist[k]);
				}
			out += fmt("\n%s (instance %s): duration in ns, log2 buckets\n", n.c_str(),
				   ir.name.c_str());
			for (int k = lo; k <= hi; k++) {
				std::string range = k == 0 ? "[0]" : "[" + bucket_label(k) + ", " +
					bucket_label(k + 1) + ")";
				int bar = (int)(s->hist[k] * 40 / peak);
				out += fmt("%-14s %8" PRIu64 " |%-40s|\n", range.c_str(), s->hist[k],
					   std::string(bar, '@').c_str());
			}
		}
		out += "\n";
	}
	return out;
}

std::string render_folded(const Report &r)
{
	std::string out;
	bool tag = r.instances.size() > 1;
	for (auto &ir : r.instances)
		for (auto &[path, ns] : ir.folded)
			if (ns)
				out += (tag ? "[" + ir.name + "];" : std::string()) + path + " " +
				       std::to_string(ns) + "\n";
	return out;
}

namespace {

struct Node {
	std::string name;
	uint64_t value = 0;
	std::map<std::string, Node> kids;
};

std::string xml(const std::string &s)
{
	std::string o;
	for (char c : s) {
		switch (c) {
		case '&': o += "&amp;"; break;
		case '<': o += "&lt;"; break;
		case '>': o += "&gt;"; break;
		case '"': o += "&quot;"; break;
		default: o += (unsigned char)c < 0x20 ? '?' : c;
		}
	}
	return o;
}

int depth_of(const Node &n)
{
	int d = 0;
	for (auto &[k, c] : n.kids)
		d = std::max(d, depth_of(c));
	return d + 1;
}

struct Svg {
	std::string out;
	double scale;
	int height;
	uint64_t total;
	static constexpr int W = 1200, H = 16, PAD = 10, TOP = 40;

	void draw(const Node &n, double x, int level)
	{
		double w = n.value * scale;
		if (w < 0.1)
			return;
		double y = height - PAD - (level + 1) * H;
		unsigned h = 5381;
		for (char c : n.name)
			h = h * 33 + (unsigned char)c;
		int red = 205 + h % 50, green = (h >> 8) % 200, blue = (h >> 16) % 55;
		// Names go in by concatenation: fmt() would cut long ones mid-entity.
		std::string title = n.name + " (" + us(n.value) + " us, " +
				    fmt("%.2f%%", 100.0 * n.value / (double)total) + ")";
		out += "<g><title>" + xml(title) + "</title>" +
		       fmt("<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" "
			   "fill=\"rgb(%d,%d,%d)\" rx=\"2\"/>", x, y, w, H - 1, red, green, blue);
		size_t fit = (size_t)((w - 6) / 7);
		if (fit >= 3) {
			std::string label = n.name.size() <= fit ? n.name : n.name.substr(0, fit - 2) + "..";
			out += fmt("<text x=\"%.1f\" y=\"%.1f\">", x + 3, y + H - 4) + xml(label) +
			       "</text>";
		}
		out += "</g>\n";
		for (auto &[k, c] : n.kids) {
			draw(c, x, level + 1);
			x += c.value * scale;
		}
	}
};

} // namespace

std::string render_svg(const Report &r, const std::string &title)
{
	Node root;
	root.name = "all";
	bool tag = r.instances.size() > 1;
	for (auto &ir : r.instances) {
		Node *base = &root;
		if (tag) {
			base = &root.kids[ir.name];
			base->name = "[" + ir.name + "]";
		}
		for (auto &[path, ns] : ir.folded) {
			Node *n = base;
			n->value += ns;
			if (n != &root)
				root.value += ns;
			size_t start = 0;
			for (;;) {
				size_t semi = path.find(';', start);
				std::string part = path.substr(start, semi == std::string::npos
							       ? std::string::npos : semi - start);
				Node &k = n->kids[part];
				k.name = part;
				k.value += ns;
				n = &k;
				if (semi == std::string::npos)
					break;
				start = semi + 1;
			}
		}
	}
	Svg s;
	s.total = std::max<uint64_t>(1, root.value);
	s.scale = (double)(Svg::W - 2 * Svg::PAD) / (double)s.total;
	s.height = Svg::TOP + depth_of(root) * Svg::H + 2 * Svg::PAD;
	s.out = fmt("<?xml version=\"1.0\" standalone=\"no\"?>\n"
		    "<svg version=\"1.1\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		    "xmlns=\"http://www.w3.org/2000/svg\">\n"
		    "<style>text { font-family: monospace; font-size: 12px; fill: #000; } "
		    "rect:hover { stroke: #000; stroke-width: 0.5; }</style>\n"
		    "<rect x=\"0\" y=\"0\" width=\"100%%\" height=\"100%%\" fill=\"#f8f8f0\"/>\n"
		    "<text x=\"%d\" y=\"24\" style=\"font-size:17px\">",
		    Svg::W, s.height, Svg::W, s.height, Svg::PAD) + xml(title) + "</text>\n";
	if (root.value)
		s.draw(root, Svg::PAD, 0);
	else
		s.out += "<text x=\"10\" y=\"60\">no completed calls</text>\n";
	s.out += "</svg>\n";
	return s.out;
}

} // namespace mfg
