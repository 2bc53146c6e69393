package file

import (
	"io/fs"
	"syscall"
	"time"
)

// changeTime returns the inode change time (ctime). Unlike the
// modification time it cannot be set by a program, so an in-place rewrite
// that restores the old mtime (cp -p, rsync -t) still moves it.
func changeTime(info fs.FileInfo) time.Time {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return time.Unix(st.Ctim.Unix())
	}
	return time.Time{}
}
