module leakwatch.test/sockleak

go 1.19
