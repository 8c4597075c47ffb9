# Scenario: mfg_graph instances are independent. Four instances with
# different functions, graph roots, depth limits and pids trace one
# workload at once; each sees exactly its own calls (tree in
# tests/tracer/graph_target.c), in the events and in its stats.
. /mfg/graph-lib.sh
graph_mount
step "insmod mfgraph (graph-instances)" insmod /mfg/mfgraph.ko
step "insmod mfg_graph" insmod /mfg/mfg_graph.ko
step "insmod mfg_graph_target" insmod /mfg/mfg_graph_target.ko
echo > $T/trace
for n in all shallow deep mine; do graph_add $n; done
echo 'mfgt_*' > $G/all/functions
echo 1 > $G/all/retval
echo 'mfgt_leaf mfgt_mid' > $G/shallow/functions
echo 1 > $G/shallow/max_depth
echo 'mfgt_*' > $G/deep/functions
echo mfgt_deep > $G/deep/graph_roots
echo 3 > $G/deep/max_depth
echo mfgt_top > $G/mine/functions
for n in all shallow deep mine; do echo 1 > $G/$n/enable; done
step "enable the mfgraph events" sh -c "echo 1 > $T/tracing_on && echo 1 > $T/events/mfgraph/enable"
step "4 runs from a task in mine's pids" sh -c "echo \$\$ > $G/mine/pids; echo 4 > $GT/run"
step "3 runs from another task" sh -c "echo 3 > $GT/run"
for n in all shallow deep mine; do echo 0 > $G/$n/enable; done
echo 0 > $T/events/mfgraph/enable
grep -m 12 graph_ $T/trace
all=$(graph_id all); shallow=$(graph_id shallow); deep=$(graph_id deep); mine=$(graph_id mine)
step "all: mfgt_top at depth 0" graph_expect $all 0 mfgt_top 7
step "all: mfgt_mid at depth 1" graph_expect $all 1 mfgt_mid 7
step "all: mfgt_leaf at depth 2" graph_expect $all 2 mfgt_leaf 14
step "all: mfgt_leaf at depth 5" graph_expect $all 5 mfgt_leaf 7
step "all: mfgt_leaf at depth 1" graph_expect $all 1 mfgt_leaf 7
step "all: mfgt_deep at depth 4" graph_expect $all 4 mfgt_deep 7
step "all: 70 entries in stats" [ "$(graph_stat all entries)" = 70 ]
step "all: 70 returns in stats" [ "$(graph_stat all returns)" = 70 ]
step "all: 70 return events" [ "$(grep -c "graph_return: inst=$all " $T/trace)" = 70 ]
step "all: mfgt_leaf(0) returned 1" [ "$(grep -c "graph_return: inst=$all depth=5 mfgt_leaf .* ret=0x1 has_ret=1$" $T/trace)" = 7 ]
step "shallow: mfgt_mid at depth 0" graph_expect $shallow 0 mfgt_mid 7
step "shallow: mfgt_leaf at depth 0" graph_expect $shallow 0 mfgt_leaf 14
step "shallow: nothing deeper" graph_expect $shallow 1 mfgt_leaf 0
step "shallow: 21 entries in stats" [ "$(graph_stat shallow entries)" = 21 ]
step "shallow: no mfgt_top" graph_expect $shallow '*' mfgt_top 0
step "shallow: no return values" [ "$(grep -c "graph_return: inst=$shallow .* has_ret=0$" $T/trace)" = 21 ]
step "deep: the root at depth 0" graph_expect $deep 0 mfgt_deep 7
step "deep: mfgt_deep at depth 2" graph_expect $deep 2 mfgt_deep 7
step "deep: not at depth 3" graph_expect $deep 3 mfgt_deep 0
step "deep: no mfgt_leaf" graph_expect $deep '*' mfgt_leaf 0
step "deep: no mfgt_top" graph_expect $deep '*' mfgt_top 0
step "deep: 21 entries in stats" [ "$(graph_stat deep entries)" = 21 ]
step "mine: the 4 runs of its task" graph_expect $mine 0 mfgt_top 4
step "mine: 4 entries in stats" [ "$(graph_stat mine entries)" = 4 ]
step "rmmod mfg_graph (graph-instances)" rmmod mfg_graph
step "rmmod mfg_graph_target (graph-instances)" rmmod mfg_graph_target
step "rmmod mfgraph (graph-instances)" rmmod mfgraph
echo > $T/trace
