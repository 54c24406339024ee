#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Fetch a few released esbuild binaries from the npm registry: static,
# stripped Go programs built by someone else with Go 1.16, 1.17, 1.18, 1.20
# and 1.26, for tests/integration/test_go.c's esbuild mode.
#
#   esbuild-fetch.sh DEST
#
# Each binary lands in DEST/VERSION/esbuild (only missing ones are fetched,
# with `npm pack` in a temporary directory: nothing is installed) and is
# checked against the SHA-256 pinned below, so the Go version a test expects
# of it (tests/integration/CMakeLists.txt) is a fact about exactly these
# bytes.  Exits 1 with a message naming what is missing when the registry
# cannot be reached.
set -euo pipefail
dest=${1:?usage: esbuild-fetch.sh DEST}

# npm package, version, SHA-256 of package/bin/esbuild.  The Go version of
# each, from the build info (`go version BIN` of Go 1.26), in a comment;
# 0.28.2 has no .go.buildinfo section, its runtime.buildVersion says go1.26.5.
pins=(
	"esbuild-linux-64 0.11.23 af27612ed10b2d50cf6bc66870a3d39b37971ef26110cc6df1de4f6f0fa199b1" # go1.16.3
	"esbuild-linux-64 0.13.15 593df79f645e8c303491a3124a0d998c9c3e4dbef7eee5f9cc112cac46fe3d0a" # go1.17.2
	"esbuild-linux-64 0.14.49 347182155c77b0734486f46f0072447ebb5cd580e8a20202c9a61b49f6285005" # go1.18.3
	"@esbuild/linux-x64 0.18.20 82afa0d18098bef823ba5b5c89bb5cfbea1a25f0721416d29a9dd7ba73fd237d" # go1.20.7
	"@esbuild/linux-x64 0.28.2 e1698a3d5c6c0798fee4fd3b5cc816651f460c63d390a7a26ea4beb0b1884100" # go1.26.5
)

have_sum() {
	[ -x "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]
}

todo=()
for pin in "${pins[@]}"; do
	read -r pkg ver sum <<<"$pin"
	have_sum "$dest/$ver/esbuild" "$sum" || todo+=("$pin")
done
[ ${#todo[@]} -gt 0 ] || exit 0
if ! command -v npm >/dev/null; then
	echo "esbuild-fetch: npm is not installed: cannot fetch esbuild for the integration_go_esbuild_* tests" >&2
	exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=()
for pin in "${todo[@]}"; do
	read -r pkg ver sum <<<"$pin"
	dir="$work/$ver"
	mkdir -p "$dir"
	if [ -n "${down:-}" ]; then
		failed+=("$pkg@$ver")
		continue
	fi
	ok=
	for try in 1 2; do
		if (cd "$dir" && timeout 120 npm pack --loglevel=error --fetch-retries=1 \
			--fetch-retry-mintimeout=2000 --fetch-retry-maxtimeout=10000 \
			"$pkg@$ver" >/dev/null 2>"$dir/npm.err"); then
			ok=1
			break
		fi
		sleep 5
	done
	tgz=$(ls "$dir"/*.tgz 2>/dev/null | head -n1 || true)
	if [ -z "$ok" ] || [ -z "$tgz" ]; then
		echo "esbuild-fetch: npm pack $pkg@$ver failed: $(grep -m1 -i 'err' "$dir/npm.err" 2>/dev/null || tail -n1 "$dir/npm.err" 2>/dev/null)" >&2
		failed+=("$pkg@$ver")
		down=1 # do not wait for the registry once per package
		continue
	fi
	tar -xzf "$tgz" -C "$dir" package/bin/esbuild
	if ! have_sum "$dir/package/bin/esbuild" "$sum"; then
		echo "esbuild-fetch: $pkg@$ver: package/bin/esbuild does not have the pinned SHA-256" >&2
		failed+=("$pkg@$ver")
		continue
	fi
	mkdir -p "$dest/$ver"
	install -m 0755 "$dir/package/bin/esbuild" "$dest/$ver/esbuild"
	echo "esbuild-fetch: $dest/$ver/esbuild ($pkg@$ver)"
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "esbuild-fetch: missing ${failed[*]}: the npm registry may be down; the integration_go_esbuild_* tests will fail until this script succeeds" >&2
	exit 1
fi
