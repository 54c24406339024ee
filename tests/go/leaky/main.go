// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Copyright (c) 2026 The leakwatch authors

// Command leaky is the Go fixture of leakwatch's integration tests
// (tests/integration/test_go.c): a net/http server with one endpoint per
// goroutine leak pattern, non-leaking goroutines next to them, a heap leak,
// and a built-in driver, so that one process is the whole workload.  It
// counts its own goroutines per start function and serves the counts on
// /counts, the ground truth the test compares leakwatch's report with.
// Standard library only: it is built with every Go toolchain from 1.19 on.
//
// Every goroutine the fixture starts runs a named top-level function that
// takes no arguments: the compiler wraps `go f(x)` in a closure whose name
// differs between Go versions (f.func1, f.gowrap1), while `go f()` starts f
// itself.  Arguments travel through the handoff channels of leaks.go.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	_ "net/http/pprof" // /debug/pprof/goroutine, compared with leakwatch
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
)

var (
	portFile   = flag.String("port-file", "", "write the listening port to this file once serving")
	driveSecs  = flag.Float64("drive", 0, "call every endpoint for this many seconds, then stop")
	driveRate  = flag.Int("rate", 5, "driver rounds per second (each round calls every endpoint once)")
	driveWait  = flag.Bool("wait", false, "start driving on SIGUSR1 instead of at once")
	memProfile = flag.Bool("memprofilerate1", false, "record every heap allocation in the heap profile (runtime.MemProfileRate = 1)")
	stressN    = flag.Int("stress", 0, "run this many goroutines that grow and shrink their stacks without end")
	stressMax  = flag.Int("stress-depth", 3000, "deepest recursion of a stress goroutine")
)

// A counter of live goroutines that run one start function: incremented
// before the go statement (so /counts never misses one that has not run
// yet), decremented when the goroutine returns.
type counter struct {
	name string // the start function as the runtime names it
	leak bool   // the goroutines never exit: a leak pattern
	live atomic.Int64
}

var counters []*counter

func newCounter(name string, leak bool) *counter {
	c := &counter{name: name, leak: leak}
	counters = append(counters, c)
	return c
}

// listenPort is the port the server listens on, for the fixture's calls
// to itself.
var listenPort int

func baseURL() string {
	return "http://127.0.0.1:" + strconv.Itoa(listenPort)
}

func writePortFile(path string, port int) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(port)+"\n"), 0o644); err != nil {
		return err
	}
	// The rename makes the file appear whole: the test polls for it.
	return os.Rename(tmp, path)
}

// countsReply is the JSON of /counts.
type countsReply struct {
	// Live goroutines per start function, from the fixture's own
	// counters.  net/http's goroutines are derived from the calls the
	// fixture made: each /leak/get pins one readLoop, one writeLoop and
	// one server-side (*conn).serve; each /leak/sse handler still running
	// holds one (*conn).serve.  The connection serving this /counts
	// request is not counted.
	Goroutines map[string]int64 `json:"goroutines"`
	// The start functions above that are leak patterns.
	Leaks []string `json:"leaks"`
	// What /leak/heap keeps: objects of ObjectBytes each, allocated in
	// Function.
	Heap struct {
		Function    string `json:"function"`
		Objects     int64  `json:"objects"`
		ObjectBytes int64  `json:"object_bytes"`
		Bytes       int64  `json:"bytes"`
	} `json:"heap"`
	MemProfileRate int    `json:"mem_profile_rate"`
	Rounds         int64  `json:"rounds"`
	Driving        bool   `json:"driving"`
	DriveDone      bool   `json:"drive_done"`
	DriveErrors    int64  `json:"drive_errors"`
	GoVersion      string `json:"go_version"`
}

func handleCounts(w http.ResponseWriter, r *http.Request) {
	var rep countsReply

	rep.Goroutines = make(map[string]int64)
	for _, c := range counters {
		rep.Goroutines[c.name] = c.live.Load()
		if c.leak {
			rep.Leaks = append(rep.Leaks, c.name)
		}
	}
	pinned := getCalls.Load()
	rep.Goroutines["net/http.(*persistConn).readLoop"] = pinned
	rep.Goroutines["net/http.(*persistConn).writeLoop"] = pinned
	rep.Goroutines["net/http.(*conn).serve"] = pinned + sseHandlers.Load()
	rep.Leaks = append(rep.Leaks, "net/http.(*persistConn).readLoop",
		"net/http.(*persistConn).writeLoop", "net/http.(*conn).serve")
	rep.Heap.Function = "main.heapLeakAlloc"
	rep.Heap.Objects = heapObjects.Load()
	rep.Heap.ObjectBytes = heapObjectSize
	rep.Heap.Bytes = rep.Heap.Objects * heapObjectSize
	rep.MemProfileRate = runtime.MemProfileRate
	rep.Rounds = driveRounds.Load()
	rep.Driving = driving.Load()
	rep.DriveDone = driveDone.Load()
	rep.DriveErrors = driveErrors.Load()
	rep.GoVersion = runtime.Version()
	writeJSON(w, &rep)
}

func writeJSON(w http.ResponseWriter, v interface{}) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(append(b, '\n'))
}

// /gc: a full collection, twice, so that the heap profile (published at
// the end of a cycle) shows every allocation made before the call.
func handleGC(w http.ResponseWriter, r *http.Request) {
	runtime.GC()
	runtime.GC()
	fmt.Fprintln(w, "ok")
}

// /ok: what /leak/get fetches.  The body must not be empty: an empty body
// is returned as http.NoBody and the connection goes back to the pool at
// once, pinning nothing.
func handleOK(w http.ResponseWriter, r *http.Request) {
	fmt.Fprintln(w, "ok")
}

func main() {
	flag.Parse()
	if *memProfile {
		runtime.MemProfileRate = 1
	}
	initLeaks()

	http.HandleFunc("/counts", handleCounts)
	http.HandleFunc("/gc", handleGC)
	http.HandleFunc("/ok", handleOK)
	http.HandleFunc("/short", handleShort)
	http.HandleFunc("/leak/chan", handleLeakChan)
	http.HandleFunc("/leak/ctx", handleLeakCtx)
	http.HandleFunc("/leak/ticker", handleLeakTicker)
	http.HandleFunc("/leak/sse", handleLeakSSE)
	http.HandleFunc("/leak/get", handleLeakGet)
	http.HandleFunc("/leak/heap", handleLeakHeap)
	http.HandleFunc("/stress", handleStress)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	listenPort = ln.Addr().(*net.TCPAddr).Port

	startPool()
	if *stressN > 0 {
		startStress(*stressN, *stressMax)
	}
	if *driveSecs > 0 {
		if *driveWait {
			sigs := make(chan os.Signal, 1)
			signal.Notify(sigs, syscall.SIGUSR1)
			driveStart = sigs
		}
		driveFor = time.Duration(*driveSecs * float64(time.Second))
		go drive()
	}
	if *portFile != "" {
		if err := writePortFile(*portFile, listenPort); err != nil {
			log.Fatal(err)
		}
	}
	log.Printf("leaky %s: serving on 127.0.0.1:%d", runtime.Version(), listenPort)
	srv := &http.Server{} // no timeouts: a pinned connection stays forever
	log.Fatal(srv.Serve(ln))
}
