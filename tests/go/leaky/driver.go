// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Copyright (c) 2026 The leakwatch authors

// The built-in driver: for -drive seconds, -rate rounds a second, it calls
// every leak endpoint once and /short once, as a client of the fixture's
// own server.  Then it stops, collects the garbage and goes quiet, so that
// a snapshot taken afterwards sees a population that no longer changes.
package main

import (
	"io"
	"log"
	"net/http"
	"os"
	"runtime"
	"sync/atomic"
	"time"
)

var (
	driveStart  chan os.Signal // non-nil with -wait: go on SIGUSR1
	driveFor    time.Duration
	driving     atomic.Bool
	driveDone   atomic.Bool
	driveRounds atomic.Int64
	driveErrors atomic.Int64
)

// The driver's own client: no keep-alive, no proxy, so that none of its
// connections (and none of their goroutines) outlives its request.
var driverClient = &http.Client{
	Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil},
	Timeout:   10 * time.Second,
}

func call(path string) {
	resp, err := driverClient.Get(baseURL() + path)
	if err != nil {
		driveErrors.Add(1)
		log.Printf("driver: %s: %v", path, err)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		driveErrors.Add(1)
		log.Printf("driver: %s: %s", path, resp.Status)
		return
	}
	if path == "/leak/sse" {
		// The client of the SSE leak: one event, then it goes away.
		if err := readEvent(resp.Body); err != nil {
			driveErrors.Add(1)
			log.Printf("driver: %s: %v", path, err)
		}
		return
	}
	io.Copy(io.Discard, resp.Body)
}

func round() {
	for _, p := range []string{"/leak/chan", "/leak/ctx", "/leak/ticker",
		"/leak/sse", "/leak/get", "/leak/heap", "/short?wait=1"} {
		call(p)
	}
	// The heap profile is published at the end of each GC cycle.  This
	// fixture allocates too little to collect often by itself, so it
	// collects every round: the profile follows the heap leak through
	// the window as it would in a busier server.
	runtime.GC()
	driveRounds.Add(1)
}

func drive() {
	if driveStart != nil {
		<-driveStart
	}
	driving.Store(true)
	rate := *driveRate
	if rate < 1 {
		rate = 1
	}
	end := time.Now().Add(driveFor)
	t := time.NewTicker(time.Second / time.Duration(rate))
	round()
	for now := range t.C {
		if !now.Before(end) {
			break
		}
		round()
	}
	t.Stop()
	driverClient.CloseIdleConnections()
	// The heap profile is published at the end of GC cycles and may lag
	// two of them behind: three make it show every object kept.
	runtime.GC()
	runtime.GC()
	runtime.GC()
	driving.Store(false)
	driveDone.Store(true)
	log.Printf("driver: done, %d rounds, %d errors", driveRounds.Load(), driveErrors.Load())
}
