#!/bin/bash
# Checks on a finished module build that Kbuild itself does not make fatal:
#   - any compiler, objtool or modpost warning in the build log;
#   - C++ dynamic initialisers or destructors of globals (GCC's
#     _GLOBAL__sub_I_ / _GLOBAL__sub_D_ functions): nothing would run them
#     in a module (KASAN's own module constructors are fine: the kernel runs
#     those);
#   - references to the C++ runtime (exceptions, RTTI, guards, atexit).
#
#   check-module-build.sh [--objects DIR] BUILD_LOG CROSS_COMPILE MODULE.ko...
#
# The build log only has the warnings of the objects that were rebuilt: with
# --objects, a build that warned deletes DIR's objects, so that the next
# (incremental) build compiles them again and the warnings show again, until
# they are fixed.
set -euo pipefail
objects=
if [ "${1:-}" = --objects ]; then
	objects=$2
	shift 2
fi
buildlog=$1
cross=$2
shift 2
bad=0
if grep -ni 'warning:' "$buildlog" >&2; then
	echo "check-module-build: warnings in the module build (above)" >&2
	bad=1
	if [ -n "$objects" ]; then
		find "$objects" -name '*.o' -delete
		echo "check-module-build: deleted the objects of $objects: the next build warns again" >&2
	fi
fi
for ko in "$@"; do
	if "${cross}nm" "$ko" | grep -E '_GLOBAL__sub_[ID]_' >&2; then
		echo "check-module-build: $ko has C++ global constructors/destructors" >&2
		bad=1
	fi
	if "${cross}nm" -u "$ko" | grep -E '__cxa_|__gxx_|_Unwind_|_Znw|_Zdl|_ZTI|_ZTV' >&2; then
		echo "check-module-build: $ko needs the C++ runtime" >&2
		bad=1
	fi
done
exit $bad
