// Package file provides secrets from local files: one YAML, JSON or dotenv
// file holding many secrets, or a directory holding one file per secret (the
// layout of Kubernetes secret volumes and the Secrets Store CSI driver).
//
// In YAML and JSON files nested mappings flatten into names joined by a
// separator ("." by default): {"db": {"password": "x"}} holds "db.password".
// Scalars other than strings read as their literal text, null as the empty
// value and YAML !!binary as its decoded bytes; lists are rejected.
// Duplicate keys, including ones produced by flattening, are errors, and so
// are names over 1024 bytes and a second YAML document. Errors name the file
// and line but never a value.
//
// In a directory each regular file is a secret named after the file, its
// contents the value, byte for byte. Names starting with '.' are skipped,
// which hides the "..data" and "..2024_..." entries Kubernetes uses to swap
// contents atomically; the visible names are symlinks through "..data", and
// are followed. Links are followed only while they stay inside the
// directory, as those relative links do: a link out of it (to
// /proc/self/environ, through "..") or an absolute one is refused with
// provider.ErrPermissionDenied and not listed.
//
// Importing the package registers the "file" URI scheme with package provider:
//
//	file:///etc/app/secrets.yaml            format from the extension
//	file:///run/secrets/app/                a directory
//	file:///etc/app/secrets?format=dotenv   format given explicitly
//	file:///etc/app/secrets.yaml?separator=__
//	file:relative/secrets.json              a path relative to the working directory
package file

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/secretkit/secretkit/provider"
)

// Name is the provider name in errors.
const Name = "file"

// Scheme is the URI scheme this package registers.
const Scheme = "file"

// Format is how a path is read.
type Format string

// The formats. FormatAuto chooses from the path: a directory is FormatDir;
// otherwise the extension (.yaml/.yml, .json, .env) decides.
const (
	FormatAuto   Format = ""
	FormatYAML   Format = "yaml"
	FormatJSON   Format = "json"
	FormatDotenv Format = "dotenv"
	FormatDir    Format = "dir"
)

// Defaults applied by [New] to zero [Options] fields.
const (
	DefaultSeparator = "."
	// DefaultMaxBytes bounds a secrets file, or one file of a directory.
	// It matches Kubernetes' 1 MiB limit on a Secret.
	DefaultMaxBytes = 1 << 20
)

// maxNameBytes bounds the names a YAML, JSON or dotenv file may hold,
// nested keys joined; far more than Kubernetes (253) or Key Vault (127)
// allow.
const maxNameBytes = 1024

// racyWindow is how far a file's modification time must lie before the
// moment its contents were read for an unchanged stat to prove unchanged
// contents. File systems store timestamps coarsely (down to 2 s on FAT), so
// a write soon after a read can leave size and mtime as they were; inside
// the window the contents are hashed instead.
const racyWindow = 2 * time.Second

func init() {
	provider.Register(Scheme, &URLOpener{})
}

// Options configures [New]. The zero value (or nil) means defaults.
type Options struct {
	Format    Format // FormatAuto if empty
	Separator string // joins nested keys; DefaultSeparator if empty
	MaxBytes  int64  // larger files are refused; DefaultMaxBytes if zero
}

// Provider reads secrets from one file or directory. It implements
// provider.SecretProvider, provider.Lister and provider.BulkGetter and is
// safe for concurrent use.
//
// Every call sees the file as it is now. A structured file is parsed again
// only when its contents changed: an unchanged stat (same file, size,
// modification and change times, written well before it was last read) is
// trusted, and otherwise the contents are hashed and compared. The change
// time catches in-place rewrites that restore the modification time (cp -p).
// A directory is read afresh on every call. Versions are not supported;
// every non-empty version is not found. The provider is a
// provider.Watcher too (see [Provider.WatchSecret]).
type Provider struct {
	path     string
	format   Format
	sep      string
	maxBytes int64

	mu   sync.Mutex
	snap *snapshot

	// parses and reads count parses and whole-file reads of a structured
	// file, so tests can prove that unchanged files are not re-parsed.
	parses atomic.Int64
	reads  atomic.Int64
}

// snapshot is one parse of a structured file.
type snapshot struct {
	info    fs.FileInfo
	readAt  time.Time // taken before the read, so it is never later than the contents
	sum     [sha256.Size]byte
	secrets map[string]string
}

// New returns a provider for path. For structured formats it reads and
// parses the file at once, so configuration mistakes surface at startup.
//
// Errors are *provider.Error with Op "open": Kind ErrUnavailable if path does
// not exist (a wrong path is not a missing secret), ErrPermissionDenied if it cannot be read, ErrInvalidArgument
// for an unknown format or a path that does not match it; a malformed file
// has no kind and unwraps to a *ParseError.
func New(path string, opts *Options) (*Provider, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Separator == "" {
		o.Separator = DefaultSeparator
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, provider.NewError(Name, "open", "", classifySource(err), err)
	}
	format, err := chooseFormat(path, o.Format, info.IsDir())
	if err != nil {
		return nil, provider.NewError(Name, "open", "", provider.ErrInvalidArgument, err)
	}
	p := &Provider{path: path, format: format, sep: o.Separator, maxBytes: o.MaxBytes}
	if format != FormatDir {
		if _, err := p.load(); err != nil {
			return nil, provider.NewError(Name, "open", "", classifySource(err), err)
		}
	}
	return p, nil
}

func chooseFormat(path string, f Format, isDir bool) (Format, error) {
	if f == FormatAuto {
		switch ext := strings.ToLower(filepath.Ext(path)); {
		case isDir:
			f = FormatDir
		case ext == ".yaml" || ext == ".yml":
			f = FormatYAML
		case ext == ".json":
			f = FormatJSON
		case ext == ".env" || filepath.Base(path) == ".env":
			f = FormatDotenv
		default:
			return "", fmt.Errorf("cannot tell the format of %s from its extension; set format to yaml, json, dotenv or dir", path)
		}
	}
	switch f {
	case FormatDir:
		if !isDir {
			return "", fmt.Errorf("%s is not a directory", path)
		}
	case FormatYAML, FormatJSON, FormatDotenv:
		if isDir {
			return "", fmt.Errorf("%s is a directory; use format dir", path)
		}
	default:
		return "", fmt.Errorf("unknown format %q (known: yaml, json, dotenv, dir)", f)
	}
	return f, nil
}

// URLOpener opens file URIs (see the package documentation). Its zero
// value is what importing the package registers with
// provider.DefaultURLMux.
type URLOpener struct {
	// Options are the defaults; a URI's format=, separator= and maxbytes=
	// override them.
	Options Options
}

// OpenProviderURL implements provider.URLOpener. Errors are those of [New],
// and *provider.Error with Kind ErrInvalidArgument for a malformed URI.
func (o *URLOpener) OpenProviderURL(_ context.Context, u *url.URL) (provider.SecretProvider, error) {
	fail := func(format string, args ...any) error {
		return provider.NewError(Name, "open", "", provider.ErrInvalidArgument, fmt.Errorf(format, args...))
	}
	if u.Host != "" && u.Host != "localhost" {
		return nil, fail("file URIs name a local path; host %q is not allowed", u.Host)
	}
	path := u.Path
	if u.Opaque != "" {
		path = u.Opaque
	}
	if path == "" {
		return nil, fail("the URI has no path")
	}
	opts := o.Options
	for key, values := range u.Query() {
		if len(values) != 1 {
			return nil, fail("query parameter %q given %d times", key, len(values))
		}
		switch key {
		case "format":
			opts.Format = Format(values[0])
		case "separator":
			opts.Separator = values[0]
		case "maxbytes":
			n, err := strconv.ParseInt(values[0], 10, 64)
			if err != nil || n <= 0 {
				return nil, fail("maxbytes=%q is not a positive integer", values[0])
			}
			opts.MaxBytes = n
		default:
			return nil, fail("unknown query parameter %q (known: format, separator, maxbytes)", key)
		}
	}
	if strings.HasSuffix(path, "/") && opts.Format == FormatAuto {
		opts.Format = FormatDir
	}
	return New(filepath.FromSlash(path), &opts)
}

// classifySource maps an error about the provider's own path — the
// secrets file, or the directory of a dir provider — to a provider error
// kind. A path that does not exist is not a missing secret: it is a wrong
// path, or a file not there yet (a sidecar or a volume about to write it),
// so it is ErrUnavailable and names the path; only a missing key or a
// missing file inside the directory is ErrNotFound.
func classifySource(err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return provider.ErrUnavailable
	}
	return classify(err)
}

// classify maps a file-system error to a provider error kind.
func classify(err error) error {
	var perr *ParseError
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		return provider.ErrNotFound
	case errors.Is(err, fs.ErrPermission):
		return provider.ErrPermissionDenied
	case errors.As(err, &perr), errors.Is(err, errTooLarge), errors.Is(err, errNotRegular):
		return nil
	default:
		return provider.ErrUnavailable
	}
}

var utf8BOM = []byte("\xef\xbb\xbf")

var (
	errTooLarge   = errors.New("file too large")
	errNotRegular = errors.New("not a regular file")
)

// openHook, when set by a test, runs just before a file is opened, so a
// test can swap the file for another kind of file in that window.
var openHook func(path string)

// readBounded reads the file that open (os.OpenFile, or an os.Root's
// OpenFile) opens at path, refusing anything but a regular file and files
// over maxBytes without reading them whole. It returns the opened file's
// own FileInfo, which describes exactly the contents read.
//
// The file is opened with O_NONBLOCK and judged by fstat on the opened
// descriptor, not by a stat of the path beforehand: a FIFO swapped in
// between a stat and a blocking open would otherwise wait forever for a
// writer. (O_NONBLOCK changes nothing for a regular file.)
func readBounded(open func(string, int, fs.FileMode) (*os.File, error), path string, maxBytes int64) ([]byte, fs.FileInfo, error) {
	if openHook != nil {
		openHook(path)
	}
	f, err := open(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if info.IsDir() {
		// An I/O failure that a finished rename may clear: unavailable.
		return nil, nil, &fs.PathError{Op: "read", Path: path, Err: syscall.EISDIR}
	}
	if !info.Mode().IsRegular() {
		// A FIFO, device or socket.
		return nil, nil, fmt.Errorf("%s: %w (%s)", path, errNotRegular, info.Mode().Type())
	}
	data, err := io.ReadAll(io.LimitReader(f, maxBytes+1))
	if err != nil {
		return nil, nil, err
	}
	if int64(len(data)) > maxBytes {
		return nil, nil, fmt.Errorf("%s: %w: over %d bytes", path, errTooLarge, maxBytes)
	}
	return data, info, nil
}

// unchanged reports whether info, a fresh stat of the file, proves that
// the contents of snap are still current without reading them: the same
// file (inode), size, modification and change times, with the
// modification well before snap was read.
func (snap *snapshot) unchanged(info fs.FileInfo) bool {
	return os.SameFile(snap.info, info) && snap.info.Size() == info.Size() &&
		snap.info.ModTime().Equal(info.ModTime()) && changeTime(snap.info).Equal(changeTime(info)) &&
		snap.readAt.Sub(info.ModTime()) > racyWindow
}

// load returns the current snapshot of a structured file, parsing only
// when the contents changed. No lock is held while the file is opened or
// read, so a file that blocks one call cannot block every other.
func (p *Provider) load() (*snapshot, error) {
	info, err := os.Stat(p.path)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	old := p.snap
	p.mu.Unlock()
	if old != nil && old.unchanged(info) {
		return old, nil
	}
	readAt := time.Now()
	data, info, err := readBounded(os.OpenFile, p.path, p.maxBytes)
	if err != nil {
		return nil, err
	}
	p.reads.Add(1)
	sum := sha256.Sum256(data)
	snap := &snapshot{info: info, readAt: readAt, sum: sum}
	if old != nil && sum == old.sum {
		snap.secrets = old.secrets
	} else {
		p.parses.Add(1)
		// Editors on Windows often start UTF-8 files with a byte-order
		// mark, which none of the formats allows; it carries no content.
		text := bytes.TrimPrefix(data, utf8BOM)
		switch p.format {
		case FormatYAML:
			snap.secrets, err = parseYAML(p.path, text, p.sep)
		case FormatJSON:
			snap.secrets, err = parseJSON(p.path, text, p.sep)
		case FormatDotenv:
			snap.secrets, err = parseDotenv(p.path, text)
		}
		if err != nil {
			return nil, err
		}
	}
	p.mu.Lock()
	// Calls that read concurrently each return what they read; the one
	// that read last is kept.
	if p.snap == nil || !p.snap.readAt.After(readAt) {
		p.snap = snap
	}
	p.mu.Unlock()
	return snap, nil
}

// checkName enforces the naming rule: non-empty, no control characters;
// in a directory also no '/' or leading '.', so names cannot escape it or
// reach the hidden entries.
func (p *Provider) checkName(op, name string) error {
	err := validKey(name)
	if err == nil && p.format == FormatDir {
		if strings.ContainsRune(name, '/') || strings.ContainsRune(name, filepath.Separator) {
			err = errors.New("a name in a directory cannot contain a path separator")
		} else if strings.HasPrefix(name, ".") {
			err = errors.New("a name in a directory cannot start with '.'")
		}
	}
	if err != nil {
		return provider.NewError(Name, op, name, provider.ErrInvalidArgument, err)
	}
	return nil
}

// GetSecret implements provider.SecretProvider. The returned secret is
// enabled, has no version, and has Updated set to the file's modification
// time.
func (p *Provider) GetSecret(ctx context.Context, name, version string) (provider.Secret, error) {
	if err := ctx.Err(); err != nil {
		return provider.Secret{}, provider.NewError(Name, "get", name, nil, err)
	}
	if err := p.checkName("get", name); err != nil {
		return provider.Secret{}, err
	}
	if version != "" {
		return provider.Secret{}, provider.NewError(Name, "get", name, provider.ErrNotFound,
			fmt.Errorf("files have no versions (asked for %q)", version))
	}
	if p.format == FormatDir {
		return p.getFromDir(name)
	}
	snap, err := p.load()
	if err != nil {
		return provider.Secret{}, provider.NewError(Name, "get", name, classifySource(err), err)
	}
	return lookup(snap, p.path, name)
}

func lookup(snap *snapshot, path, name string) (provider.Secret, error) {
	value, ok := snap.secrets[name]
	if !ok {
		return provider.Secret{}, provider.NewError(Name, "get", name, provider.ErrNotFound,
			fmt.Errorf("no key %q in %s", name, path))
	}
	return provider.Secret{
		Metadata: provider.Metadata{Name: name, Enabled: true, Updated: snap.info.ModTime()},
		Value:    provider.NewValue(value),
	}, nil
}

// getFromDir reads the file called name in the directory. Symbolic links
// are followed only while they stay inside the directory (os.Root), as
// Kubernetes' relative "name -> ..data/name" links do: a link to
// /proc/self/environ or /etc/shadow is not a secret of the volume.
func (p *Provider) getFromDir(name string) (provider.Secret, error) {
	root, err := os.OpenRoot(p.path)
	if err != nil {
		// A missing file is a missing secret, unless the directory
		// itself is gone.
		if _, dirErr := os.Stat(p.path); dirErr != nil {
			return provider.Secret{}, provider.NewError(Name, "get", name, classifySource(dirErr), dirErr)
		}
		return provider.Secret{}, provider.NewError(Name, "get", name, classify(err), err)
	}
	defer root.Close()
	return p.getFromRoot(root, name)
}

// getFromRoot reads the file called name in root, the opened directory.
func (p *Provider) getFromRoot(root *os.Root, name string) (provider.Secret, error) {
	fail := func(err error) (provider.Secret, error) {
		return provider.Secret{}, provider.NewError(Name, "get", name, classify(err), err)
	}
	data, info, err := readBounded(root.OpenFile, name, p.maxBytes)
	switch {
	case err == nil:
	case errors.Is(err, errNotRegular):
		return fail(fmt.Errorf("%s is not a regular file: %w", filepath.Join(p.path, name), fs.ErrNotExist))
	case !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrPermission) && isSymlink(root, name):
		// os.Root refuses links that leave the directory (and absolute
		// links, which it cannot vouch for) with an error of no kind.
		return provider.Secret{}, provider.NewError(Name, "get", name, provider.ErrPermissionDenied,
			fmt.Errorf("%s is a symbolic link that does not resolve inside the directory", filepath.Join(p.path, name)))
	default:
		return fail(err)
	}
	return provider.Secret{
		Metadata: provider.Metadata{Name: name, Enabled: true, Updated: info.ModTime()},
		Value:    provider.NewValue(string(data)),
	}, nil
}

// isSymlink reports whether name is itself a symbolic link in root.
func isSymlink(root *os.Root, name string) bool {
	info, err := root.Lstat(name)
	return err == nil && info.Mode()&fs.ModeSymlink != 0
}

// ListSecrets implements provider.Lister: the keys of a structured file in
// sorted order, or the visible regular files of a directory.
func (p *Provider) ListSecrets(ctx context.Context) iter.Seq2[provider.Metadata, error] {
	return func(yield func(provider.Metadata, error) bool) {
		if err := ctx.Err(); err != nil {
			yield(provider.Metadata{}, provider.NewError(Name, "list", "", nil, err))
			return
		}
		if p.format == FormatDir {
			p.listDir(ctx, yield)
			return
		}
		snap, err := p.load()
		if err != nil {
			yield(provider.Metadata{}, provider.NewError(Name, "list", "", classifySource(err), err))
			return
		}
		names := make([]string, 0, len(snap.secrets))
		for name := range snap.secrets {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			if !yield(provider.Metadata{Name: name, Enabled: true, Updated: snap.info.ModTime()}, nil) {
				return
			}
		}
	}
}

func (p *Provider) listDir(ctx context.Context, yield func(provider.Metadata, error) bool) {
	root, err := os.OpenRoot(p.path)
	if err != nil {
		// The directory is the source: gone, it is unavailable, not a
		// missing secret.
		yield(provider.Metadata{}, provider.NewError(Name, "list", "", classifySource(err), err))
		return
	}
	defer root.Close()
	entries, err := fs.ReadDir(root.FS(), ".")
	if err != nil {
		yield(provider.Metadata{}, provider.NewError(Name, "list", "", classifySource(err), err))
		return
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if err := ctx.Err(); err != nil {
			yield(provider.Metadata{}, provider.NewError(Name, "list", "", nil, err))
			return
		}
		// Stat follows the symlink through ..data; a dangling link
		// (mid-update or removed), or one leading out of the directory,
		// is not a secret.
		info, err := root.Stat(e.Name())
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		if !yield(provider.Metadata{Name: e.Name(), Enabled: true, Updated: info.ModTime()}, nil) {
			return
		}
	}
}

// GetSecrets implements provider.BulkGetter. For a structured file all
// names are answered from one snapshot, so they are mutually consistent.
func (p *Provider) GetSecrets(ctx context.Context, names []string) ([]provider.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, provider.NewError(Name, "get", "", nil, err)
	}
	var snap *snapshot
	var root *os.Root
	if p.format == FormatDir {
		// One open of the directory serves every name; if it fails,
		// each name reports why through getFromDir.
		if r, err := os.OpenRoot(p.path); err == nil {
			defer r.Close()
			root = r
		}
	} else {
		s, err := p.load()
		if err != nil {
			// The whole file is unreadable: every name fails the same way.
			results := make([]provider.Result, len(names))
			for i, name := range names {
				results[i] = provider.Result{Name: name, Err: provider.NewError(Name, "get", name, classifySource(err), err)}
			}
			return results, nil
		}
		snap = s
	}
	results := make([]provider.Result, len(names))
	for i, name := range names {
		results[i].Name = name
		if err := p.checkName("get", name); err != nil {
			results[i].Err = err
		} else if snap != nil {
			results[i].Secret, results[i].Err = lookup(snap, p.path, name)
		} else if root != nil {
			results[i].Secret, results[i].Err = p.getFromRoot(root, name)
		} else {
			results[i].Secret, results[i].Err = p.getFromDir(name)
		}
	}
	return results, nil
}
