module leakwatch/leaky

go 1.19
