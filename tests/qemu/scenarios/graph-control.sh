# Scenario: mfg_graph's control files. A table of bad writes (each fails
# with its errno and changes nothing), instances added and removed while
# others trace, filters changed while tracing, and mfg_graph unloaded with
# instances live and enabled under load.
. /mfg/graph-lib.sh
graph_mount
step "insmod mfgraph (graph-control)" insmod /mfg/mfgraph.ko
step "insmod mfg_graph" insmod /mfg/mfg_graph.ko
step "insmod mfg_graph_target" insmod /mfg/mfg_graph_target.ko
step "add instance a" graph_add a
step "a has id 1" graph_is $G/a/id 1
step "a traces mfgt_leaf and mfgt_mid" sh -c "echo 'mfgt_leaf mfgt_mid' > $G/a/functions"
step "functions reads back" graph_is $G/a/functions "mfgt_leaf mfgt_mid"
step "O_APPEND adds mfgt_top" sh -c "echo mfgt_top >> $G/a/functions"
step "functions holds three" graph_is $G/a/functions "mfgt_leaf mfgt_mid mfgt_top"
step "an exclude is kept in order" sh -c "echo '!mfgt_mid' >> $G/a/functions"
step "functions with the exclude" graph_is $G/a/functions "mfgt_leaf mfgt_mid mfgt_top !mfgt_mid"
step "pids take a list" sh -c "echo '30 10 20' > $G/a/pids"
step "pids read back sorted" graph_is $G/a/pids "10 20 30"
step "pids cleared" sh -c "echo > $G/a/pids"
step "pids empty" graph_is $G/a/pids ""

# The bad-input table: file, strerror, what is written.
step "instances: no name" graph_bad $G/instances "Invalid argument" add
step "instances: unknown command" graph_bad $G/instances "Invalid argument" frob b
step "instances: two names" graph_bad $G/instances "Invalid argument" add b c
step "instances: bad character" graph_bad $G/instances "Invalid argument" add b/c
step "instances: name of 32" graph_bad $G/instances "Invalid argument" add abcdefghijabcdefghijabcdefghijab
step "instances: exists" graph_bad $G/instances "File exists" add a
step "instances: remove unknown" graph_bad $G/instances "No such file" remove zz
step "functions: no such function" graph_bad $G/a/functions "No such file" mfgt_leaf mfg_no_such_fn
step "functions: not traceable" graph_bad $G/a/functions "Invalid argument" mfg_register
step "functions: '*' with excludes" graph_bad $G/a/functions "Invalid argument" '*' '!mfgt_leaf'
step "functions: overlong token" graph_bad $G/a/functions "Invalid argument" \
	$(printf 'x%.0s' $(seq 600))
step "graph_roots: a glob" graph_bad $G/a/graph_roots "Invalid argument" 'mfgt_*'
step "graph_roots: no such function" graph_bad $G/a/graph_roots "No such file" mfgt_top mfg_no_such_fn
step "max_depth: not a number" graph_bad $G/a/max_depth "Invalid argument" abc
step "max_depth: negative" graph_bad $G/a/max_depth "Invalid argument" -1
step "pids: not a pid" graph_bad $G/a/pids "Invalid argument" 12 abc
step "pids: zero" graph_bad $G/a/pids "Invalid argument" 0
step "pids: 33 of them" graph_bad $G/a/pids "Argument list too long" $(seq 1 33)
step "retval: 2" graph_bad $G/a/retval "Invalid argument" 2
step "enable: maybe" graph_bad $G/a/enable "Invalid argument" maybe
step "id is read-only" graph_bad $G/a/id "Operation not permitted" 5
step "stats is read-only" graph_bad $G/a/stats "Operation not permitted" 0
step "a write over 4096 bytes" graph_bad $G/a/functions "Argument list too long" \
	$(seq 1000 2000)

# Up to 8 instances; instances come and go while others trace.
for n in b c d e f g h; do graph_add $n; done
step "instances: a ninth" graph_bad $G/instances "No space left" add i
step "eight instances listed" sh -c "[ \$(wc -l < $G/instances) = 8 ]"
for n in d e f g h; do echo "remove $n" > $G/instances; done
step "removed instances are gone" graph_is $G/instances "1 a 2 b 3 c"
for n in a b c; do
	echo 'mfgt_*' > $G/$n/functions
	echo 1 > $G/$n/enable
done
( while [ ! -e /tmp/graph-stop ]; do echo 50 > $GT/run; done ) &
load=$!
i=0
while [ $i -lt 10 ]; do
	graph_add x$i && echo 'mfgt_leaf' > $G/x$i/functions && echo 1 > $G/x$i/enable
	echo "mfgt_mid mfgt_leaf" > $G/b/functions
	echo 2 > $G/c/max_depth
	echo 'mfgt_*' > $G/b/functions
	echo 0 > $G/c/max_depth
	echo "remove x$i" > $G/instances
	i=$((i + 1))
done
step "instances added and removed under load: ids are not reused" graph_is $G/instances "1 a 2 b 3 c"
touch /tmp/graph-stop
wait $load
rm /tmp/graph-stop
cat $G/a/stats
step "a saw calls" [ "$(graph_stat a entries)" -gt 0 ]
step "a saw each return" [ "$(graph_stat a entries)" = "$(graph_stat a returns)" ]
step "no drops in a" [ "$(graph_stat a drops)" = 0 ]

# Unload with instances live and enabled, calls in flight.
( while [ ! -e /tmp/graph-stop ]; do echo 50 > $GT/run; done ) &
load=$!
sleep 1
step "rmmod mfg_graph with instances enabled under load" rmmod mfg_graph
touch /tmp/graph-stop
wait $load
rm /tmp/graph-stop
step "the control directory is gone" sh -c "[ ! -e $G ]"
step "reload mfg_graph" insmod /mfg/mfg_graph.ko
graph_add a
step "ids start again at 1" graph_is $G/a/id 1
step "rmmod mfg_graph with an idle instance" rmmod mfg_graph
step "rmmod mfg_graph_target (graph-control)" rmmod mfg_graph_target
step "rmmod mfgraph (graph-control)" rmmod mfgraph
