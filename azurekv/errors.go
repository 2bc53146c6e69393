package azurekv

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/secretkit/secretkit/internal/fastfail"
	"github.com/secretkit/secretkit/provider"
)

// classify wraps an error from the SDK in a *provider.Error of the kind
// the package documentation lists. The SDK error stays reachable through
// errors.As; its text holds the request URL and the service's error body,
// never a secret value (error responses carry none).
func classify(ctx context.Context, op, name string, err error) error {
	// The caller giving up is not a backend failure: report the context's
	// own error even when the SDK lost it on the way (the retry policy
	// returns it, the transport may wrap it).
	if ctxErr := ctx.Err(); ctxErr != nil {
		if !errors.Is(err, ctxErr) {
			err = fmt.Errorf("%w: %w", ctxErr, err)
		}
		return provider.NewError(Name, op, name, nil, err)
	}
	return provider.NewError(Name, op, name, kindOf(err), err)
}

// kindOf maps an SDK error to a provider error kind, or nil when none fits
// (such as 409 Conflict, a challenge that fails resource verification, or
// a misconfiguration that retrying cannot fix: see the package documentation).
func kindOf(err error) error {
	var respErr *azcore.ResponseError
	if errors.As(err, &respErr) {
		return kindOfStatus(respErr.StatusCode)
	}
	if fastfail.Permanent(err) {
		return nil
	}
	var authErr *azidentity.AuthenticationFailedError
	if errors.As(err, &authErr) {
		// The identity endpoint answered and refused (unknown identity,
		// bad request): the same identity will be refused again.
		if r := authErr.RawResponse; r != nil && r.StatusCode >= 400 && r.StatusCode < 500 &&
			r.StatusCode != http.StatusRequestTimeout && r.StatusCode != http.StatusTooManyRequests {
			return provider.ErrPermissionDenied
		}
		return provider.ErrUnavailable
	}
	// A certificate the transport does not trust is a configuration
	// problem (RootCAs, SSL_CERT_FILE), not an outage.
	var certErr *tls.CertificateVerificationError
	if errors.As(err, &certErr) {
		return nil
	}
	// A try that ran out of its RetryOptions.TryTimeout ends with the
	// per-try context's deadline while the caller's context is still live.
	var netErr net.Error
	var urlErr *url.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &netErr) || errors.As(err, &urlErr) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return provider.ErrUnavailable
	}
	return nil
}

func kindOfStatus(status int) error {
	switch {
	case status == http.StatusNotFound:
		return provider.ErrNotFound
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return provider.ErrPermissionDenied
	case status == http.StatusBadRequest:
		return provider.ErrInvalidArgument
	case status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500:
		return provider.ErrUnavailable
	}
	return nil
}

// ErrorCode returns Key Vault's most specific error code for err: the
// innermost "innererror" code of the service's error body (AccessDenied,
// ForbiddenByRbac, SecretDisabled, ObjectIsDeletedButRecoverable, ...),
// else its top-level code (SecretNotFound, Unauthorized, BadParameter,
// Throttled, ...). It returns "" when err holds no *azcore.ResponseError,
// for example a network failure or a context error.
func ErrorCode(err error) string {
	var respErr *azcore.ResponseError
	if !errors.As(err, &respErr) {
		return ""
	}
	if doc := serviceBody(respErr); doc != nil {
		if code := doc.innermostCode(); code != "" {
			return code
		}
	}
	return respErr.ErrorCode
}

// ErrorMessage returns the "message" of Key Vault's error body for err —
// where the service names, for example, the permission or data action an
// identity lacks — or "" when err holds no service error.
func ErrorMessage(err error) string {
	var respErr *azcore.ResponseError
	if !errors.As(err, &respErr) {
		return ""
	}
	if doc := serviceBody(respErr); doc != nil {
		return doc.Message
	}
	return ""
}

// serviceBody decodes the error body the SDK buffered to build respErr
// (runtime.Payload does not read the network again), or returns nil.
func serviceBody(respErr *azcore.ResponseError) *serviceError {
	if respErr.RawResponse == nil {
		return nil
	}
	body, err := runtime.Payload(respErr.RawResponse)
	if err != nil {
		return nil
	}
	var doc struct {
		Error *serviceError `json:"error"`
	}
	if json.Unmarshal(body, &doc) != nil {
		return nil
	}
	return doc.Error
}

// serviceError is Key Vault's error body: {"error":{"code":...,
// "message":..., "innererror":{"code":..., "innererror":...}}}.
type serviceError struct {
	Code    string        `json:"code"`
	Message string        `json:"message"`
	Inner   *serviceError `json:"innererror"`
}

// innermostCode is the deepest non-empty code of the nested errors.
func (e *serviceError) innermostCode() string {
	code := ""
	for ; e != nil; e = e.Inner {
		if e.Code != "" {
			code = e.Code
		}
	}
	return code
}
