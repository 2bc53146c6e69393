package main

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/secretkit/secretkit/azurekv"
	"github.com/secretkit/secretkit/provider"
	"github.com/secretkit/secretkit/provider/ref"
)

// describeError renders err as one line for stderr. A Key Vault error's own
// text spans many lines and repeats the request URL and the whole response
// body; it is shortened to the status, Key Vault's error code and the
// service's message, which name what to fix (for a 403, the identity and
// the missing permission). Error bodies never carry secret values, and token
// responses that carry an error carry no token.
func describeError(err error) string {
	// A reference's location stays in front of its shortened cause.
	var refErr *ref.Error
	if errors.As(err, &refErr) {
		short := *refErr
		short.Err = errors.New(describeError(refErr.Err))
		return oneLine(short.Error())
	}
	var pe *provider.Error
	var re *azcore.ResponseError
	if errors.As(err, &pe) && errors.As(err, &re) {
		detail := fmt.Sprintf("%d %s", re.StatusCode, cmp.Or(azurekv.ErrorCode(err), re.ErrorCode))
		if msg := azurekv.ErrorMessage(err); msg != "" {
			detail += ": " + msg
		}
		short := *pe
		short.Err = errors.New(detail)
		return oneLine(short.Error())
	}
	// azidentity's errors likewise append the whole token response and a
	// troubleshooting banner to a first line that already says what failed
	// ("the requested identity isn't assigned to this resource").
	var authErr *azidentity.AuthenticationFailedError
	if errors.As(err, &pe) && errors.As(err, &authErr) {
		detail, _, _ := strings.Cut(authErr.Error(), "\n")
		if r := authErr.RawResponse; r != nil {
			detail += fmt.Sprintf(" (identity endpoint answered %d", r.StatusCode)
			if body, err := runtime.Payload(r); err == nil {
				var doc struct {
					Description string `json:"error_description"`
				}
				if json.Unmarshal(body, &doc) == nil && doc.Description != "" {
					detail += ": " + doc.Description
				}
			}
			detail += ")"
		}
		short := *pe
		short.Err = errors.New(detail)
		return oneLine(short.Error())
	}
	return oneLine(err.Error())
}

// oneLine folds a message onto one line, so stderr carries exactly one
// line per failure.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
