package testutil

import (
	"flag"
	"strconv"
)

// WaitersInParallel lets a test binary run up to n parallel tests at once
// unless -test.parallel was given. Call it from TestMain, before m.Run, in a
// package whose parallel tests spend their time waiting — on timers, poll
// intervals, file notifications and the quiet periods that prove nothing
// more is delivered — rather than computing. -parallel defaults to
// GOMAXPROCS, which on a two-core machine queues such tests behind each
// other for no gain in CPU.
func WaitersInParallel(n int) {
	if !flag.Parsed() {
		flag.Parse()
	}
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	f := flag.Lookup("test.parallel")
	if explicit || f == nil {
		return
	}
	if current, err := strconv.Atoi(f.Value.String()); err == nil && current < n {
		f.Value.Set(strconv.Itoa(n))
	}
}
