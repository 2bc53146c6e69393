// Package faults is the emulator's fault injection: rules that make
// matching vault or identity requests fail the way a real service
// sometimes does (500 or 503 with Retry-After), answer late, or lose
// their connection, so that client retry, timeout and caching code can be
// exercised offline.
//
// Rules come from the config file's faults block (Rule.UnmarshalYAML) or
// from POST /_emulator/faults (Rule's JSON form); a Set holds the rules in
// force and decides, per request, which one applies.
package faults

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/secretkit/secretkit/kv"
)

// Target is which endpoints a rule matches.
type Target string

// Targets.
const (
	Vault    Target = "vault"    // the Key Vault secrets API
	Identity Target = "identity" // the managed-identity token endpoints
)

// MaxDelay bounds Rule.Delay: longer than any client timeout worth testing.
const MaxDelay = 10 * time.Minute

// Rule is one fault. Empty match fields match anything; at least one
// effect (Status, Delay or Drop) must be set. A delay comes first, then
// the drop or the status; with neither, the request goes on normally
// after the delay.
type Rule struct {
	// Target limits the rule to vault or identity requests; empty is both.
	Target Target `json:"target,omitempty"`
	// Operation is a vault operation (kv.Operation: get, set, list, ...).
	// It implies Target vault.
	Operation kv.Operation `json:"operation,omitempty"`
	// Vault is a vault name (any case). It implies Target vault.
	Vault string `json:"vault,omitempty"`
	// Identity is an identity's name, client id, object id or resource
	// id, as the token request names it (no identity named: the system
	// identity's name "system" is not assumed; match it by its ids).
	// It implies Target identity.
	Identity string `json:"identity,omitempty"`
	// Probability in (0, 1] that a matching request is affected; 0 means 1.
	Probability float64 `json:"probability,omitempty"`
	// Count is how many requests the rule affects before it is spent;
	// 0 means no limit.
	Count int `json:"count,omitempty"`

	// Status is 500 or 503 (or 429): the request is answered with it, in
	// the endpoint's error shape.
	Status int `json:"status,omitempty"`
	// RetryAfter, with Status, is sent as Retry-After (seconds).
	RetryAfter int `json:"retryAfter,omitempty"`
	// Delay is added before the request is handled (or failed).
	Delay time.Duration `json:"-"`
	// Drop closes the connection without an answer.
	Drop bool `json:"drop,omitempty"`
}

// Validate reports the first problem with r.
func (r Rule) Validate() error {
	switch r.Target {
	case "", Vault, Identity:
	default:
		return fmt.Errorf("target must be vault or identity, got %q", r.Target)
	}
	if (r.Operation != "" || r.Vault != "") && r.Target == Identity {
		return errors.New("operation and vault match vault requests; target is identity")
	}
	if r.Identity != "" && r.Target == Vault {
		return errors.New("identity matches identity requests; target is vault")
	}
	if r.Identity != "" && (r.Operation != "" || r.Vault != "") {
		return errors.New("identity cannot be combined with operation or vault")
	}
	if r.Operation != "" && !slices.Contains(kv.Operations, r.Operation) {
		return fmt.Errorf("operation %q is not a vault operation (%s)", r.Operation, operationNames())
	}
	if r.Probability < 0 || r.Probability > 1 {
		return fmt.Errorf("probability must be between 0 and 1, got %v", r.Probability)
	}
	if r.Count < 0 {
		return fmt.Errorf("count must not be negative, got %d", r.Count)
	}
	switch r.Status {
	case 0, http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusServiceUnavailable:
	default:
		return fmt.Errorf("status must be 429, 500 or 503, got %d", r.Status)
	}
	if r.RetryAfter < 0 || (r.RetryAfter > 0 && r.Status == 0) {
		return errors.New("retryAfter needs a status and must not be negative")
	}
	if r.Delay < 0 || r.Delay > MaxDelay {
		return fmt.Errorf("delay must be between 0 and %v, got %v", MaxDelay, r.Delay)
	}
	if r.Drop && r.Status != 0 {
		return errors.New("drop and status are exclusive")
	}
	if r.Status == 0 && r.Delay == 0 && !r.Drop {
		return errors.New("a fault needs status, delay or drop")
	}
	return nil
}

func operationNames() string {
	names := make([]string, len(kv.Operations))
	for i, o := range kv.Operations {
		names[i] = string(o)
	}
	return strings.Join(names, ", ")
}

// MarshalJSON writes the delay as a Go duration ("1.5s").
func (r Rule) MarshalJSON() ([]byte, error) {
	type plain Rule
	w := struct {
		plain
		Delay string `json:"delay,omitempty"`
	}{plain: plain(r)}
	if r.Delay > 0 {
		w.Delay = r.Delay.String()
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads the JSON form, refusing unknown fields, and
// validates the rule.
func (r *Rule) UnmarshalJSON(data []byte) error {
	type plain Rule
	var w struct {
		plain
		Delay string `json:"delay"`
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return err
	}
	out := Rule(w.plain)
	if w.Delay != "" {
		d, err := time.ParseDuration(w.Delay)
		if err != nil {
			return fmt.Errorf("delay must be a Go duration such as 2s, got %q", w.Delay)
		}
		out.Delay = d
	}
	if err := out.Validate(); err != nil {
		return err
	}
	*r = out
	return nil
}

// Request describes a request for matching.
type Request struct {
	Target    Target
	Operation kv.Operation // vault requests
	Vault     string       // vault requests, lowercase
	// Identities are the values the request names its identity by
	// (client id, object id, resource id, or the identity's name when
	// the server resolved it); empty for the default identity.
	Identities []string
}

type state struct {
	rule   Rule
	target Target // the rule's Target, or the one its match fields imply
	left   int    // for Count > 0
}

func newState(r Rule) *state {
	target := r.Target
	if r.Operation != "" || r.Vault != "" {
		target = Vault
	}
	if r.Identity != "" {
		target = Identity
	}
	return &state{rule: r, target: target, left: r.Count}
}

func (s *state) matches(req Request) bool {
	r := s.rule
	if s.target != "" && s.target != req.Target {
		return false
	}
	if r.Operation != "" && r.Operation != req.Operation {
		return false
	}
	if r.Vault != "" && !strings.EqualFold(r.Vault, req.Vault) {
		return false
	}
	if r.Identity != "" && !slices.ContainsFunc(req.Identities, func(id string) bool { return strings.EqualFold(id, r.Identity) }) {
		return false
	}
	return r.Count == 0 || s.left > 0
}

// Set is the rules in force; the zero Set has none. It is safe for
// concurrent use.
type Set struct {
	mu    sync.Mutex
	rules []*state
	// hasRules is len(rules) > 0, read without the lock: Pick runs on
	// every request and the set is almost always empty.
	hasRules atomic.Bool
}

// Replace puts rules in force instead of the current ones; each must be
// valid.
func (s *Set) Replace(rules []Rule) error {
	states := make([]*state, len(rules))
	for i, r := range rules {
		if err := r.Validate(); err != nil {
			return fmt.Errorf("faults[%d]: %w", i, err)
		}
		states[i] = newState(r)
	}
	s.mu.Lock()
	s.rules = states
	s.hasRules.Store(len(states) > 0)
	s.mu.Unlock()
	return nil
}

// Rules returns the rules in force, with Count as what is left of it;
// spent rules are left out.
func (s *Set) Rules() []Rule {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Rule, 0, len(s.rules))
	for _, st := range s.rules {
		r := st.rule
		if r.Count > 0 {
			if st.left == 0 {
				continue
			}
			r.Count = st.left
		}
		out = append(out, r)
	}
	return out
}

// Active reports whether any rule is in force; with none, a caller can
// skip describing its request.
func (s *Set) Active() bool { return s != nil && s.hasRules.Load() }

// Pick returns the first rule that matches req and draws to apply (using
// up one of its Count), or false.
func (s *Set) Pick(req Request) (Rule, bool) {
	if !s.Active() {
		return Rule{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range s.rules {
		if !st.matches(req) {
			continue
		}
		if p := st.rule.Probability; p > 0 && p < 1 && rand.Float64() >= p {
			continue
		}
		if st.rule.Count > 0 {
			st.left--
		}
		return st.rule, true
	}
	return Rule{}, false
}

// Apply injects the fault of the first matching rule into the exchange:
// it waits Delay (or until the client gives up), then drops the
// connection or writes Status with body(status) as JSON. It reports
// whether the request was answered (the caller must then stop); false
// means the request goes on (no rule, or a delay only).
func (s *Set) Apply(w http.ResponseWriter, r *http.Request, req Request, body func(status int) any) bool {
	rule, ok := s.Pick(req)
	if !ok {
		return false
	}
	if rule.Delay > 0 {
		t := time.NewTimer(rule.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			// The client is gone: nothing more to do.
			panic(http.ErrAbortHandler)
		}
	}
	if rule.Drop {
		// net/http closes the connection (HTTP/1) or resets the stream
		// (HTTP/2) without an answer and without logging.
		panic(http.ErrAbortHandler)
	}
	if rule.Status == 0 {
		return false
	}
	if rule.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(rule.RetryAfter))
	}
	data, _ := json.Marshal(body(rule.Status))
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(rule.Status)
	w.Write(data)
	return true
}
