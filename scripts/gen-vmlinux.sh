#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Regenerate the checked-in vmlinux.h from the running kernel's BTF.
#   scripts/gen-vmlinux.sh [ARCH]     (default: x86)
set -euo pipefail
arch=${1:-x86}
top=$(cd "$(dirname "$0")/.." && pwd)
out="$top/bpf/vmlinux/$arch/vmlinux.h"
mkdir -p "$(dirname "$out")"
bpftool btf dump file /sys/kernel/btf/vmlinux format c > "$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out ($(wc -l < "$out") lines)"
