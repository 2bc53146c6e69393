package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/secretkit/secretkit/internal/atomicfile"

	"github.com/secretkit/secretkit/provider"
)

// Key Vault's soft-delete life cycle, backups and property updates. Each
// command reaches its provider through an ability interface, never a
// concrete backend type: provider.Recoverer, provider.Purger,
// provider.DeletedLister and provider.Updater, and for backups the
// backupProvider interface below, which azurekv.Provider implements.

// backupProvider is the ability to copy a secret out of the backend as an
// opaque blob and back in. It is Key Vault's alone, so package provider
// does not define it.
type backupProvider interface {
	BackupSecret(ctx context.Context, name string) ([]byte, error)
	RestoreSecret(ctx context.Context, backup []byte) (provider.Metadata, error)
}

// maxBackupBytes bounds what restore reads. A Key Vault backup of a secret
// with many 25 KiB versions stays far below it.
const maxBackupBytes = 16 << 20

func notSupported(what string) error {
	return usagef("this provider cannot %s; it works with azurekv:// URIs", what)
}

// openNamed opens a secret URI for a command that addresses the secret as
// a whole (no ?version=); why says so in the usage error for a URI that
// pins a version, e.g. "delete removes every version".
func openNamed(ctx context.Context, c cli, inv *invocation, why string) (provider.SecretProvider, string, error) {
	p, ref, err := c.openSecret(ctx, inv.uri, "")
	if err != nil {
		return nil, "", err
	}
	if ref.Version != "" {
		provider.Close(p)
		return nil, "", usagef("%s; drop ?version= from the URI", why)
	}
	return p, ref.Name, nil
}

var recoverCommand = &command{
	name:    "recover",
	operand: "<secret-uri>",
	summary: "Recover a deleted secret with all its versions (Key Vault only).",
	details: `Undoes 'secrets delete' within the vault's retention period. Key Vault
recovers in the background: a read may answer "not found" for a few seconds.
Prints the latest version's metadata, never the value.
`,
	execute: runRecover,
}

func runRecover(ctx context.Context, c cli, inv *invocation) (err error) {
	p, name, err := openNamed(ctx, c, inv, "recover acts on every version")
	if err != nil {
		return err
	}
	defer closeProvider(p, &err)
	r, ok := p.(provider.Recoverer)
	if !ok || !provider.CapabilitiesOf(p).Recover {
		return notSupported("recover deleted secrets")
	}
	md, err := r.RecoverSecret(ctx, name)
	if err != nil {
		return err
	}
	if inv.opts.output == "json" {
		return writeJSON(inv.stdout, newMetadataJSON(md))
	}
	_, err = fmt.Fprintf(inv.stdout, "recovered %s\n", cmp.Or(md.Name, name))
	return err
}

var purgeCommand = &command{
	name:    "purge",
	operand: "<secret-uri>",
	summary: "Remove a deleted secret for good, freeing its name (Key Vault only).",
	details: `Only a deleted secret can be purged ('secrets delete' first); afterwards
it cannot be recovered. Needs the purge permission, and a vault with purge
protection refuses (exit status 4).
`,
	execute: runPurge,
}

func runPurge(ctx context.Context, c cli, inv *invocation) (err error) {
	p, name, err := openNamed(ctx, c, inv, "purge acts on every version")
	if err != nil {
		return err
	}
	defer closeProvider(p, &err)
	pg, ok := p.(provider.Purger)
	if !ok || !provider.CapabilitiesOf(p).Purge {
		return notSupported("purge deleted secrets")
	}
	if err := pg.PurgeSecret(ctx, name); err != nil {
		return err
	}
	if inv.opts.output == "json" {
		return writeJSON(inv.stdout, struct {
			Name   string `json:"name"`
			Purged bool   `json:"purged"`
		}{name, true})
	}
	_, err = fmt.Fprintf(inv.stdout, "purged %s\n", name)
	return err
}

// deletedJSON is the JSON shape of a deleted secret.
type deletedJSON struct {
	secretJSON
	Deleted        *time.Time `json:"deleted,omitempty"`
	ScheduledPurge *time.Time `json:"scheduledPurge,omitempty"`
}

func newDeletedJSON(d provider.DeletedSecret) deletedJSON {
	return deletedJSON{newMetadataJSON(d.Metadata), timeJSON(d.Deleted), timeJSON(d.ScheduledPurge)}
}

var listDeletedCommand = &command{
	name:    "list-deleted",
	operand: "<provider-uri>",
	summary: "List deleted, still recoverable secrets, without values (Key Vault only).",
	details: `Text mode prints a table sorted by name with when each secret was deleted
and when the vault will purge it; json an array of objects.
`,
	execute: runListDeleted,
}

func runListDeleted(ctx context.Context, c cli, inv *invocation) (err error) {
	p, err := c.openProvider(ctx, inv.uri)
	if err != nil {
		return err
	}
	defer closeProvider(p, &err)
	l, ok := p.(provider.DeletedLister)
	if !ok || !provider.CapabilitiesOf(p).ListDeleted {
		return notSupported("list deleted secrets")
	}
	var all []provider.DeletedSecret
	for d, err := range l.ListDeletedSecrets(ctx) {
		if err != nil {
			return err
		}
		all = append(all, d)
	}
	slices.SortFunc(all, func(a, b provider.DeletedSecret) int { return cmp.Compare(a.Name, b.Name) })
	if inv.opts.output == "json" {
		out := make([]deletedJSON, 0, len(all))
		for _, d := range all {
			out = append(out, newDeletedJSON(d))
		}
		return writeJSON(inv.stdout, out)
	}
	return writeTable(inv.stdout, []string{"NAME", "DELETED", "SCHEDULED PURGE"}, all,
		func(d provider.DeletedSecret) []string {
			return []string{d.Name, timeText(d.Deleted), timeText(d.ScheduledPurge)}
		})
}

var showDeletedCommand = &command{
	name:    "show-deleted",
	operand: "<secret-uri>",
	summary: "Show a deleted secret's metadata, without its value (Key Vault only).",
	execute: runShowDeleted,
}

func runShowDeleted(ctx context.Context, c cli, inv *invocation) (err error) {
	p, name, err := openNamed(ctx, c, inv, "show-deleted acts on every version")
	if err != nil {
		return err
	}
	defer closeProvider(p, &err)
	l, ok := p.(provider.DeletedLister)
	if !ok || !provider.CapabilitiesOf(p).ListDeleted {
		return notSupported("show deleted secrets")
	}
	d, err := l.GetDeletedSecret(ctx, name)
	if err != nil {
		return err
	}
	if inv.opts.output == "json" {
		return writeJSON(inv.stdout, newDeletedJSON(d))
	}
	return writeFields(inv.stdout, [][2]string{
		{"name", d.Name},
		{"content type", orDash(d.ContentType)},
		{"enabled", enabledText(d.Enabled)},
		{"tags", tagsText(d.Tags)},
		{"updated", timeText(d.Updated)},
		{"deleted", timeText(d.Deleted)},
		{"scheduled purge", timeText(d.ScheduledPurge)},
	})
}

var backupCommand = &command{
	name:    "backup",
	operand: "<secret-uri>",
	summary: "Write a secret's protected backup, all versions, to a file (Key Vault only).",
	details: `The backup is an opaque blob encrypted by Key Vault, restorable only into a
vault of the same subscription and geography ('secrets restore'). It is
still a copy of every value: --file is created with mode 0600, and an
existing file is not overwritten unless --force is given.
`,
	flags: func(fs *flag.FlagSet, o *options) {
		fs.StringVar(&o.outFile, "file", "", "write the backup to this file (required)")
		fs.BoolVar(&o.force, "force", false, "overwrite --file if it exists")
	},
	execute: runBackup,
}

func runBackup(ctx context.Context, c cli, inv *invocation) (err error) {
	if inv.opts.outFile == "" {
		return usagef("--file is required: the backup is binary and is never written to stdout")
	}
	// Refuse an existing file before the backup crosses the network only
	// to be thrown away; writePrivateFile still refuses one that appears
	// in between.
	if _, err := os.Lstat(inv.opts.outFile); err == nil && !inv.opts.force {
		return existsError("--file", inv.opts.outFile)
	}
	p, name, err := openNamed(ctx, c, inv, "backup acts on every version")
	if err != nil {
		return err
	}
	defer closeProvider(p, &err)
	b, ok := p.(backupProvider)
	if !ok {
		return notSupported("back up secrets")
	}
	blob, err := b.BackupSecret(ctx, name)
	if err != nil {
		return err
	}
	if err := writePrivateFile("--file", inv.opts.outFile, blob, inv.opts.force); err != nil {
		return err
	}
	if inv.opts.output == "json" {
		return writeJSON(inv.stdout, struct {
			Name  string `json:"name"`
			File  string `json:"file"`
			Bytes int    `json:"bytes"`
		}{name, inv.opts.outFile, len(blob)})
	}
	_, err = fmt.Fprintf(inv.stdout, "backed up %s to %s (%d bytes)\n", name, inv.opts.outFile, len(blob))
	return err
}

// writePrivateFile writes data to path with mode 0600, through a synced
// temporary file, so an interrupted write never leaves a partial file or
// one with wider permissions. Without force an existing file is never
// touched; with force it is replaced whole. flagName is the flag that gave
// path, for the error messages.
func writePrivateFile(flagName, path string, data []byte, force bool) error {
	write := atomicfile.WriteNew
	if force {
		write = atomicfile.Write
	}
	err := write(path, data, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return existsError(flagName, path)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", flagName, err)
	}
	return nil
}

func existsError(flagName, path string) error {
	return usagef("%s %s exists; give --force to overwrite it", flagName, path)
}

var restoreCommand = &command{
	name:    "restore",
	operand: "<provider-uri>",
	summary: "Restore a secret, all versions, from a backup file (Key Vault only).",
	details: `Reads a file written by 'secrets backup'. The secret's name comes from the
backup; it must not be in use in the vault, live or deleted (purge a deleted
one first). Prints the restored secret's metadata, never a value.
`,
	flags: func(fs *flag.FlagSet, o *options) {
		fs.StringVar(&o.valueFile, "file", "", "read the backup from this file (required)")
	},
	execute: runRestore,
}

func runRestore(ctx context.Context, c cli, inv *invocation) (err error) {
	if inv.opts.valueFile == "" {
		return usagef("--file is required")
	}
	p, err := c.openProvider(ctx, inv.uri)
	if err != nil {
		return err
	}
	defer closeProvider(p, &err)
	b, ok := p.(backupProvider)
	if !ok {
		return notSupported("restore secrets")
	}
	f, err := os.Open(inv.opts.valueFile)
	if err != nil {
		return fmt.Errorf("--file: %w", err)
	}
	defer f.Close()
	blob, err := io.ReadAll(io.LimitReader(f, maxBackupBytes+1))
	if err != nil {
		return fmt.Errorf("--file: %w", err)
	}
	if len(blob) > maxBackupBytes {
		return usagef("--file %s is larger than %d bytes; it is not a secret backup", inv.opts.valueFile, maxBackupBytes)
	}
	md, err := b.RestoreSecret(ctx, blob)
	if err != nil {
		return err
	}
	if inv.opts.output == "json" {
		return writeJSON(inv.stdout, newMetadataJSON(md))
	}
	_, err = fmt.Fprintf(inv.stdout, "restored %s version %s\n", md.Name, orDash(md.Version))
	return err
}

var updateCommand = &command{
	name:    "update",
	operand: "<secret-uri>",
	summary: "Change a version's properties, not its value (Key Vault only).",
	details: `Updates the latest version, or the one ?version= or --version names. Only
the properties given change. --tag replaces all of the version's tags;
--clear-tags removes them. Times are RFC 3339, e.g. 2027-01-31T00:00:00Z.
Prints the version's metadata afterwards, never the value.
`,
	flags: func(fs *flag.FlagSet, o *options) {
		fs.StringVar(&o.version, "version", "", "update this version instead of the latest, like the URI's ?version=")
		fs.Var(&o.enabled, "enabled", "enable (true) or disable (false) the version")
		fs.Var(&o.expires, "expires", "the version's expiry `time` (RFC 3339)")
		fs.Var(&o.notBefore, "not-before", "the `time` (RFC 3339) before which the version may not be read")
		fs.Var(&o.newContentType, "content-type", "the version's content type")
		fs.Var(&o.tags, "tag", "a `key=value` tag; repeat for more; replaces all tags")
		fs.BoolVar(&o.clearTags, "clear-tags", false, "remove all of the version's tags")
	},
	execute: runUpdate,
}

func runUpdate(ctx context.Context, c cli, inv *invocation) (err error) {
	o := &inv.opts
	if o.clearTags && o.tags != nil {
		return usagef("--tag and --clear-tags are mutually exclusive")
	}
	u := provider.PropertiesUpdate{Enabled: o.enabled.v, Expires: o.expires.v, NotBefore: o.notBefore.v, ContentType: o.newContentType.v}
	switch {
	case o.clearTags:
		u.Tags = map[string]string{}
	case o.tags != nil:
		u.Tags = o.tags
	}
	if u.Enabled == nil && u.Expires == nil && u.NotBefore == nil && u.ContentType == nil && u.Tags == nil {
		return usagef("nothing to update: give --enabled, --expires, --not-before, --content-type, --tag or --clear-tags")
	}
	p, ref, err := c.openSecret(ctx, inv.uri, o.version)
	if err != nil {
		return err
	}
	defer closeProvider(p, &err)
	up, ok := p.(provider.Updater)
	if !ok || !provider.CapabilitiesOf(p).Update {
		return notSupported("update properties")
	}
	md, err := up.UpdateSecretProperties(ctx, ref.Name, ref.Version, u)
	if err != nil {
		return err
	}
	if o.output == "json" {
		return writeJSON(inv.stdout, newMetadataJSON(md))
	}
	_, err = fmt.Fprintf(inv.stdout, "updated %s version %s\n", md.Name, orDash(md.Version))
	return err
}

// optionalBool, optionalTime and optionalString are flags that record
// whether they were given, so "not given" leaves a property unchanged.
type optionalBool struct{ v *bool }

func (f *optionalBool) String() string { return "" }
func (f *optionalBool) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("want true or false, got %q", s)
	}
	f.v = &b
	return nil
}

type optionalTime struct{ v *time.Time }

func (f *optionalTime) String() string { return "" }
func (f *optionalTime) Set(s string) error {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return fmt.Errorf("want an RFC 3339 time such as 2027-01-31T00:00:00Z, got %q", s)
	}
	f.v = &t
	return nil
}

type optionalString struct{ v *string }

func (f *optionalString) String() string { return "" }
func (f *optionalString) Set(s string) error {
	f.v = &s
	return nil
}

// writeFields writes one "label: value" line per field, values aligned.
func writeFields(w io.Writer, fields [][2]string) error {
	return writeTable(w, nil, fields, func(f [2]string) []string { return []string{f[0] + ":", f[1]} })
}

// tagsText renders tags as k=v pairs sorted by key, or "-".
func tagsText(tags map[string]string) string {
	if len(tags) == 0 {
		return "-"
	}
	pairs := make([]string, 0, len(tags))
	for k, v := range tags {
		pairs = append(pairs, k+"="+v)
	}
	sort.Strings(pairs)
	return strings.Join(pairs, ", ")
}
