// Package sessions is the session API: whoami, logout, listing and revoking.
package sessions

import (
	"context"
	"encoding/base64"
	"strconv"

	"github.com/avnology/idflows/gen/api"
	"github.com/avnology/idflows/mockserver/internal/apierr"
	"github.com/avnology/idflows/mockserver/internal/auth"
	"github.com/avnology/idflows/mockserver/internal/identity"
	"github.com/avnology/idflows/mockserver/internal/request"
	"github.com/avnology/idflows/mockserver/internal/session"
	"github.com/avnology/idflows/mockserver/internal/store"
	"github.com/avnology/idflows/mockserver/internal/tenant"
)

// Whoami returns the caller's session (REQ-SES-002, REQ-SES-008).
func Whoami(ctx context.Context, w *tenant.World, req request.Request) (api.Session, error) {
	var (
		ses   session.Session
		ident identity.Identity
	)
	err := w.Store.Read(ctx, func(tx *store.Tx) error {
		var e *apierr.Error
		if ses, ident, e = auth.Resolve(tx, req, true); e != nil {
			return e
		}
		return nil
	})
	if err != nil {
		return api.Session{}, err
	}
	return auth.Session(ses, ident, false), nil // rendered outside the lock
}

// Logout revokes the presented session (REQ-SES-004).
func Logout(ctx context.Context, w *tenant.World, req request.Request) error {
	return w.Store.Update(ctx, func(tx *store.Tx) error {
		ses, _, err := auth.Resolve(tx, req, false)
		if err != nil {
			return err
		}
		ses.Revoked = w.Rules.RevokeOnLogout
		tx.PutSession(ses)
		return nil
	})
}

// List returns a page of the caller's active sessions (REQ-SES-005).
func List(ctx context.Context, w *tenant.World, req request.Request, pageSize int, pageToken string) (api.SessionList, error) {
	offset, ok := pageOffset(pageToken)
	if !ok {
		return api.SessionList{}, apierr.Invalid("The page_token is invalid.", apierr.Field("query.page_token", "not a token from next_page_token"))
	}
	var out api.SessionList
	err := w.Store.Update(ctx, func(tx *store.Tx) error {
		current, _, err := auth.Resolve(tx, req, false)
		if err != nil {
			return err
		}
		var active []session.Session
		for _, ses := range tx.SessionsOf(current.IdentityID) {
			if ses.Active(tx.Now) {
				active = append(active, ses)
			}
		}
		out = api.SessionList{Sessions: []api.SessionListItem{}, TotalSize: len(active)}
		for i := offset; i < len(active) && i < offset+pageSize; i++ {
			out.Sessions = append(out.Sessions, auth.ListItem(active[i], active[i].ID == current.ID))
		}
		if next := offset + pageSize; next < len(active) {
			tok := base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(next)))
			out.NextPageToken = &tok
		}
		return nil
	})
	return out, err
}

// pageOffset reads a page token: the base64url of a decimal offset of at most nine digits, so
// that offset arithmetic cannot overflow whatever a client sends.
func pageOffset(token string) (int, bool) {
	if token == "" {
		return 0, true
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) == 0 || len(raw) > 9 {
		return 0, false
	}
	for _, c := range raw {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(string(raw))
	return n, err == nil
}

// Revoke revokes one of the caller's sessions; another identity's is not found (REQ-SES-006).
// It reports whether the caller revoked its own current session.
func Revoke(ctx context.Context, w *tenant.World, req request.Request, id string) (current bool, err error) {
	err = w.Store.Update(ctx, func(tx *store.Tx) error {
		caller, _, err := auth.Resolve(tx, req, false)
		if err != nil {
			return err
		}
		ses, ok := tx.Session(id)
		if !ok || ses.IdentityID != caller.IdentityID || !ses.Active(tx.Now) {
			return apierr.NotFoundError()
		}
		ses.Revoked = true
		tx.PutSession(ses)
		current = ses.ID == caller.ID
		return nil
	})
	return current, err
}

// RevokeOthers revokes every session of the caller but the current one (REQ-SES-007).
func RevokeOthers(ctx context.Context, w *tenant.World, req request.Request) (int, error) {
	count := 0
	err := w.Store.Update(ctx, func(tx *store.Tx) error {
		caller, _, err := auth.Resolve(tx, req, false)
		if err != nil {
			return err
		}
		for _, ses := range tx.SessionsOf(caller.IdentityID) {
			if ses.ID != caller.ID && ses.Active(tx.Now) {
				ses.Revoked = true
				tx.PutSession(ses)
				count++
			}
		}
		return nil
	})
	return count, err
}
