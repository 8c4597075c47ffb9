// SPDX-License-Identifier: GPL-2.0
// mfg-report: call trees rebuilt from the events, and the views printed from them.
#pragma once

#include "trace.h"

#include <array>
#include <optional>

namespace mfg {

struct FuncStats {
	uint64_t calls = 0;
	uint64_t total_ns = 0;
	uint64_t self_ns = 0;
	uint64_t min_ns = UINT64_MAX;
	uint64_t max_ns = 0;
	std::array<uint64_t, 65> hist{};	// [0]: 0 ns; [k]: [2^(k-1), 2^k) ns
};

struct InstanceReport {
	uint32_t id = 0;
	std::string name;
	uint64_t events = 0;
	std::vector<std::string> graph;		// function_graph lines
	uint64_t graph_more = 0;		// lines past ReportOptions::graph_lines
	std::map<std::string, FuncStats> funcs;
	std::map<std::string, uint64_t> folded;	// "a;b;c" -> self ns
	uint64_t orphan_returns = 0;	// return with no entry in the trace
	uint64_t lost_returns = 0;	// entries whose return never came, under a later return
	uint64_t unfinished = 0;	// entries still open at the end of the trace
	uint64_t bad_times = 0;		// rettime before calltime
	uint64_t too_deep = 0;		// entries past the depth cap, ignored
};

struct Report {
	std::vector<InstanceReport> instances;
	int ncpus = 1;
};

struct ReportOptions {
	std::optional<std::string> instance;	// name or id; all when unset
	size_t graph_lines = SIZE_MAX;		// graph lines kept per instance
};

// Rebuilds each task's calls per instance. Returns false when --instance
// names no instance of the trace.
bool analyze(const Trace &t, const ReportOptions &opt, Report &out, Diag &diag);

// max_lines 0: everything.
std::string render_graph(const Report &r, size_t max_lines);
std::string render_summary(const Report &r, size_t hist_top);
std::string render_folded(const Report &r);
std::string render_svg(const Report &r, const std::string &title);

std::string format_duration_us(uint64_t ns);	// "12.345 us" column of function_graph

} // namespace mfg
