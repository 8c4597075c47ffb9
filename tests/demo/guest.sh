# The guest half of make demo (tests/demo/demo.sh): two mfg_graph instances
# with different filters and an mfg_kretprobe on vfs_read, which both
# instances trace, over a real workload; then the raw ring buffer, the event
# formats, kallsyms and the rest go out over the console as a base64 tar
# between MFG-DEMO-TAR-BEGIN and MFG-DEMO-TAR-END. Sourced by the test
# runner's /init (tests/qemu/run.py), so "step" checks each phase.
. /mfg/graph-lib.sh
demo() { echo "MFG-DEMO: $*"; }
graph_mount
demo "guest up: $(nproc) CPUs, kernel $(uname -r) $(uname -m)"
step "insmod mfgraph" insmod /mfg/mfgraph.ko
step "insmod mfg_graph" insmod /mfg/mfg_graph.ko
step "insmod mfg_kretprobe" insmod /mfg/mfg_kretprobe.ko
echo 4096 > $T/buffer_size_kb
echo > $T/trace
# fs: the file-system calls, return values on. tasks: process life, three
# levels deep, with vfs_read below exec.
fs_funcs='vfs_read vfs_write vfs_open vfs_getattr vfs_statx iterate_dir filemap_read rw_verify_area do_filp_open dcache_readdir'
tasks_funcs='kernel_clone copy_process wake_up_new_task do_exit do_wait bprm_execve load_elf_binary begin_new_exec vfs_read'
step "instance fs" graph_add fs
step "fs: functions" sh -c "echo '$fs_funcs' > $G/fs/functions"
echo 1 > $G/fs/retval
step "instance tasks" graph_add tasks
step "tasks: functions" sh -c "echo '$tasks_funcs' > $G/tasks/functions"
echo 3 > $G/tasks/max_depth
step "mfg_kretprobe on vfs_read (mfg_demo_probe)" insmod /mfg/mfg_demo_probe.ko func=vfs_read
echo 1 > $T/events/mfgraph/enable
echo 1 > $G/fs/enable
echo 1 > $G/tasks/enable
demo "tracing: instances $(cat $G/instances | tr '\n' ' ')+ mfg_kretprobe on vfs_read"

demo "workload: find, ls -lR, cat, tar|gzip, sort, 20 forks"
mkdir -p /tmp/w
find / -xdev -type f 2>/dev/null | head -200 > /tmp/w/files
ls -lR /bin /mfg /proc/self > /tmp/w/ls 2>/dev/null
xargs cat < /tmp/w/files > /dev/null 2>&1
tar cf - /mfg 2>/dev/null | gzip -1 > /tmp/w/mfg.tgz
gunzip -c /tmp/w/mfg.tgz | wc -c > /tmp/w/size
sort /tmp/w/files | md5sum > /tmp/w/sum
i=0
while [ $i -lt 20 ]; do
	sh -c "cat /proc/self/stat > /dev/null; grep -c . /tmp/w/files > /dev/null"
	i=$((i + 1))
done

echo 0 > $G/fs/enable
echo 0 > $G/tasks/enable
echo 0 > $T/tracing_on
p=/sys/module/mfg_demo_probe/parameters
# Returns first: the read of calls is itself a call in flight.
returns=$(cat $p/returns)
demo "mfg_kretprobe on vfs_read: $(cat $p/calls) calls, $returns returns, $(cat $p/errors) errors, $(cat $p/bytes) bytes read"
for n in fs tasks; do
	demo "instance $n (id $(graph_id $n)): $(cat $G/$n/stats | tr '\n' ' ')"
done
step "the probe saw vfs_read" [ "$(cat $p/calls)" -gt 0 ]
step "fs traced calls" [ "$(graph_stat fs entries)" -gt 0 ]
step "tasks traced calls" [ "$(graph_stat tasks entries)" -gt 0 ]
# The probe counted for longer (it was loaded first and still counts).
fs_reads=$(grep -c "graph_entry: inst=$(graph_id fs) depth=[0-9]* vfs_read\$" $T/trace)
demo "fs recorded $fs_reads vfs_read entries in the ring buffer"
step "the probe saw every vfs_read fs saw" [ "$(cat $p/calls)" -ge "$fs_reads" ]

# What the host's mfg-report reads. trace first: reading trace_pipe_raw
# consumes the events.
o=/tmp/demo-out
mkdir -p $o/events/mfgraph
cp $T/events/header_page $T/events/header_event $o/events/
for e in $T/events/mfgraph/graph_*; do
	mkdir -p $o/events/mfgraph/${e##*/}
	cp $e/format $o/events/mfgraph/${e##*/}/
done
cat $T/trace > $o/trace
cat /proc/kallsyms > $o/kallsyms
cat $T/saved_cmdlines > $o/saved_cmdlines
cat $G/instances > $o/instances
for c in $T/per_cpu/cpu*; do
	mkdir -p $o/per_cpu/${c##*/}
	# A read of an empty buffer waits for events: stop after a second.
	timeout 1 dd if=$c/trace_pipe_raw of=$o/per_cpu/${c##*/}/trace_pipe_raw bs=4096 2>/dev/null
done
step "raw pages copied" [ -s $o/per_cpu/cpu0/trace_pipe_raw ]
tar czf /tmp/demo.tgz -C $o .
demo "extracted $(du -sk $o | cut -f1) KiB ($(wc -c < /tmp/demo.tgz) bytes compressed): sending"
# Nothing but the archive on the console while it goes out.
printk=$(cat /proc/sys/kernel/printk)
echo 1 > /proc/sys/kernel/printk
echo "MFG-DEMO-TAR-BEGIN $(md5sum < /tmp/demo.tgz | cut -d' ' -f1)"
base64 /tmp/demo.tgz
echo "MFG-DEMO-TAR-END"
echo "$printk" > /proc/sys/kernel/printk
demo "sent"
echo 1 > $T/tracing_on
echo 0 > $T/events/mfgraph/enable
step "rmmod mfg_demo_probe" rmmod mfg_demo_probe
step "rmmod mfg_graph" rmmod mfg_graph
step "rmmod mfg_kretprobe" rmmod mfg_kretprobe
# A task still inside a traced call keeps mfgraph loaded until it returns.
i=0
while ! rmmod mfgraph 2>/dev/null && [ $i -lt 20 ]; do
	[ $i = 0 ] && cat /sys/kernel/debug/mfgraph/stacks
	sleep 0.5
	i=$((i + 1))
done
step "mfgraph unloaded" sh -c "! grep -q '^mfgraph ' /proc/modules"
