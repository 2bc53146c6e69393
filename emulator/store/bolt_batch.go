package store

import (
	"time"

	"go.etcd.io/bbolt"
)

// Group commit of Bolt.Update. A batch is committed when it holds
// boltBatchSize calls or boltBatchDelay after its first call, whichever
// comes first; it is fsynced like any bbolt commit before any of its
// callers returns. The delay is what a lone writer pays extra, so it is
// kept well under one fsync of a typical disk (1–5 ms): writers that queue
// behind a running commit are gathered anyway, since the next batch can
// only commit once the running one has finished.
const (
	boltBatchDelay = time.Millisecond
	boltBatchSize  = 256
)

func tuneBatches(db *bbolt.DB) {
	db.MaxBatchDelay = boltBatchDelay
	db.MaxBatchSize = boltBatchSize
}
