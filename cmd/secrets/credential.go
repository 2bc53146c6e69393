package main

import (
	"io"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// The command echoes its arguments in errors ("no provider registered for
// scheme ..."), and people paste connection strings where a URI belongs.
// URL user information and queries are already left out (internal/redact);
// these patterns find the credentials of everything else: user:password@
// anywhere in an argument, and the value of a key=value (or key: value)
// pair whose key names a credential, as in DSNs and connection strings.
var (
	userinfoPassword = regexp.MustCompile(`[^\s:/@]*:([^\s@/]+)@`)
	credentialPair   = regexp.MustCompile(`(?i)(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[-_]?key|access[-_]?key|account[-_]?key|shared[-_]?access[-_]?key|sig|signature|credentials?|auth)[\w-]*\s*[=:]\s*([^\s;&,]+)`)
)

const redactedText = "REDACTED"

// credentialsIn returns the credentials found in arg.
func credentialsIn(arg string) []string {
	var found []string
	for _, re := range []*regexp.Regexp{userinfoPassword, credentialPair} {
		for _, m := range re.FindAllStringSubmatch(arg, -1) {
			found = append(found, m[1])
		}
	}
	return found
}

// redactArgs returns msg with every credential found in args replaced, as
// written and in the escaped forms an error may show it in. An argument
// holding a credential is first replaced whole by its redacted form, so
// that even a credential too short to search for safely does not show.
func redactArgs(msg string, args []string) string {
	var pairs []string
	add := func(from, to string) {
		quoted := func(s string) string { q := strconv.Quote(s); return q[1 : len(q)-1] }
		for _, form := range []func(string) string{func(s string) string { return s }, url.PathEscape, url.QueryEscape, quoted} {
			if f := form(from); f != "" {
				pairs = append(pairs, f, form(to))
			}
		}
	}
	var short []string
	for _, arg := range args {
		creds := credentialsIn(arg)
		if len(creds) == 0 {
			continue
		}
		redacted := arg
		for _, c := range creds {
			redacted = strings.ReplaceAll(redacted, c, redactedText)
		}
		add(arg, redacted)
		short = append(short, creds...)
	}
	if len(pairs) == 0 {
		return msg
	}
	msg = strings.NewReplacer(pairs...).Replace(msg)
	pairs = pairs[:0]
	for _, c := range short {
		if len(c) >= 4 {
			add(c, redactedText)
		}
	}
	return strings.NewReplacer(pairs...).Replace(msg)
}

// redactingWriter writes each message with the credentials of args
// redacted; the command's own error lines go through it.
type redactingWriter struct {
	w    io.Writer
	args []string
}

func (r redactingWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(r.w, redactArgs(string(p), r.args)); err != nil {
		return 0, err
	}
	return len(p), nil
}
