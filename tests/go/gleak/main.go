// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Copyright (c) 2026 The leakwatch authors

// gleak: goroutines Go's own leak detector marks leaked (status _Gleaked,
// GOEXPERIMENT=goroutineleakprofile, Go 1.26), beside goroutines blocked
// just as long that it must not mark.  Read by tests/integration/test_go.c
// (test_gleak()); docs/testing.md, "test_go gleak".
//
//	gleak LEAKED HELD
//
// starts LEAKED goroutines in main.leakWorker, each receiving from a
// channel of its own that nothing else references (true leaks: the GC
// finds the channel unreachable), and HELD goroutines in main.heldWorker
// receiving from a channel a global still references (blocked, not
// leaked).  It prints "ready" once all of them are parked, then obeys
// one command per stdin line:
//
//	profile   write the goroutineleak profile, which runs the leak
//	          detection GC, and print "goroutineleak N" (the profile's
//	          own count) and "leakWorker K" (its records in leakWorker)
//	release   close the held channel, wait for the HELD goroutines to
//	          return, print "released HELD"
//	gc        run two ordinary GCs, print "gc"
//
// It exits when stdin closes.
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"time"
)

// held is reachable from the data segment for the whole run: goroutines
// blocked on it can be woken, so the GC must not call them leaked.
var (
	held     = make(chan struct{})
	heldDone sync.WaitGroup
)

// leakWorker receives from a channel only its own stack references.  A
// leak detection GC does not scan the stacks of goroutines blocked on
// channels until something reachable points at the channel; nothing
// does, so the goroutine is marked _Gleaked.
//
//go:noinline
func leakWorker() {
	ch := make(chan int)
	<-ch
}

//go:noinline
func heldWorker() {
	defer heldDone.Done()
	<-held
}

// parked counts the goroutines whose traceback says they wait in
// "chan receive" inside fn, from the runtime's own dump of all stacks.
func parked(fn string) int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	count := 0
	for _, rec := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(rec, "[chan receive") &&
			strings.Contains(rec, "main."+fn+"(") {
			count++
		}
	}
	return count
}

// profile writes the goroutineleak profile (debug=1: a header with the
// total, then one record per stack with its count) and prints the total
// and how many of the records' goroutines are leakWorker's.
func profile() error {
	p := pprof.Lookup("goroutineleak")
	if p == nil {
		return fmt.Errorf("no goroutineleak profile: built without GOEXPERIMENT=goroutineleakprofile")
	}
	var b bytes.Buffer
	if err := p.WriteTo(&b, 1); err != nil {
		return err
	}
	total, inWorker := -1, 0
	for _, rec := range strings.Split(b.String(), "\n\n") {
		lines := strings.Split(strings.TrimSpace(rec), "\n")
		if strings.HasPrefix(lines[0], "goroutineleak profile: total ") {
			total, _ = strconv.Atoi(strings.TrimPrefix(lines[0],
				"goroutineleak profile: total "))
			lines = lines[1:]
		}
		if len(lines) == 0 {
			continue
		}
		// "N @ pc pc ..." then one "#\tpc\tfunc+off\tfile:line" per frame.
		f := strings.Fields(lines[0])
		if len(f) == 0 {
			continue
		}
		n, err := strconv.Atoi(f[0])
		if err == nil && strings.Contains(rec, "\tmain.leakWorker+") {
			inWorker += n
		}
	}
	if total < 0 {
		return fmt.Errorf("no total in the profile: %q", b.String())
	}
	fmt.Printf("goroutineleak %d\nleakWorker %d\n", total, inWorker)
	return nil
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: gleak LEAKED HELD")
		os.Exit(2)
	}
	leaked, err1 := strconv.Atoi(os.Args[1])
	nheld, err2 := strconv.Atoi(os.Args[2])
	if err1 != nil || err2 != nil || leaked < 0 || nheld < 0 {
		fmt.Fprintln(os.Stderr, "gleak: bad counts:", os.Args[1:])
		os.Exit(2)
	}
	heldDone.Add(nheld)
	for i := 0; i < leaked; i++ {
		go leakWorker()
	}
	for i := 0; i < nheld; i++ {
		go heldWorker()
	}
	// A goroutine not parked yet when the detection GC stops the world
	// is runnable, never a candidate: wait until every one is parked.
	for parked("leakWorker") < leaked || parked("heldWorker") < nheld {
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Println("ready")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		switch in.Text() {
		case "profile":
			if err := profile(); err != nil {
				fmt.Fprintln(os.Stderr, "gleak:", err)
				os.Exit(1)
			}
		case "release":
			close(held)
			heldDone.Wait()
			fmt.Printf("released %d\n", nheld)
		case "gc":
			// Ordinary cycles: they must leave _Gleaked alone.
			runtime.GC()
			runtime.GC()
			fmt.Println("gc")
		default:
			fmt.Fprintf(os.Stderr, "gleak: unknown command %q\n", in.Text())
			os.Exit(2)
		}
	}
}
