package file_test

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestPermissionDeniedUnprivileged covers the suite's PermissionDenied case
// when the tests run as root, whom file modes cannot deny: it re-runs that
// case in a copy of this test binary as the unprivileged user nobody.
func TestPermissionDeniedUnprivileged(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("not root: TestContract/*/PermissionDenied runs directly")
	}
	const nobody = 65534
	work, err := os.MkdirTemp("", "file-denied")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(work)
	tmp := filepath.Join(work, "tmp")
	bin := filepath.Join(work, "file.test")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := copyFile(os.Args[0], bin); err != nil {
		t.Fatal(err)
	}
	for path, mode := range map[string]os.FileMode{work: 0o755, bin: 0o755} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(tmp, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^TestContract$/^(yaml|json|dotenv|dir)$/^PermissionDenied$", "-test.v")
	cmd.Env = []string{"TMPDIR=" + tmp, "HOME=" + tmp, "PATH=/usr/bin:/bin"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	out, err := cmd.CombinedOutput()
	if err != nil && !strings.Contains(string(out), "--- FAIL") {
		// In CI a skip here would leave the PermissionDenied case
		// unexercised without anyone noticing.
		if os.Getenv("CI") != "" {
			t.Fatalf("cannot run the test binary as nobody (CI is set, so this fails rather than skips): %v\n%s", err, out)
		}
		t.Skipf("cannot run the test binary as nobody here: %v\n%s", err, out)
	}
	for _, format := range []string{"yaml", "json", "dotenv", "dir"} {
		if !strings.Contains(string(out), "--- PASS: TestContract/"+format+"/PermissionDenied ") {
			t.Errorf("as nobody, %s/PermissionDenied did not pass:\n%s", format, out)
		}
	}
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}
