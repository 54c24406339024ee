module leakwatch.test/gleak

go 1.26
