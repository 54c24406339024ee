#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The README's first command: install what is missing, build, and run a
# 30-second diagnosis of the bundled leaking demo program.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/setup.sh"
"$top/scripts/build.sh" build
exec "$top/build/leakwatch" diagnose -d "${LW_DEMO_SECONDS:-30}" -- "$top/build/leaky-demo"
