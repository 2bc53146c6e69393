package vault

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/secretkit/secretkit/emulator/store"
)

// Wire shapes of the Key Vault secrets API. Fields that were never set are
// omitted (the service sends no nulls), times are integer Unix seconds.

type wireAttributes struct {
	Enabled         bool   `json:"enabled"`
	NotBefore       *int64 `json:"nbf,omitempty"`
	Expires         *int64 `json:"exp,omitempty"`
	Created         int64  `json:"created"`
	Updated         int64  `json:"updated"`
	RecoveryLevel   string `json:"recoveryLevel"`
	RecoverableDays int    `json:"recoverableDays"`
}

// wireSecret is SecretBundle, SecretItem, DeletedSecretBundle and
// DeletedSecretItem at once: the item shapes are the bundles without value.
type wireSecret struct {
	Value              *string           `json:"value,omitempty"`
	ID                 string            `json:"id"`
	ContentType        string            `json:"contentType,omitempty"`
	Attributes         wireAttributes    `json:"attributes"`
	Tags               map[string]string `json:"tags,omitempty"`
	RecoveryID         string            `json:"recoveryId,omitempty"`
	DeletedDate        *int64            `json:"deletedDate,omitempty"`
	ScheduledPurgeDate *int64            `json:"scheduledPurgeDate,omitempty"`
}

type wirePage struct {
	Value    []wireSecret `json:"value"`
	NextLink *string      `json:"nextLink"`
}

type wireBackup struct {
	Value string `json:"value"`
}

func unixPtr(t *time.Time) *int64 {
	if t == nil {
		return nil
	}
	u := t.Unix()
	return &u
}

// wireView turns stored state into wire shapes for one request: ids carry
// the scheme https and the Host the client called.
type wireView struct {
	base   string // https://host[:port]
	policy policy
}

func (w wireView) secretID(name string) string { return w.base + "/secrets/" + name }

func (w wireView) attributes(v store.Version) wireAttributes {
	return wireAttributes{
		Enabled:   v.Enabled,
		NotBefore: unixPtr(v.NotBefore), Expires: unixPtr(v.Expires),
		Created: v.Created.Unix(), Updated: v.Updated.Unix(),
		RecoveryLevel: w.policy.recoveryLevel(), RecoverableDays: w.policy.retentionDays,
	}
}

// bundle is a SecretBundle of one version; value only when withValue.
func (w wireView) bundle(rec store.Record, v store.Version, withValue bool) wireSecret {
	out := wireSecret{
		ID:          w.secretID(rec.Name) + "/" + v.ID,
		ContentType: v.ContentType,
		Attributes:  w.attributes(v),
		Tags:        v.Tags,
	}
	if withValue {
		value := v.Value
		out.Value = &value
	}
	return out
}

// deletedBundle is a DeletedSecretBundle of the latest version.
func (w wireView) deletedBundle(rec store.Record) wireSecret {
	latest, _ := rec.Latest()
	out := w.bundle(rec, *latest, false)
	w.addDeletion(&out, rec)
	return out
}

func (w wireView) addDeletion(out *wireSecret, rec store.Record) {
	if rec.Deleted == nil {
		return
	}
	out.RecoveryID = w.base + "/deletedsecrets/" + rec.Name
	out.DeletedDate = unixPtr(&rec.Deleted.DeletedAt)
	out.ScheduledPurgeDate = unixPtr(&rec.Deleted.ScheduledPurge)
}

// item is a SecretItem (id without version) of a secret's latest version,
// or a DeletedSecretItem for a soft-deleted one.
func (w wireView) item(rec store.Record) wireSecret {
	latest, _ := rec.Latest()
	out := wireSecret{
		ID:          w.secretID(rec.Name),
		ContentType: latest.ContentType,
		Attributes:  w.attributes(*latest),
		Tags:        latest.Tags,
	}
	w.addDeletion(&out, rec)
	return out
}

// Error bodies: {"error":{"code":...,"message":...,"innererror":{"code":...}}}.

type wireInner struct {
	Code string `json:"code"`
}

type wireErrorDetail struct {
	Code       string     `json:"code"`
	Message    string     `json:"message"`
	InnerError *wireInner `json:"innererror,omitempty"`
}

type wireError struct {
	Error wireErrorDetail `json:"error"`
}

// httpFailure is a complete error response.
type httpFailure struct {
	status  int
	code    string
	inner   string
	message string
}

func (f httpFailure) body() wireError {
	out := wireError{Error: wireErrorDetail{Code: f.code, Message: f.message}}
	if f.inner != "" {
		out.Error.InnerError = &wireInner{Code: f.inner}
	}
	return out
}

func badParameter(message string) httpFailure {
	return httpFailure{status: http.StatusBadRequest, code: "BadParameter", message: message}
}

// failureOf maps a domain refusal to its response; any other error is an
// internal failure whose text is not sent (it may come from the store).
func failureOf(err error, base string) httpFailure {
	var re *ruleError
	if !errors.As(err, &re) {
		return httpFailure{status: http.StatusInternalServerError, code: "InternalServerError",
			message: "The server encountered an internal error."}
	}
	msg := re.messageFor(base)
	switch re.kind {
	case kindNotFound:
		return httpFailure{status: http.StatusNotFound, code: "SecretNotFound", message: msg}
	case kindDeletedConflict:
		return httpFailure{status: http.StatusConflict, code: "Conflict", inner: "ObjectIsDeletedButRecoverable", message: msg}
	case kindNameInUse:
		return httpFailure{status: http.StatusConflict, code: "Conflict", message: msg}
	case kindDisabled:
		return httpFailure{status: http.StatusForbidden, code: "Forbidden", inner: "SecretDisabled", message: msg}
	case kindPurgeProtected:
		return httpFailure{status: http.StatusForbidden, code: "Forbidden", message: msg}
	case kindMalformedBackup:
		return httpFailure{status: http.StatusBadRequest, code: codeMalformedBackup, message: msg}
	default:
		return badParameter(msg)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var body []byte
	var err error
	switch v := v.(type) {
	case wireSecret: // encoded by hand: see wire_encode.go
		buf := encodeBuffers.Get().(*[]byte)
		defer encodeBuffers.Put(buf)
		*buf = appendSecret((*buf)[:0], &v)
		body = *buf
	case wirePage:
		buf := encodeBuffers.Get().(*[]byte)
		defer encodeBuffers.Put(buf)
		*buf = appendPage((*buf)[:0], &v)
		body = *buf
	default:
		body, err = json.Marshal(v)
	}
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"error":{"code":"InternalServerError","message":"The server encountered an internal error."}}`)
	}
	h := w.Header()
	h["Content-Type"] = contentTypeJSON
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// contentTypeJSON is shared by every response: net/http only reads it.
var contentTypeJSON = []string{"application/json; charset=utf-8"}

// Request bodies. Pointers tell "absent" from "zero".

type wireAttributesIn struct {
	Enabled   *bool  `json:"enabled"`
	NotBefore *int64 `json:"nbf"`
	Expires   *int64 `json:"exp"`
}

type wireSetIn struct {
	Value       *string           `json:"value"`
	ContentType string            `json:"contentType"`
	Tags        map[string]string `json:"tags"`
	Attributes  *wireAttributesIn `json:"attributes"`
}

type wireUpdateIn struct {
	ContentType *string            `json:"contentType"`
	Tags        *map[string]string `json:"tags"`
	Attributes  *wireAttributesIn  `json:"attributes"`
}

type wireRestoreIn struct {
	Value *string `json:"value"`
}

func timePtr(u *int64) *time.Time {
	if u == nil {
		return nil
	}
	t := time.Unix(*u, 0).UTC()
	return &t
}
