// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Copyright (c) 2026 The leakwatch authors

// sockleak: an HTTP client that never closes response bodies, against its
// own server on loopback.  Each leak() leaves two sockets open: the
// client's connection (the transport cannot reuse a connection whose body
// was not consumed and closed) and the server's end, idle in keep-alive.
// Traced by tests/integration/test_sockets.c; prints "done" after N
// requests (the first argument, default 20) and then idles.
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"
)

//go:noinline
func leak(url string) {
	resp, err := http.Get(url)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sockleak:", err)
		os.Exit(1)
	}
	_ = resp.StatusCode // resp.Body.Close() forgotten
}

func main() {
	n := 20
	if len(os.Args) > 1 {
		v, err := strconv.Atoi(os.Args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, "sockleak: bad count:", os.Args[1])
			os.Exit(2)
		}
		n = v
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "sockleak:", err)
		os.Exit(1)
	}
	srv := &http.Server{Handler: http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintln(w, "hello")
		})}
	go srv.Serve(ln)
	url := "http://" + ln.Addr().String() + "/"
	for i := 0; i < n; i++ {
		leak(url)
		time.Sleep(250 * time.Millisecond)
	}
	fmt.Println("done")
	select {}
}
