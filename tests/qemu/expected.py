# SPDX-License-Identifier: GPL-2.0
"""What the judge (run.py) lets pass that would otherwise fail a run.

mfgraph and mfg_kretprobe print nothing but errors and warnings, apart from
the lines in INFO. Any other line they print fails the run unless the case
(or scenario) it appears in is listed here with a pattern that matches it:
a case that feeds bad input on purpose names the messages it provokes.

MESSAGES keys: (suite, case) for a KUnit case (a parameterised case's
messages may be listed under its own name or under each parameter's name),
("scenario", "<file>.sh") for a scenario script. Values: regexes that must
match the whole line (after the "mfgraph: " / "mfg_kretprobe: " prefix is
kept: write it).

STATS keys: a suite name, or a scenario's "<file>.sh"; values: the counters of the mfgraph debugfs
`stats` file that the suite may raise. Checked counters are in CHECKED_STATS.
"""

# Informational lines: never a problem.
INFO = [
    r"mfgraph: loaded: .*",
    r"mfgraph: unloaded",
    r"mfgraph: gave \d+ frames of \d+ sleeping tasks back to their callers",
    r"mfgraph: loading out-of-tree module taints kernel\.",
    r"mfg_graph: loading out-of-tree module taints kernel\.",
    # A distribution kernel (make check-distro) loading an unsigned module.
    r"mfg\w*: module verification failed: signature and/or required key missing - tainting kernel",
]

MESSAGES = {
    ("mfgraph_hook", "mfg_hook_one_user"): [
        r"mfgraph: unregister: not registered",
    ],
    ("mfgraph_hook", "mfg_hook_sixteen_users"): [
        r"mfgraph: register: all 16 user slots are taken",
    ],
    ("mfgraph_hook", "mfg_hook_bad_input"): [
        r"mfgraph: register: ops is NULL",
        r"mfgraph: register: no entry or return callback",
        r"mfgraph: register: unknown flags 0x[0-9a-f]+",
        r"mfgraph: register: already registered \(slot \d+\)",
        r"mfgraph: set_filter: no function matches 'mfg_no_such_function'",
        r"mfgraph: set_filter: 'mfg_register' is not traceable \(.*\)",
        r"mfgraph: set_filter_ips: an address is not traceable \(.*\)",
        r"mfgraph: set_filter: (ops|glob) is NULL",
        r"mfgraph: set_filter: empty or overlong pattern",
        r"mfgraph: set_filter_ips: (ops|ips) is NULL",
    ],
    ("mfgraph_hook", "mfg_hook_kill_switch"): [
        r"mfgraph: tracing stopped for good: a shadow frame holds a corrupt index entry; .*",
        r"mfgraph: register: tracing was stopped after an internal error .*",
    ],
    ("mfgraph_kretprobe", "krp_batch"): [
        r"mfgraph: func_ip: no function matches 'krp_no_such_target'",
    ],
    ("mfgraph_kretprobe", "krp_bad_input"): [
        r"mfg_kretprobe: NULL probe",
        r"mfgraph: func_ip: no function matches 'krp_no_such_function'",
        r"mfgraph: func_ip: 'mfg_register' is not traceable \(.*\)",
        r"mfg_kretprobe: offset \d+: only function entries can be probed",
        r"mfg_kretprobe: no handler and no entry_handler",
        r"mfg_kretprobe: give exactly one of symbol_name and addr",
        r"mfg_kretprobe: krp_target_value \[mfg_kretprobe_test\] is probed by this probe already",
    ],
    ("mfgraph_kretprobe", "krp_bad_limits"): [
        r"mfg_kretprobe: maxactive -\d+ is negative",
        r"mfg_kretprobe: maxactive \d+ is over 4096",
        r"mfg_kretprobe: data_size \d+ is over 4096",
    ],
    ("mfgraph_kretprobe", "krp_enospc"): [
        r"mfg_kretprobe: krp_target_wait \[mfg_kretprobe_test\] has too many probes for one frame",
    ],
    # The step "a probe registering as the module went was refused".
    ("scenario", "kretprobe-module-gone.sh"): [
        r"mfg_kretprobe: krp_mod_target_\w+ \[mfg_krp_target\]: its module is going",
    ],
    # The module workload: churn users filter by name on a module that is
    # loaded and unloaded in a loop, so a name is absent, or not traceable
    # yet or any more, while the module comes and goes.
    ("scenario", "torture.sh"): [
        r"mfgraph: set_filter: no function matches 'mfg_torture_target\S*'",
        r"mfgraph: set_filter: 'mfg_torture_target\S*' is not traceable \(.*\)",
    ],
    # mfg_graph's bad-input table: each bad write names its fault.
    ("scenario", "graph-control.sh"): [
        r"mfg_graph: instances: write 'add NAME' or 'remove NAME'",
        r"mfg_graph: instances: a name is 1 to 31 of \[A-Za-z0-9_-\]",
        r"mfg_graph: instances: 'a' exists",
        r"mfg_graph: instances: no instance 'zz'",
        r"mfg_graph: instances: all 8 instances are in use",
        r"mfgraph: set_filter: no function matches 'mfg_no_such_fn'",
        r"mfgraph: set_filter: 'mfg_register' is not traceable \(.*\)",
        r"mfg_graph: a: functions: '\*' selects every function; it cannot take '!' excludes",
        r"mfg_graph: functions: 'x{600}' is not a function name",
        r"mfg_graph: graph_roots: 'mfgt_\*' is not a function name \(graph_roots takes names, not globs\)",
        r"mfgraph: func_ip: no function matches 'mfg_no_such_fn'",
        r"mfg_graph: a: max_depth: not a number",
        r"mfg_graph: a: pids: '(abc|0)' is not a pid",
        r"mfg_graph: a: pids: more than 32 pids",
        r"mfg_graph: a: (retval|enable): write 0 or 1",
        r"mfg_graph: a: functions: writes are limited to 4096 bytes",
    ],
    ("mfgraph_api", "api_func_ip_errors"): [
        r"mfgraph: func_ip: give exactly one of a name and an address",
        r"mfgraph: func_ip: '(|mfg_api_\*)' is not a function name",
        r"mfgraph: func_ip: no function matches 'mfg_api_no_such_function'",
        r"mfgraph: func_ip: 'mfg_register' is not traceable \(.*\)",
        r"mfgraph: func_ip: (mfg_register|mfg_api_a)\+0x[0-9a-f]+/0x[0-9a-f]+ \[mfg\w*\] is not traceable \(.*\)",
        r"mfgraph: func_ip: 'mfg_api_dup' names 2 functions",
    ],
    ("mfgraph_api", "api_filter_glob"): [
        r"mfgraph: set_filter: no function matches 'mfg_api_none_\*'",
    ],
    ("mfgraph_api", "api_filter_ftrace_location"): [
        r"mfgraph: set_filter_ips: an address is not traceable \(.*\)",
        r"mfgraph: func_ip: mfg_api_a\+0x[0-9a-f]+/0x[0-9a-f]+ \[mfg_api_test\] is not traceable \(.*\)",
    ],
    ("mfgraph_api", "api_free_filter_registered"): [
        r"mfgraph: free_filter: user is registered",
    ],
    ("mfgraph_ftrace_hash", "mfg_hash_ops_corrupt"): [
        r"mfgraph: an ftrace filter hash does not read back \(kernel .*\): refusing it",
    ],
}

# Suites that make allocations fail on purpose (fault injection): there, the
# kernel's report of a failed allocation ("<task>: vmalloc error: ..." or
# "... page allocation failure: ...", printed by the kernel's own callers
# that do not pass __GFP_NOWARN, e.g. KASAN's shadow for an ftrace
# trampoline) and the stack dump after it fail nothing.
ALLOC_FAILURE_SUITES = ["mfgraph_fault"]

# Counters that must not rise during a suite unless it is listed below, and
# must read 0 at the end of every suite ("stopped" is the kill switch: a case
# that trips it must revive mfgraph before it ends).
CHECKED_STATS = ["miss_return_mismatch", "stopped"]

STATS = {
    # New tasks on a CPU whose stack pool a failed allocation left empty.
    "mfgraph_fault": ["miss_no_stack"],
}
