package vault

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/secretkit/secretkit/kv"
)

// restoreDecoding, when set (by tests), runs when a restore holds a
// decoding slot.
var restoreDecoding func()

// dispatch runs the matched operation; authentication, api-version, name
// and authorization have been checked.
func (a *API) dispatch(req *request) {
	ctx := req.r.Context()
	p, rt, view := req.policy, req.route, req.view
	switch rt.op {
	case kv.OpSet:
		var in wireSetIn
		if !a.readBody(req, &in, maxBodyBytes) {
			return
		}
		if in.Value == nil {
			a.fail(req, badParameter(msgValueRequired))
			return
		}
		ns := newSecret{Value: *in.Value, ContentType: in.ContentType, Tags: in.Tags, Enabled: true}
		if at := in.Attributes; at != nil {
			if at.Enabled != nil {
				ns.Enabled = *at.Enabled
			}
			ns.NotBefore, ns.Expires = timePtr(at.NotBefore), timePtr(at.Expires)
		}
		rec, v, err := a.rules.set(ctx, p, rt.name, ns)
		if err != nil {
			a.failErr(req, err)
			return
		}
		writeJSON(req.w, http.StatusOK, view.bundle(rec, v, true))

	case kv.OpGet:
		rec, v, err := a.rules.get(ctx, p, rt.name, rt.version)
		if err != nil {
			a.failErr(req, err)
			return
		}
		writeJSON(req.w, http.StatusOK, view.bundle(rec, v, true))

	case kv.OpUpdate:
		var in wireUpdateIn
		if !a.readBody(req, &in, maxBodyBytes) {
			return
		}
		patch := propertyPatch{ContentType: in.ContentType}
		if in.Tags != nil {
			patch.Tags, patch.TagsSet = *in.Tags, true
		}
		if at := in.Attributes; at != nil {
			patch.Enabled, patch.NotBefore, patch.Expires = at.Enabled, timePtr(at.NotBefore), timePtr(at.Expires)
		}
		rec, v, err := a.rules.update(ctx, p, rt.name, rt.version, patch)
		if err != nil {
			a.failErr(req, err)
			return
		}
		writeJSON(req.w, http.StatusOK, view.bundle(rec, v, false))

	case kv.OpDelete:
		rec, err := a.rules.remove(ctx, p, rt.name)
		if err != nil {
			a.failErr(req, err)
			return
		}
		writeJSON(req.w, http.StatusOK, view.deletedBundle(rec))

	case kv.OpGetDeleted:
		rec, err := a.rules.deleted(ctx, p, rt.name)
		if err != nil {
			a.failErr(req, err)
			return
		}
		writeJSON(req.w, http.StatusOK, view.deletedBundle(rec))

	case kv.OpPurge:
		if err := a.rules.purge(ctx, p, rt.name); err != nil {
			a.failErr(req, err)
			return
		}
		req.w.WriteHeader(http.StatusNoContent)

	case kv.OpRecover:
		rec, err := a.rules.recover(ctx, p, rt.name)
		if err != nil {
			a.failErr(req, err)
			return
		}
		latest, _ := rec.Latest()
		// Recorded (SessionRecords RecoverDeletedSecret): no value.
		writeJSON(req.w, http.StatusOK, view.bundle(rec, *latest, false))

	case kv.OpBackup:
		blob, err := a.rules.backup(ctx, p, rt.name)
		if err != nil {
			a.failErr(req, err)
			return
		}
		// The restore body is {"value":"<blob, base64url>"}: refuse a
		// blob that body could not carry rather than hand out a backup
		// that cannot be restored.
		if n := int64(len(`{"value":""}`) + base64.RawURLEncoding.EncodedLen(len(blob))); n > maxRestoreBytes {
			// unconfirmed: Key Vault documents no backup size limit; code and wording are the emulator's.
			a.fail(req, badParameter(fmt.Sprintf("Secret %s is too large to back up: its restore request would be %d bytes, more than the %d bytes restore accepts. Delete old versions (purge and set again) to shrink it.", rt.name, n, maxRestoreBytes)))
			return
		}
		writeJSON(req.w, http.StatusOK, wireBackup{Value: base64.RawURLEncoding.EncodeToString(blob)})

	case kv.OpRestore:
		// Wait for a decoding slot before reading the body.
		select {
		case a.restoreSlots <- struct{}{}:
			defer func() { <-a.restoreSlots }()
		case <-ctx.Done():
			a.failErr(req, ctx.Err())
			return
		}
		if restoreDecoding != nil {
			restoreDecoding()
		}
		var in wireRestoreIn
		if !a.readBody(req, &in, maxRestoreBytes) {
			return
		}
		if in.Value == nil {
			a.failErr(req, errMalformedBackup())
			return
		}
		blob, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(*in.Value, "="))
		if err != nil {
			a.failErr(req, errMalformedBackup())
			return
		}
		rec, err := a.rules.restore(ctx, p, blob)
		if err != nil {
			a.failErr(req, err)
			return
		}
		latest, _ := rec.Latest()
		// Recorded (azure-sdk-for-js "can restore a secret", 7.4-preview.1,
		// 2022): restore answers {id, attributes} without the value.
		writeJSON(req.w, http.StatusOK, view.bundle(rec, *latest, false))

	case kv.OpList, kv.OpListDeleted:
		a.list(req)

	case kv.OpListVersions:
		a.listVersions(req)
	}
}

// nextLink builds the absolute link to the following page, on the host the
// client called, carrying api-version and maxresults as well as the token:
// the Go SDK follows it as given.
func (req *request) nextLink(path string, size int, token string) *string {
	q := "api-version=" + req.version + "&maxresults=" + strconv.Itoa(size) + "&$skiptoken=" + token
	link := req.view.base + path + "?" + q
	return &link
}

func (a *API) list(req *request) {
	size, err := pageSize(req.query)
	if err != nil {
		a.failErr(req, err)
		return
	}
	after, err := decodeSkipToken(req.query, tokenAfterKey)
	if err != nil {
		a.failErr(req, err)
		return
	}
	want, path := stateActive, "/secrets"
	if req.route.op == kv.OpListDeleted {
		want, path = stateDeleted, "/deletedsecrets"
	}
	recs, next, err := a.rules.list(req.r.Context(), req.policy, after, size, want)
	if err != nil {
		a.failErr(req, err)
		return
	}
	page := wirePage{Value: make([]wireSecret, 0, len(recs))}
	for _, rec := range recs {
		page.Value = append(page.Value, req.view.item(rec))
	}
	if next != "" {
		page.NextLink = req.nextLink(path, size, encodeSkipToken(tokenAfterKey, next))
	}
	writeJSON(req.w, http.StatusOK, page)
}

func (a *API) listVersions(req *request) {
	size, err := pageSize(req.query)
	if err != nil {
		a.failErr(req, err)
		return
	}
	pos, err := decodeSkipToken(req.query, tokenOffset)
	if err != nil {
		a.failErr(req, err)
		return
	}
	offset := 0
	if pos != "" {
		if offset, err = strconv.Atoi(pos); err != nil || offset < 0 {
			a.fail(req, badParameter(msgBadSkipToken))
			return
		}
	}
	page := wirePage{Value: []wireSecret{}}
	rec, err := a.rules.active(req.r.Context(), req.policy, req.route.name, "")
	var re *ruleError
	if errors.As(err, &re) && re.kind == kindNotFound {
		// Recorded: the versions of a secret that does not exist are an
		// empty list, not a 404.
		writeJSON(req.w, http.StatusOK, page)
		return
	}
	if err != nil {
		a.failErr(req, err)
		return
	}
	versions := rec.Versions[min(offset, len(rec.Versions)):]
	for i, v := range versions {
		if i == size {
			page.NextLink = req.nextLink("/secrets/"+rec.Name+"/versions", size,
				encodeSkipToken(tokenOffset, strconv.Itoa(offset+size)))
			break
		}
		item := req.view.bundle(rec, v, false)
		page.Value = append(page.Value, item)
	}
	writeJSON(req.w, http.StatusOK, page)
}
