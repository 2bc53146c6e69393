package store

// SetBoltNoSync lets benchmarks fill a large data file without one fsync
// per record; nothing else may turn syncing off.
func SetBoltNoSync(b *Bolt, noSync bool) { b.db.NoSync = noSync }
