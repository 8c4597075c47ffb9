// SPDX-License-Identifier: GPL-2.0
// mfg-report: function_graph view, summary and flame graph of mfgraph trace events.
#include "report.h"

#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <unistd.h>

static const char usage[] =
	"usage: mfg-report [options] DIR\n"
	"       mfg-report [options] --live [TRACEFS]   (default /sys/kernel/tracing)\n"
	"\n"
	"DIR holds events/header_page, events/mfgraph/*/format, per_cpu/cpuN/trace_pipe_raw,\n"
	"kallsyms, saved_cmdlines and instances, as copied out of a guest.\n"
	"\n"
	"  --graph            print the function_graph view\n"
	"  --summary          print calls, total and self time and duration histograms\n"
	"  --folded FILE      write folded stacks (flamegraph.pl, speedscope); - for stdout\n"
	"  --svg FILE         write a self-contained flame graph SVG\n"
	"  --instance NAME|ID only this mfgraph instance (default: all)\n"
	"  --max-lines N      at most N graph lines (0: all; default 40 without --graph)\n"
	"  --hist N           histograms for the N functions with most time (default 5)\n"
	"  --live             read a live tracefs (consumes trace_pipe_raw)\n"
	"  -q, --quiet        no diagnostics on stderr\n"
	"\n"
	"Without --graph, --summary, --folded or --svg: a graph excerpt, the summary, and\n"
	"the SVG written to ./mfg-flame.svg.\n";

static bool write_file(const std::string &path, const std::string &data)
{
	if (path == "-") {
		std::cout << data;
		return bool(std::cout);
	}
	std::ofstream f(path, std::ios::binary);
	f << data;
	f.close();
	if (!f) {
		std::cerr << "mfg-report: cannot write " << path << ": " << strerror(errno) << "\n";
		return false;
	}
	return true;
}

int main(int argc, char **argv)
{
	bool graph = false, summary = false, live = false, quiet = false;
	bool lines_set = false;
	std::string folded, svg, dir;
	size_t max_lines = 0, hist = 5;
	mfg::ReportOptions ropt;

	for (int i = 1; i < argc; i++) {
		std::string a = argv[i];
		auto arg = [&]() -> std::string {
			if (i + 1 >= argc) {
				std::cerr << "mfg-report: " << a << " needs an argument\n" << usage;
				exit(2);
			}
			return argv[++i];
		};
		auto num = [&]() -> size_t {
			std::string v = arg();
			char *end;
			unsigned long n = strtoul(v.c_str(), &end, 10);
			if (v.empty() || *end || v[0] == '-') {
				std::cerr << "mfg-report: " << a << ": not a number: " << v << "\n";
				exit(2);
			}
			return n;
		};
		if (a == "--graph")
			graph = true;
		else if (a == "--summary")
			summary = true;
		else if (a == "--folded")
			folded = arg();
		else if (a == "--svg")
			svg = arg();
		else if (a == "--instance")
			ropt.instance = arg();
		else if (a == "--max-lines")
			max_lines = num(), lines_set = true;
		else if (a == "--hist")
			hist = num();
		else if (a == "--live")
			live = true;
		else if (a == "-q" || a == "--quiet")
			quiet = true;
		else if (a == "-h" || a == "--help") {
			std::cout << usage;
			return 0;
		} else if (a.size() > 1 && a[0] == '-') {
			std::cerr << "mfg-report: unknown option " << a << "\n" << usage;
			return 2;
		} else if (dir.empty())
			dir = a;
		else {
			std::cerr << "mfg-report: one input directory only\n" << usage;
			return 2;
		}
	}
	if (dir.empty() && live)
		dir = "/sys/kernel/tracing";
	if (dir.empty()) {
		std::cerr << usage;
		return 2;
	}
	bool defaults = !graph && !summary && folded.empty() && svg.empty();
	if (defaults) {
		graph = summary = true;
		svg = "mfg-flame.svg";
		if (!lines_set)
			max_lines = 40;
	}

	ropt.graph_lines = !graph ? 0 : max_lines ? max_lines : SIZE_MAX;
	mfg::Diag diag;
	diag.echo = !quiet;
	mfg::Trace trace;
	mfg::LoadOptions lopt;
	lopt.live = live;
	if (!mfg::load_trace(dir, lopt, trace, diag)) {
		if (!quiet)
			std::cerr << "mfg-report: nothing read from " << dir << "\n";
		return 1;
	}
	mfg::Report report;
	if (!mfg::analyze(trace, ropt, report, diag))
		return 1;

	if (graph)
		std::cout << mfg::render_graph(report, max_lines);
	if (summary)
		std::cout << mfg::render_summary(report, hist);
	bool ok = true;
	if (!folded.empty())
		ok &= write_file(folded, mfg::render_folded(report));
	if (!svg.empty()) {
		std::string title = "mfgraph flame graph: " + dir;
		if (ropt.instance)
			title += " (instance " + *ropt.instance + ")";
		if (write_file(svg, mfg::render_svg(report, title))) {
			char abs[PATH_MAX];
			std::cout << "flame graph: "
				  << (svg != "-" && realpath(svg.c_str(), abs) ? abs : svg) << "\n";
		} else {
			ok = false;
		}
	}
	if (trace.events.empty()) {
		if (!quiet)
			std::cerr << "mfg-report: no mfgraph events read from " << dir << "\n";
		return 1;
	}
	return ok ? 0 : 1;
}
