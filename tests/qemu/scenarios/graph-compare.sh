# Scenario: the kernel's function_graph tracer (in a tracefs instance) and
# an mfg_graph instance with the same functions, graph roots and pid trace
# the same workload at the same time: mfg_graph_target's tree and a real
# vfs_read path (dd of a file on the initramfs). The call trees (functions,
# nesting, order per task) must be the same. Then the time of one traced
# call of mfgt_leaf under each (TCG: a rough figure, printed only).
. /mfg/graph-lib.sh
graph_mount
FG=$T/instances/fg
funcs='mfgt_* vfs_read rw_verify_area generic_file_read_iter filemap_read filemap_get_pages touch_atime'
roots='mfgt_top vfs_read'
step "insmod mfgraph (graph-compare)" insmod /mfg/mfgraph.ko
step "insmod mfg_graph" insmod /mfg/mfg_graph.ko
step "insmod mfg_graph_target" insmod /mfg/mfg_graph_target.ko
step "a tracefs instance for function_graph" mkdir $FG
if ! grep -qw function_graph $FG/available_tracers; then
	# Older kernels (Debian's 6.1) run function_graph only in the
	# top-level buffer, which carries mfg_graph's events here.
	step_skip "graph-compare" "this kernel runs function_graph only in the top-level buffer"
	rmdir $FG
	rmmod mfg_graph_target
	rmmod mfg_graph
	step "rmmod mfgraph (graph-compare skipped)" rmmod mfgraph
	return 0
fi
step "function_graph's filter" sh -c "echo '$funcs' > $FG/set_ftrace_filter"
step "function_graph's graph functions" sh -c "echo '$roots' > $T/set_graph_function"
echo 1 > $FG/options/funcgraph-proc
step "function_graph on" sh -c "echo function_graph > $FG/current_tracer"
graph_add cmp
step "mfg_graph's functions" sh -c "echo '$funcs' > $G/cmp/functions"
step "mfg_graph's graph roots" sh -c "echo '$roots' > $G/cmp/graph_roots"
echo > $T/trace
# mfg_graph's events go to the top-level buffer: whatever ran before us
# may have left it off.
echo 1 > $T/tracing_on
echo 1 > $T/events/mfgraph/enable
echo 1 > $G/cmp/enable
step "the workload, traced by both" sh -c "echo \$\$ > $FG/set_ftrace_pid && echo \$\$ > $G/cmp/pids &&
	echo 3 > $GT/run && exec dd if=/mfg/mfg_graph.ko of=/dev/null bs=1024 2>/dev/null"
echo 0 > $G/cmp/enable
echo 0 > $FG/tracing_on
echo 0 > $T/events/mfgraph/enable
cat $FG/trace > /tmp/fg.txt
# Both traced every task until the worker wrote its pid.
wpid=$(cat $FG/set_ftrace_pid)
graph_tree $(graph_id cmp) | grep "^$wpid " > /tmp/mfg.tree
fgraph_tree /tmp/fg.txt | grep "^$wpid " > /tmp/fg.tree
head -20 /tmp/fg.txt
echo "function_graph: $(wc -l < /tmp/fg.tree) entries ($(grep -c ' vfs_read$' /tmp/fg.tree) of vfs_read), mfg_graph: $(wc -l < /tmp/mfg.tree)"
step "function_graph saw vfs_read calls" [ "$(grep -c ' 0 vfs_read$' /tmp/fg.tree)" -gt 10 ]
step "function_graph saw 30 mfgt calls" [ "$(grep -c ' mfgt_' /tmp/fg.tree)" = 30 ]
# What vfs_read calls depends on the build (Debian's arm64 6.12 reads the
# initramfs through rw_verify_area and touch_atime only): any nesting will do.
step "function_graph saw nesting in vfs_read" sh -c \
	"grep -v ' mfgt_' /tmp/fg.tree | grep -qE '^[^ ]+ [1-9][0-9]* '"
step "the same call tree" diff /tmp/fg.tree /tmp/mfg.tree
echo nop > $FG/current_tracer
echo > $T/set_graph_function

# The time of one mfgt_leaf() call: untraced, under function_graph, under
# an mfg_graph instance writing its events, and with its events off.
graph_bench() {
	best=
	for i in 1 2 3; do
		echo 100000 > $GT/bench
		ps=$(cat $GT/bench_ps)
		[ -z "$best" ] || [ "$ps" -lt "$best" ] && best=$ps
	done
	echo $best
}
echo > $FG/set_ftrace_pid
echo mfgt_leaf > $FG/set_ftrace_filter
echo 1 > $FG/tracing_on
none=$(graph_bench)
echo function_graph > $FG/current_tracer
fgraph=$(graph_bench)
echo nop > $FG/current_tracer
echo > $G/cmp/pids
echo > $G/cmp/graph_roots
echo mfgt_leaf > $G/cmp/functions
echo 1 > $G/cmp/enable
echo 1 > $T/events/mfgraph/enable
mfg=$(graph_bench)
echo 0 > $T/events/mfgraph/enable
mfg_noev=$(graph_bench)
echo 0 > $G/cmp/enable
echo "MFG-GRAPH-BENCH: ps per mfgt_leaf call: untraced $none, function_graph $fgraph, mfg_graph $mfg, mfg_graph without events $mfg_noev"
step "the bench ran" [ "$mfg" -gt "$none" ]
step "rmdir the tracefs instance" rmdir $FG
echo > $T/trace
step "rmmod mfg_graph (graph-compare)" rmmod mfg_graph
step "rmmod mfg_graph_target (graph-compare)" rmmod mfg_graph_target
step "rmmod mfgraph (graph-compare)" rmmod mfgraph
