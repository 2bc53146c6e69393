package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"slices"

	"github.com/secretkit/secretkit/provider"
)

var getCommand = &command{
	name:    "get",
	operand: "<secret-uri>",
	summary: "Print a secret's value (text) or its metadata (json).",
	details: `In text mode the plaintext value is written to stdout followed by a newline
(--no-newline writes the bytes exactly): asking for the value is what get is
for, so mind where stdout goes. With --output json only metadata is printed
unless --reveal is given; a value that is not valid UTF-8 is then base64 with
"valueEncoding": "base64".
`,
	flags: func(fs *flag.FlagSet, o *options) {
		fs.StringVar(&o.version, "version", "", "read this version instead of the latest, like the URI's ?version= (providers without versions have none)")
		fs.BoolVar(&o.reveal, "reveal", false, "with --output json, include the value")
		fs.BoolVar(&o.noNewline, "no-newline", false, "in text mode, do not add a newline after the value")
	},
	execute: runGet,
}

func runGet(ctx context.Context, c cli, inv *invocation) (err error) {
	p, ref, err := c.openSecret(ctx, inv.uri, inv.opts.version)
	if err != nil {
		return err
	}
	defer closeProvider(p, &err)
	s, err := p.GetSecret(ctx, ref.Name, ref.Version)
	if err != nil {
		return err
	}
	if inv.opts.output == "json" {
		return writeJSON(inv.stdout, newSecretJSON(s, inv.opts.reveal))
	}
	out := s.Value.Reveal()
	if !inv.opts.noNewline {
		out += "\n"
	}
	_, err = io.WriteString(inv.stdout, out)
	return err
}

var listCommand = &command{
	name:    "list",
	operand: "<provider-uri>",
	summary: "List the secrets a provider holds, without values.",
	details: `Text mode prints a table sorted by name; json an array of metadata objects.
Values are never printed, whatever the flags.
`,
	execute: runList,
}

func runList(ctx context.Context, c cli, inv *invocation) (err error) {
	p, err := c.openProvider(ctx, inv.uri)
	if err != nil {
		return err
	}
	defer closeProvider(p, &err)
	lister, ok := p.(provider.Lister)
	if !ok || !provider.CapabilitiesOf(p).List {
		return usagef("this provider cannot list its secrets")
	}
	var all []provider.Metadata
	for md, err := range lister.ListSecrets(ctx) {
		if err != nil {
			return err
		}
		all = append(all, md)
	}
	slices.SortFunc(all, func(a, b provider.Metadata) int { return cmp.Compare(a.Name, b.Name) })
	if inv.opts.output == "json" {
		return writeJSON(inv.stdout, metadataListJSON(all))
	}
	return writeTable(inv.stdout, []string{"NAME", "ENABLED", "CONTENT TYPE", "UPDATED"}, all,
		func(md provider.Metadata) []string {
			return []string{md.Name, enabledText(md.Enabled), orDash(md.ContentType), timeText(md.Updated)}
		})
}

var versionsCommand = &command{
	name:    "versions",
	operand: "<secret-uri>",
	summary: "List a secret's versions, newest first, without values.",
	details: `Versions are ordered by creation time, newest first; Key Vault records whole
seconds, and versions created in the same second are ordered by id.
Providers without versions (env, file) show the secret's one current
version, with an empty version id. Values are never printed.
`,
	execute: runVersions,
}

func runVersions(ctx context.Context, c cli, inv *invocation) (err error) {
	p, name, err := openNamed(ctx, c, inv, "versions lists every version")
	if err != nil {
		return err
	}
	defer closeProvider(p, &err)
	var all []provider.Metadata
	if lister, ok := p.(provider.VersionLister); ok && provider.CapabilitiesOf(p).ListVersions {
		for md, err := range lister.ListSecretVersions(ctx, name) {
			if err != nil {
				return err
			}
			all = append(all, md)
		}
	} else {
		s, err := p.GetSecret(ctx, name, "")
		if err != nil {
			return err
		}
		all = []provider.Metadata{s.Metadata}
	}
	slices.SortFunc(all, func(a, b provider.Metadata) int {
		return cmp.Or(b.Created.Compare(a.Created), b.Updated.Compare(a.Updated), cmp.Compare(a.Version, b.Version))
	})
	if inv.opts.output == "json" {
		return writeJSON(inv.stdout, metadataListJSON(all))
	}
	return writeTable(inv.stdout, []string{"VERSION", "ENABLED", "CREATED", "UPDATED", "EXPIRES"}, all,
		func(md provider.Metadata) []string {
			return []string{orDash(md.Version), enabledText(md.Enabled), timeText(md.Created), timeText(md.Updated), timeText(md.Expires)}
		})
}

// closeProvider releases p and reports a close failure only when nothing
// else failed first.
func closeProvider(p provider.SecretProvider, err *error) {
	if closeErr := provider.Close(p); closeErr != nil && *err == nil {
		*err = fmt.Errorf("closing the provider: %w", closeErr)
	}
}
