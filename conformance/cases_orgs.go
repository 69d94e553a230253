package conformance

import (
	"net/url"
)

func init() {
	register(
		Case{ID: "organizations.login.members-only", Title: "A login for an organization signs in its members only; others get 403 _302 and no session",
			Profile: ProfileCore, Requirements: []string{"createLoginFlow", "submitLoginFlow", "REQ-ORG-001"}, Needs: []Capability{NeedOrgs},
			Run: func(t *T) {
				member, outsider := t.Register(t.API()), t.Register(t.API())
				org := "org_conform-" + randomHex(6)
				if err := t.target.Orgs.SeedOrganization(t.Context(), t.scope, org, "open", []string{member.IdentityID}); err != nil {
					t.suiteError("seeding an organization: %v", err)
					return
				}
				q := url.Values{"organization_id": {org}}
				f, r := t.PasswordLogin(t.API(), member, q)
				t.Check(f.Data["organization_id"] == org, "the flow must echo organization_id %q, has %v", org, f.Data["organization_id"])
				if t.ExpectStatus(r, 200, "a member signing in to the organization") {
					t.checkAt(r.Seq, r.Str("session.identity.id") == member.IdentityID, "the member's session is %q's", r.Str("session.identity.id"))
				}
				_, r = t.PasswordLogin(t.API(), outsider, q)
				if t.ExpectError(r, 403, "AVNOLOGY_AUTH_302", "a non-member signing in to the organization") {
					t.checkAt(r.Seq, r.Get("session") == nil, "a non-member must get no session")
				}
			}},
		Case{ID: "organizations.registration", Title: "Registration for an organization needs it open (else 403 _304) and makes a member",
			Profile: ProfileCore, Requirements: []string{"createRegistrationFlow", "submitRegistrationFlow", "submitLoginFlow", "REQ-ORG-002", "REQ-ORG-001"}, Needs: []Capability{NeedOrgs},
			Run: func(t *T) {
				closed, open := "org_conform-closed-"+randomHex(6), "org_conform-open-"+randomHex(6)
				for id, mode := range map[string]string{closed: "invite_only", open: "open"} {
					if err := t.target.Orgs.SeedOrganization(t.Context(), t.scope, id, mode, nil); err != nil {
						t.suiteError("seeding an organization: %v", err)
						return
					}
				}
				a := t.API()
				t.ExpectError(a.Get(flowPath("registration"), url.Values{"organization_id": {closed}}), 403, "AVNOLOGY_AUTH_304", "a registration flow for an invite-only organization")
				f := a.MustCreateFlow("registration", url.Values{"organization_id": {open}})
				acc := &Account{Email: uniqueEmail("org"), Password: newPassword()}
				r := a.Submit(f, "password", map[string]any{"traits": map[string]any{"email": acc.Email}, "password": acc.Password})
				t.RequireStatus(r, 200, "registering into an open organization")
				_, login := t.PasswordLogin(t.API(), acc, url.Values{"organization_id": {open}})
				t.ExpectStatus(login, 200, "the new member signing in to the organization")
			}},
	)
}
