# Helpers for mfg_graph's scenarios (tests/qemu/scenarios/graph-*.sh) and the
# demo's guest script; sourced by the guest's shell.
G=/sys/kernel/debug/mfg_graph
T=/sys/kernel/tracing
GT=/sys/module/mfg_graph_target/parameters

graph_mount() {
	grep -q " $T tracefs" /proc/mounts || mount -t tracefs nodev $T
}

# graph_add NAME: create an instance; prints nothing.
graph_add() { echo "add $1" > $G/instances; }
graph_id() { cat $G/$1/id; }

# graph_bad FILE ERROR TEXT...: writing TEXT to FILE fails with ERROR (the
# strerror text) and changes neither FILE nor the instance list.
graph_bad() {
	f=$1; want=$2; shift 2
	before=$(cat $f 2>&1; cat $G/instances)
	err=$( (echo "$*" > $f) 2>&1 )
	after=$(cat $f 2>&1; cat $G/instances)
	case "$err" in
	*"$want"*) ;;
	*) echo "writing '$*' to $f: '$err', not '$want'"; return 1 ;;
	esac
	[ "$before" = "$after" ] || { echo "$f changed: '$before' -> '$after'"; return 1; }
}

# graph_is FILE TEXT: FILE reads TEXT (lines joined by spaces).
graph_is() {
	got=$(cat $1 | tr '\n' ' ' | sed 's/ $//')
	[ "$got" = "$2" ] || { echo "$1 reads '$got', not '$2'"; return 1; }
}

# graph_stat NAME COUNTER: one counter of an instance's stats.
graph_stat() { sed -n "s/^$2: //p" $G/$1/stats; }

# graph_count ID DEPTH FUNC: graph_entry events of instance ID at DEPTH
# ("*" for any) for FUNC in the top-level trace.
graph_count() {
	awk -v id="$1" -v d="$2" -v f="$3" '
		{ for (i = 1; i < NF; i++) if ($i == "graph_entry:") break }
		i < NF && $(i + 1) == "inst=" id && (d == "*" || $(i + 2) == "depth=" d) &&
			$(i + 3) == f { n++ }
		END { print n + 0 }' $T/trace
}

# graph_expect ID DEPTH FUNC N: graph_count is N.
graph_expect() {
	n=$(graph_count "$1" "$2" "$3")
	[ "$n" = "$4" ] || { echo "instance $1 has $n entries of $3 at depth $2, not $4"; return 1; }
}

# The call tree of instance ID in the top-level trace, one "pid depth func"
# line per traced entry, in order.
graph_tree() {
	awk -v id="$1" '
		{ for (i = 1; i < NF; i++) if ($i == "graph_entry:") break }
		i < NF && $(i + 1) == "inst=" id {
			pid = $1; sub(/.*-/, "", pid)
			d = $(i + 2); sub(/depth=/, "", d)
			print pid, d, $(i + 3)
		}' $T/trace
}

# The same from the kernel's function_graph output (funcgraph-proc on) in
# trace file $1.
fgraph_tree() {
	awk -F'|' '
		/^#/ || NF < 3 { next }
		{
			pid = $1; sub(/ *$/, "", pid); sub(/.*-/, "", pid)
			f = $NF; sub(/^  /, "", f)
			d = 0
			while (substr(f, 1, 2) == "  ") { d++; f = substr(f, 3) }
			if (f !~ /\(\) \{$/ && f !~ /\(\);$/) next
			sub(/[ (].*/, "", f)
			print pid, d, f
		}' $1
}
