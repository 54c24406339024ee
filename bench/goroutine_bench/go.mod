module leakwatch/bench/goroutine_bench

go 1.19
