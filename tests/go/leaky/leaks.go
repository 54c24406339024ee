// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Copyright (c) 2026 The leakwatch authors

// The endpoints of the fixture: one per leak pattern, the non-leaking
// goroutines (a fixed worker pool, short-lived goroutines) and a heap leak.
// Ground truth per endpoint call is in docs/testing.md ("Go fixture").
package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

const (
	poolSize       = 8    // fixed worker pool, started with the server
	shortPerCall   = 4    // goroutines one /short call starts
	heapObjectSize = 4096 // a size class: profiled sizes are exact
	heapKeepMax    = 1 << 16
	handoffCap     = 1 << 16
)

var (
	cChan   = newCounter("main.chanLeakWorker", true)
	cCtx    = newCounter("main.ctxLeakWorker", true)
	cTicker = newCounter("main.tickerLeakWorker", true)
	cSSE    = newCounter("main.sseStream", true)
	cPool   = newCounter("main.poolWorker", false)
	cShort  = newCounter("main.shortWorker", false)

	getCalls    atomic.Int64 // /leak/get calls that pinned a connection
	sseHandlers atomic.Int64 // /leak/sse handlers still running
	heapObjects atomic.Int64 // objects /leak/heap keeps
	tickerTicks atomic.Int64

	// Handoffs: a goroutine started with `go f()` takes its argument
	// from here (see main.go for why there are no arguments).
	chanHandoff chan chan int
	ctxHandoff  chan context.Context
	sseHandoff  chan *sseClient

	poolJobs chan int
	poolSum  atomic.Int64

	pinnedMu sync.Mutex
	pinned   []*http.Response // /leak/get responses, never closed

	heapMu   sync.Mutex
	heapKept [][]byte
)

func initLeaks() {
	chanHandoff = make(chan chan int, handoffCap)
	ctxHandoff = make(chan context.Context, handoffCap)
	sseHandoff = make(chan *sseClient, handoffCap)
	poolJobs = make(chan int, 64)
	// Room for every kept object up front: append never reallocates, so
	// main.heapLeakAlloc is the only site holding what /leak/heap keeps.
	heapKept = make([][]byte, 0, heapKeepMax)
}

// /leak/chan: a goroutine waits for a result on a channel nobody ever
// sends on or closes.
func handleLeakChan(w http.ResponseWriter, r *http.Request) {
	chanHandoff <- make(chan int)
	cChan.live.Add(1)
	go chanLeakWorker()
	io.WriteString(w, "ok\n")
}

func chanLeakWorker() {
	defer cChan.live.Add(-1)
	results := <-chanHandoff
	awaitResult(results) // blocks forever: "chan receive"
}

// awaitResult is small enough for every toolchain to inline: the
// goroutine blocks in inlined code, and test_go.c compares the stack
// leakwatch reads with the one /debug/pprof/goroutine?debug=2 prints.
func awaitResult(results chan int) int {
	return <-results
}

// /leak/ctx: context.WithCancel whose cancel is never called, with a
// goroutine waiting on ctx.Done().
func handleLeakCtx(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithCancel(context.Background())
	_ = cancel // the bug: never called
	ctxHandoff <- ctx
	cCtx.live.Add(1)
	go ctxLeakWorker()
	io.WriteString(w, "ok\n")
}

func ctxLeakWorker() {
	defer cCtx.live.Add(-1)
	ctx := <-ctxHandoff
	<-ctx.Done()
}

// /leak/ticker: a goroutine ranges over a time.Ticker that is never
// stopped.  The ticker is slow, so its goroutines stay parked almost always
// and cost nothing.
func handleLeakTicker(w http.ResponseWriter, r *http.Request) {
	cTicker.live.Add(1)
	go tickerLeakWorker()
	io.WriteString(w, "ok\n")
}

func tickerLeakWorker() {
	defer cTicker.live.Add(-1)
	t := time.NewTicker(5 * time.Second)
	for range t.C {
		tickerTicks.Add(1)
	}
}

// /leak/sse: a Server-Sent-Events handler hands the stream to a writer
// goroutine and waits for it to finish; neither watches r.Context(), so
// when the client goes away after the first event both stay forever.
type sseClient struct {
	w      http.ResponseWriter
	f      http.Flusher
	events chan string // never fed, never closed
	done   chan struct{}
}

func handleLeakSSE(w http.ResponseWriter, r *http.Request) {
	sseHandlers.Add(1)
	defer sseHandlers.Add(-1)
	f, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "no flusher", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	c := &sseClient{w: w, f: f, events: make(chan string), done: make(chan struct{})}
	sseHandoff <- c
	cSSE.live.Add(1)
	go sseStream()
	<-c.done // the bug: no select on r.Context().Done()
}

func sseStream() {
	defer cSSE.live.Add(-1)
	c := <-sseHandoff
	defer close(c.done)
	io.WriteString(c.w, "data: hello\n\n")
	c.f.Flush()
	for ev := range c.events {
		io.WriteString(c.w, "data: "+ev+"\n\n")
		c.f.Flush()
	}
}

// /leak/get: http.Get of the fixture's own /ok without resp.Body.Close():
// the connection stays pinned with its two transport goroutines
// (readLoop, writeLoop), and the server side of it waits for the next
// request in (*conn).serve.
func handleLeakGet(w http.ResponseWriter, r *http.Request) {
	resp, err := http.Get(baseURL() + "/ok")
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	getCalls.Add(1)
	pinnedMu.Lock()
	pinned = append(pinned, resp) // the bug: resp.Body is never closed
	pinnedMu.Unlock()
	io.WriteString(w, "ok\n")
}

// /leak/heap: one heapObjectSize object per call, kept in a global slice.
func handleLeakHeap(w http.ResponseWriter, r *http.Request) {
	if !heapLeakAlloc() {
		http.Error(w, "heap leak full", http.StatusInsufficientStorage)
		return
	}
	io.WriteString(w, "ok\n")
}

//go:noinline
func heapLeakAlloc() bool {
	heapMu.Lock()
	defer heapMu.Unlock()
	if len(heapKept) == cap(heapKept) {
		return false
	}
	heapKept = append(heapKept, make([]byte, heapObjectSize))
	heapObjects.Add(1)
	return true
}

// The fixed worker pool: poolSize goroutines started once, fed by /short
// and the driver.  Not a leak: its size never changes.
func startPool() {
	for i := 0; i < poolSize; i++ {
		cPool.live.Add(1)
		go poolWorker()
	}
}

func poolWorker() {
	defer cPool.live.Add(-1)
	for n := range poolJobs {
		s := 0
		for i := 0; i < n; i++ {
			s += i
		}
		poolSum.Add(int64(s))
	}
}

// /short: shortPerCall goroutines that exit within milliseconds, and one
// job for the pool.
func handleShort(w http.ResponseWriter, r *http.Request) {
	var wg sync.WaitGroup

	for i := 0; i < shortPerCall; i++ {
		cShort.live.Add(1)
		wg.Add(1)
		shortWG <- &wg
		go shortWorker()
	}
	poolJobs <- 1000
	if r.URL.Query().Get("wait") != "" {
		wg.Wait()
	}
	io.WriteString(w, "ok\n")
}

var shortWG = make(chan *sync.WaitGroup, handoffCap)

func shortWorker() {
	defer cShort.live.Add(-1)
	wg := <-shortWG
	defer wg.Done()
	time.Sleep(2 * time.Millisecond)
	runtime.Gosched()
}

// readEvent reads one Server-Sent Event (up to its blank line).
func readEvent(r io.Reader) error {
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return err
		}
		if line == "\n" {
			return nil
		}
	}
}
