// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Copyright (c) 2026 The leakwatch authors

// Stress mode (-stress N): N goroutines recurse to random depths through
// frames of a few hundred bytes, so their stacks grow (and are copied)
// again and again; a collector goroutine forces GCs that shrink them back,
// and every round starts a short-lived child that does the same on a fresh
// stack.  Each recursion computes a checksum that is checked against the
// same computation done in a loop: a corrupted stack (a tracer writing
// where it should not) shows up as a mismatch or a crash.  /stress serves
// the figures.  The goroutines sleep 10 ms between rounds: with 16 of them
// about 15% of one CPU.
package main

import (
	"net/http"
	"runtime"
	"sync/atomic"
	"time"
)

const stressMul = 6364136223846793005

var (
	cStress      = newCounter("main.stressWorker", false)
	cStressChild = newCounter("main.stressChild", false)

	stressDepth      int
	stressRounds     atomic.Int64
	stressMismatches atomic.Int64
	stressGCs        atomic.Int64
	stressSeed       atomic.Uint64
)

// pad writes one byte of a frame-local array and reads one back, through a
// pointer the compiler cannot see through: the whole array stays in the
// frame, so every level of the recursion costs its size in stack.
//
//go:noinline
func pad(p *[256]byte, x uint64) byte {
	p[x%256] = byte(x >> 3)
	return p[(x>>8)%256]
}

//go:noinline
func recurse(d int, x uint64) uint64 {
	var frame [256]byte
	b := pad(&frame, x)
	if d == 0 {
		return x
	}
	return recurse(d-1, x*stressMul+uint64(d)) ^ uint64(b) ^ uint64(frame[x%256])
}

// What recurse(d, x) returns, computed without recursion.
func expected(d int, x uint64) uint64 {
	var acc uint64
	for ; d > 0; d-- {
		if x%256 == (x>>8)%256 {
			acc ^= uint64(byte(x >> 3))
		}
		acc ^= uint64(byte(x >> 3))
		x = x*stressMul + uint64(d)
	}
	return x ^ acc
}

// A cheap deterministic generator per goroutine (splitmix64).
func next(s *uint64) uint64 {
	*s += 0x9e3779b97f4a7c15
	z := *s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func stressOnce(s *uint64) {
	d := int(next(s) % uint64(stressDepth+1))
	x := next(s)
	if recurse(d, x) != expected(d, x) {
		stressMismatches.Add(1)
	}
	stressRounds.Add(1)
}

func stressWorker() {
	defer cStress.live.Add(-1)
	s := stressSeed.Add(1) * 0x2545f4914f6cdd1d
	for {
		stressOnce(&s)
		cStressChild.live.Add(1)
		go stressChild()
		time.Sleep(10 * time.Millisecond)
	}
}

func stressChild() {
	defer cStressChild.live.Add(-1)
	s := stressSeed.Add(1) * 0x2545f4914f6cdd1d
	stressOnce(&s)
}

// Collections shrink the stacks of parked goroutines to half when they use
// less than a quarter, so the next deep round grows them again.
func stressGC() {
	for {
		time.Sleep(100 * time.Millisecond)
		runtime.GC()
		stressGCs.Add(1)
	}
}

func startStress(n, depth int) {
	stressDepth = depth
	for i := 0; i < n; i++ {
		cStress.live.Add(1)
		go stressWorker()
	}
	go stressGC()
}

type stressReply struct {
	Workers    int64 `json:"workers"`
	Rounds     int64 `json:"rounds"`
	Mismatches int64 `json:"mismatches"`
	GCs        int64 `json:"gcs"`
}

func handleStress(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, &stressReply{
		Workers:    cStress.live.Load(),
		Rounds:     stressRounds.Load(),
		Mismatches: stressMismatches.Load(),
		GCs:        stressGCs.Load(),
	})
}
