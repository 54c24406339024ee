// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Copyright (c) 2026 The leakwatch authors

// Command goroutine_bench measures what one short goroutine costs (the go
// statement, a trivial body, the exit), in phases: each phase starts -n
// goroutines in batches of -batch and waits for them, then prints
// "phase K: X ns/goroutine" and, but for the last, waits for a line on
// stdin before the next phase.  bench/goroutine_run.sh attaches and
// detaches `leakwatch --goroutine-probes` between phases, so traced and
// untraced phases run in one process, side by side (docs/performance.md).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"sync"
	"time"
)

var sink [64]int64

//go:noinline
func work(wg *sync.WaitGroup, i int) {
	sink[i&63]++
	wg.Done()
}

func phase(n, batch int) float64 {
	var wg sync.WaitGroup

	start := time.Now()
	for i := 0; i < n; i += batch {
		wg.Add(batch)
		for j := 0; j < batch; j++ {
			go work(&wg, j)
		}
		wg.Wait()
	}
	return float64(time.Since(start).Nanoseconds()) / float64(n)
}

func main() {
	n := flag.Int("n", 200000, "goroutines per phase")
	batch := flag.Int("batch", 100, "goroutines started before waiting for them")
	phases := flag.Int("phases", 1, "phases; between two, wait for a line on stdin")
	flag.Parse()

	in := bufio.NewReader(os.Stdin)
	phase(*n/10, *batch) // warm up: grow the free g lists
	for k := 1; k <= *phases; k++ {
		ns := phase(*n, *batch)
		fmt.Printf("phase %d: %.1f ns/goroutine\n", k, ns)
		if k < *phases {
			if _, err := in.ReadString('\n'); err != nil {
				return
			}
		}
	}
}
