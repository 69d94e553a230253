package conformance

import (
	"net/http"
	"net/url"
	"time"
)

func init() {
	register(
		Case{ID: "sessions.whoami.bearer", Title: "whoami with a bearer token shows the session truthfully and without its token",
			Profile: ProfileCore, Requirements: []string{"getSession", "REQ-SES-003", "REQ-SES-008"},
			Run: func(t *T) {
				acc := t.Register(t.API())
				r := t.WithToken(acc.Token).Get("/v1/sessions/whoami", nil)
				t.RequireStatus(r, 200, "whoami with the registration token")
				t.checkSession(r, "", "aal1", "password")
				t.checkAt(r.Seq, r.Str("id") == acc.SessionID, "whoami shows session %q, want %q", r.Str("id"), acc.SessionID)
				t.checkAt(r.Seq, r.Get("token") == nil, "whoami must never carry the token (REQ-SES-008)")
			}},
		Case{ID: "sessions.whoami.cookie", Title: "whoami accepts the avnl_session cookie a browser sign-in set",
			Profile: ProfileCore, Requirements: []string{"getSession", "REQ-SES-003"},
			Run: func(t *T) {
				acc := t.Register(t.API())
				b := t.Browser()
				t.SignIn(b, acc)
				r := b.Get("/v1/sessions/whoami", nil)
				if t.ExpectStatus(r, 200, "whoami with the session cookie") {
					t.checkAt(r.Seq, r.Str("id") == acc.SessionID, "the cookie's session is %q, want %q", r.Str("id"), acc.SessionID)
				}
			}},
		Case{ID: "sessions.whoami.no-session", Title: "whoami without a session, or with a malformed or unknown token, answers 401 _005",
			Profile: ProfileCore, Requirements: []string{"getSession", "REQ-SES-002"},
			Run: func(t *T) {
				t.ExpectError(t.API().Get("/v1/sessions/whoami", nil), 401, "AVNOLOGY_AUTH_005", "whoami without a session")
				t.ExpectError(t.WithToken("avnl_ses_"+randomHex(16)).Get("/v1/sessions/whoami", nil), 401, "AVNOLOGY_AUTH_005", "whoami with an unknown token")
				t.ExpectError(t.WithToken("garbage").Get("/v1/sessions/whoami", nil), 401, "AVNOLOGY_AUTH_005", "whoami with a malformed token")
			}},
		Case{ID: "sessions.whoami.expired", Title: "An expired session answers 401 _004",
			Profile: ProfileCore, Requirements: []string{"getSession", "REQ-SES-002"}, Needs: []Capability{NeedClock},
			Run: func(t *T) {
				acc := t.Register(t.API())
				a := t.WithToken(acc.Token)
				who := a.Get("/v1/sessions/whoami", nil)
				// Both stamps are the target's own time, which may not be the suite's.
				issued, err1 := time.Parse(time.RFC3339, who.Str("issued_at"))
				expires, err2 := time.Parse(time.RFC3339, who.Str("expires_at"))
				if !t.checkAt(who.Seq, err1 == nil && err2 == nil && expires.After(issued), "whoami's issued_at and expires_at must be RFC 3339, expiry after issue") {
					return
				}
				t.Advance(expires.Sub(issued) + time.Minute)
				t.ExpectError(a.Get("/v1/sessions/whoami", nil), 401, "AVNOLOGY_AUTH_004", "whoami after expires_at")
			}},
		Case{ID: "sessions.logout.revokes", Title: "Logout revokes the session: its token then answers 401 _005",
			Profile: ProfileCore, Requirements: []string{"logout", "getSession", "REQ-SES-004"},
			Run: func(t *T) {
				acc := t.Register(t.API())
				a := t.WithToken(acc.Token)
				t.ExpectStatus(a.Do(Request{Method: http.MethodDelete, Path: "/v1/sessions/whoami"}), 204, "logging out")
				t.ExpectError(a.Get("/v1/sessions/whoami", nil), 401, "AVNOLOGY_AUTH_005", "whoami after logout")
				t.ExpectError(a.Do(Request{Method: http.MethodDelete, Path: "/v1/sessions/whoami"}), 401, "AVNOLOGY_AUTH_005", "logging out twice")
			}},
		Case{ID: "sessions.logout.cookie", Title: "A browser logout clears avnl_session and ends the session",
			Profile: ProfileCore, Requirements: []string{"logout", "REQ-SES-004"},
			Run: func(t *T) {
				acc := t.Register(t.API())
				b := t.Browser()
				t.SignIn(b, acc)
				t.ExpectStatus(b.Do(Request{Method: http.MethodDelete, Path: "/v1/sessions/whoami"}), 204, "logging out")
				t.Check(b.Cookie("avnl_session") == "", "logout must clear the avnl_session cookie")
				t.ExpectError(t.WithToken(acc.Token).Get("/v1/sessions/whoami", nil), 401, "AVNOLOGY_AUTH_005", "the token of a browser session after logout")
			}},
		Case{ID: "sessions.list.own", Title: "listSessions shows only the caller's sessions, the current one marked",
			Profile: ProfileCore, Requirements: []string{"listSessions", "REQ-SES-005"},
			Run: func(t *T) {
				acc := t.Register(t.API())
				first := acc.SessionID
				t.SignIn(t.API(), acc)
				t.Register(t.API()) // someone else
				r := t.WithToken(acc.Token).Get("/v1/sessions", nil)
				t.RequireStatus(r, 200, "listing sessions")
				list, _ := r.Get("sessions").([]any)
				ids := map[string]bool{}
				for _, s := range list {
					id, _ := lookup(s, "id").(string)
					ids[id] = true
					t.checkAt(r.Seq, lookup(s, "identity_id") == acc.IdentityID, "session %s of another identity is listed (REQ-SES-005)", id)
					t.checkAt(r.Seq, (lookup(s, "current") == true) == (id == acc.SessionID), "session %s has current=%v", id, lookup(s, "current"))
				}
				t.checkAt(r.Seq, len(list) == 2 && ids[first] && ids[acc.SessionID], "want exactly the identity's 2 sessions, got %d", len(list))
				t.checkAt(r.Seq, r.Get("total_size") == float64(2), "total_size is %v, want 2", r.Get("total_size"))
			}},
		Case{ID: "sessions.list.paging", Title: "listSessions pages with page_size and next_page_token",
			Profile: ProfileCore, Requirements: []string{"listSessions", "REQ-SES-005"},
			Run: func(t *T) {
				acc := t.Register(t.API())
				t.SignIn(t.API(), acc)
				t.SignIn(t.API(), acc)
				a := t.WithToken(acc.Token)
				seen := map[string]bool{}
				q := url.Values{"page_size": {"2"}}
				for page := 0; page < 3; page++ {
					r := a.Get("/v1/sessions", q)
					t.RequireStatus(r, 200, "listing a page")
					list, _ := r.Get("sessions").([]any)
					t.checkAt(r.Seq, len(list) <= 2, "page_size=2 returned %d sessions", len(list))
					for _, s := range list {
						id, _ := lookup(s, "id").(string)
						t.checkAt(r.Seq, !seen[id], "session %s appears on two pages", id)
						seen[id] = true
					}
					next := r.Str("next_page_token")
					if next == "" {
						break
					}
					q.Set("page_token", next)
				}
				t.Check(len(seen) == 3, "the pages held %d distinct sessions, want 3", len(seen))
				t.ExpectError(a.Do(Request{Method: http.MethodGet, Path: "/v1/sessions", Query: url.Values{"page_size": {"0"}}, Deliberate: true}), 400, "AVNOLOGY_AUTH_902", "page_size=0")
			}},
		Case{ID: "sessions.revoke-others", Title: "revokeOtherSessions ends every other session and reports how many",
			Profile: ProfileCore, Requirements: []string{"revokeOtherSessions", "REQ-SES-007"},
			Run: func(t *T) {
				acc := t.Register(t.API())
				old := acc.Token
				t.SignIn(t.API(), acc)
				t.SignIn(t.API(), acc)
				r := t.WithToken(acc.Token).Do(Request{Method: http.MethodDelete, Path: "/v1/sessions"})
				if t.ExpectStatus(r, 200, "revoking the other sessions") {
					t.checkAt(r.Seq, r.Get("revoked_count") == float64(2), "revoked_count is %v, want 2", r.Get("revoked_count"))
				}
				t.ExpectError(t.WithToken(old).Get("/v1/sessions/whoami", nil), 401, "AVNOLOGY_AUTH_005", "an old session after revokeOtherSessions")
				t.ExpectStatus(t.WithToken(acc.Token).Get("/v1/sessions/whoami", nil), 200, "the presenting session after revokeOtherSessions")
			}},
		Case{ID: "sessions.revoke.own", Title: "revokeSession ends another session of the caller",
			Profile: ProfileCore, Requirements: []string{"revokeSession", "REQ-SES-005"},
			Run: func(t *T) {
				acc := t.Register(t.API())
				other := *acc
				t.SignIn(t.API(), &other)
				t.ExpectStatus(t.WithToken(acc.Token).Do(Request{Method: http.MethodDelete, Path: "/v1/sessions/" + other.SessionID}), 204, "revoking one's own other session")
				t.ExpectError(t.WithToken(other.Token).Get("/v1/sessions/whoami", nil), 401, "AVNOLOGY_AUTH_005", "the revoked session")
			}},
		Case{ID: "sessions.revoke.foreign", Title: "Another identity's session is invisible: revoking it answers 404 _901 and leaves it alive",
			Profile: ProfileSecurity, Requirements: []string{"revokeSession", "REQ-SES-006"},
			Run: func(t *T) {
				mine, theirs := t.Register(t.API()), t.Register(t.API())
				r := t.WithToken(mine.Token).Do(Request{Method: http.MethodDelete, Path: "/v1/sessions/" + theirs.SessionID})
				t.ExpectError(r, 404, "AVNOLOGY_AUTH_901", "revoking another identity's session")
				t.ExpectStatus(t.WithToken(theirs.Token).Get("/v1/sessions/whoami", nil), 200, "the other identity's session afterwards")
				t.ExpectError(t.WithToken(mine.Token).Do(Request{Method: http.MethodDelete, Path: "/v1/sessions/ses_" + randomFlowID()}), 404, "AVNOLOGY_AUTH_901", "revoking an unknown session")
			}},
		Case{ID: "sessions.require-session", Title: "Session operations without a valid session answer 401 _005",
			Profile: ProfileCore, Requirements: []string{"listSessions", "revokeOtherSessions", "revokeSession", "logout", "REQ-SES-002"},
			Run: func(t *T) {
				for _, a := range []*Agent{t.API(), t.WithToken("avnl_ses_" + randomHex(16))} {
					t.ExpectError(a.Get("/v1/sessions", nil), 401, "AVNOLOGY_AUTH_005", "listSessions")
					t.ExpectError(a.Do(Request{Method: http.MethodDelete, Path: "/v1/sessions"}), 401, "AVNOLOGY_AUTH_005", "revokeOtherSessions")
					t.ExpectError(a.Do(Request{Method: http.MethodDelete, Path: "/v1/sessions/ses_" + randomFlowID()}), 401, "AVNOLOGY_AUTH_005", "revokeSession")
					t.ExpectError(a.Do(Request{Method: http.MethodDelete, Path: "/v1/sessions/whoami"}), 401, "AVNOLOGY_AUTH_005", "logout")
				}
			}},
	)
}
