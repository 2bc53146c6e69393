package faults

import (
	"time"

	"gopkg.in/yaml.v3"

	"github.com/secretkit/secretkit/emulator/internal/yamlnode"
	"github.com/secretkit/secretkit/kv"
)

// UnmarshalYAML reads one rule of a config file's faults block:
//
//	faults:
//	  - {operation: get, vault: myvault, status: 503, retryAfter: 1, count: 2}
//	  - {target: identity, delay: 2s, probability: 0.5}
//	  - {identity: batch, drop: true}
//
// Keys are Rule's JSON names; delay is a Go duration. Errors are
// *yamlnode.Error with the line of the offending node.
func (r *Rule) UnmarshalYAML(n *yaml.Node) error {
	m, err := yamlnode.Strict(n, "a fault", " in a fault",
		"target", "operation", "vault", "identity", "probability", "count", "status", "retryAfter", "delay", "drop")
	if err != nil {
		return err
	}
	var out Rule
	str := func(key string, dst *string) error {
		if v := m.Get(key); !yamlnode.IsNull(v) {
			s, err := yamlnode.Str(v, key+" of a fault")
			if err != nil {
				return err
			}
			*dst = s
		}
		return nil
	}
	integer := func(key string, dst *int) error {
		if v := m.Get(key); !yamlnode.IsNull(v) {
			i, err := yamlnode.Int(v, key+" of a fault")
			if err != nil {
				return err
			}
			*dst = i
		}
		return nil
	}
	var target, op, delay string
	for _, f := range []error{
		str("target", &target), str("operation", &op), str("vault", &out.Vault), str("identity", &out.Identity),
		str("delay", &delay), integer("count", &out.Count), integer("status", &out.Status), integer("retryAfter", &out.RetryAfter),
	} {
		if f != nil {
			return f
		}
	}
	out.Target, out.Operation = Target(target), kv.Operation(op)
	if v := m.Get("probability"); !yamlnode.IsNull(v) {
		if err := v.Decode(&out.Probability); err != nil {
			return yamlnode.Errorf(v, "probability of a fault must be a number between 0 and 1")
		}
	}
	if v := m.Get("drop"); !yamlnode.IsNull(v) {
		if out.Drop, err = yamlnode.Bool(v, "drop of a fault"); err != nil {
			return err
		}
	}
	if delay != "" {
		d, err := time.ParseDuration(delay)
		if err != nil {
			return yamlnode.Errorf(m.Get("delay"), "delay of a fault must be a Go duration such as 2s")
		}
		out.Delay = d
	}
	if err := out.Validate(); err != nil {
		return yamlnode.Errorf(n, "%v", err)
	}
	*r = out
	return nil
}
