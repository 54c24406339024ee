#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The README's second command (and what CI runs): install what is missing,
# build twice (optimised with -Werror; ASan+UBSan), and run every test:
# unit and integration tests on the optimised build, then all of them
# again on the sanitized build, so the tool itself is checked for leaks
# and undefined behaviour while it traces real processes.  Run as root.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
"$top/scripts/setup.sh"

echo "== build (RelWithDebInfo, -Werror)"
"$top/scripts/build.sh" build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLW_WERROR=ON
echo "== build (ASan + UBSan)"
"$top/scripts/build.sh" build-asan -DCMAKE_BUILD_TYPE=Debug -DLW_SANITIZE=ON

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=23
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
rc=0
echo "== tests (optimised build)"
(cd build && ctest --output-on-failure --timeout 300) || rc=1
echo "== tests (sanitized build)"
(cd build-asan && ctest --output-on-failure --timeout 300) || rc=1
exit $rc
