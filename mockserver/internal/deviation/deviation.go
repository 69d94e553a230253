// Package deviation names the ways the mock can be told to break the contract on purpose, so
// the conformance suite can prove that it catches each one. None is ever on by default.
package deviation

import (
	"fmt"
	"slices"
	"strings"
)

// Kind is one deliberate deviation.
type Kind string

// The deviations. Transport ones rewrite answers on the way out; behavioural ones change what
// a flow or session does.
const (
	WrongCode         Kind = "wrong-code"            // 401 _001 answered as 401 _004
	WrongStatus       Kind = "wrong-status"          // 400 _902 answered as 422
	MissingField      Kind = "missing-field"         // flows lose the required expires_at
	UndeclaredField   Kind = "undeclared-field"      // JSON answers gain a field the contract lacks
	MissingRequestID  Kind = "missing-request-id"    // no X-Request-Id header
	WrongContentType  Kind = "wrong-content-type"    // JSON answers labelled text/plain
	CSRFNotEnforced   Kind = "csrf-not-enforced"     // any CSRF token is accepted
	ExpiryIgnored     Kind = "expiry-ignored"        // expired flows stay usable
	LogoutNotRevoking Kind = "logout-not-revoking"   // logout answers 204 but the session lives on
	EnumerationLeak   Kind = "enumeration-leak"      // an unknown identifier gets its own message
	AALNotRaised      Kind = "aal-not-raised"        // a second factor leaves the session at aal1
	StepUpNotEnforced Kind = "step-up-not-enforced"  // no 403 _102: aal1 sessions and stale sign-ins may change settings
	TOTPReplay        Kind = "totp-replay"           // a TOTP code may be used again
	SecondFactorReset Kind = "second-factor-reset"   // a correct password resets the wrong-code count
	UnicodeFolding    Kind = "unicode-folding"       // addresses match after Unicode folding; codes go to the typed address
	RecoveryStripsMFA Kind = "recovery-strips-mfa"   // a recovery session may remove second factors
	CodeLoginSkipsMFA Kind = "code-login-skips-mfa"  // an emailed code alone signs an MFA identity in
	CORSAnyOrigin     Kind = "cors-any-origin"       // every origin may read answers with credentials
	CacheableSecrets  Kind = "cacheable-secrets"     // no Cache-Control: no-store on tokens and secrets
	WrongMessageIDs   Kind = "wrong-message-ids"     // documented message ids (4000005, 1080002, 1050001) change
	WrongRetryAfter   Kind = "wrong-retry-after"     // Retry-After is an hour, whatever is left
	SocialMerge       Kind = "social-merge"          // a provider account is merged into the account with its email
	SocialUnbound     Kind = "social-unbound"        // a callback completes in any browser
	OrgsIgnored       Kind = "organizations-ignored" // organization_id restricts nothing
	SocialNonce       Kind = "social-nonce-ignored"  // an ID token for another sign-in's nonce is believed
	SocialRedirect    Kind = "social-open-redirect"  // the callback follows a return_to in its own query
	PKCENotVerified   Kind = "pkce-not-verified"     // the token endpoint takes any code_verifier
)

// All lists every deviation with what it does.
var All = map[Kind]string{
	WrongCode:         "answer a wrong password with 401 AVNOLOGY_AUTH_004 instead of _001",
	WrongStatus:       "answer invalid requests with 422 instead of 400",
	MissingField:      "drop the required expires_at from every flow",
	UndeclaredField:   "add an undeclared debug field to every JSON object answered",
	MissingRequestID:  "omit the X-Request-Id header",
	WrongContentType:  "label JSON answers text/plain",
	CSRFNotEnforced:   "accept submits whatever their CSRF token",
	ExpiryIgnored:     "keep expired flows usable",
	LogoutNotRevoking: "answer logout with 204 but keep the session valid",
	EnumerationLeak:   "tell an unknown identifier apart from a wrong password in the message",
	AALNotRaised:      "leave the session at aal1 after a second factor",
	StepUpNotEnforced: "let aal1 sessions and stale sign-ins change settings",
	TOTPReplay:        "accept a TOTP code that was already used",
	SecondFactorReset: "let a correct password reset the count of wrong second-factor codes",
	UnicodeFolding:    "match addresses with Unicode case folding and send codes to the address as typed",
	RecoveryStripsMFA: "let a recovery session remove or replace second factors",
	CodeLoginSkipsMFA: "sign an identity with a second factor in at aal1 with an emailed code alone",
	CORSAnyOrigin:     "let any origin read answers with credentials",
	CacheableSecrets:  "leave Cache-Control: no-store off answers that carry tokens and secrets",
	WrongMessageIDs:   "answer other ids where the documented messages 4000005, 1080002 and 1050001 belong",
	WrongRetryAfter:   "answer Retry-After: 3600 on every 423 and 429, whatever time is left",
	SocialMerge:       "link a provider account to the existing account with its email and sign it in",
	SocialUnbound:     "complete a social callback in any browser, not only the one that started it",
	OrgsIgnored:       "let anyone sign in to an organization and register into one that is not open",
	SocialNonce:       "believe a social provider's ID token whatever its nonce",
	SocialRedirect:    "send the browser to a return_to given in the social callback's own query",
	PKCENotVerified:   "exchange an authorization code whatever its code_verifier (PKCE skipped)",
}

// Names returns every deviation's name, sorted.
func Names() []string {
	out := make([]string, 0, len(All))
	for k := range All {
		out = append(out, string(k))
	}
	slices.Sort(out)
	return out
}

// Set is a set of deviations; the zero value has none.
type Set map[Kind]bool

// Has reports whether k is in the set.
func (s Set) Has(k Kind) bool { return s[k] }

// Parse reads a comma-separated list of names.
func Parse(list string) (Set, error) {
	s := Set{}
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if _, ok := All[Kind(name)]; !ok {
			return nil, fmt.Errorf("unknown deviation %q (have %s)", name, strings.Join(Names(), ", "))
		}
		s[Kind(name)] = true
	}
	return s, nil
}

// Rules are the rules of a real identity provider that a deviation can relax. The kernel reads
// them — "does this world enforce CSRF?" — instead of asking which deviations are on. Made once
// per world by RulesOf; the zero value relaxes everything, so always use RulesOf.
type Rules struct {
	EnforceCSRF            bool // submits need the flow's CSRF token (REQ-CSRF-002)
	ExpireFlows            bool // expired flows answer _009 (REQ-FLOW-003)
	RevokeOnLogout         bool // logout ends the session (REQ-SES-004)
	UniformCredentialError bool // an unknown identifier reads like a wrong password (REQ-LOGIN-003)
	RaiseAAL               bool // a second factor raises the session to aal2 (REQ-LOGIN-009)
	EnforceStepUp          bool // settings need aal2 and a recent sign-in (REQ-STEPUP-001, -002)
	RefuseTOTPReplay       bool // a TOTP code works once (REQ-LOGIN-010)
	KeepSecondFactorCount  bool // a password does not reset wrong second-factor codes (REQ-SEC-001)
	ASCIIAddresses         bool // addresses match in ASCII only; codes go to the stored one (REQ-SEC-002)
	GuardSecondFactors     bool // removing a second factor needs aal2 (REQ-SEC-003)
	CodeLoginAsksSecond    bool // a code login of an MFA identity asks for the second factor (REQ-SEC-004)
	CORSOnlyConfigured     bool // only configured origins read answers with credentials (REQ-CSRF-005)
	NoStore                bool // answers carry Cache-Control: no-store (REQ-SEC-005)
	KeepSocialApart        bool // a provider email never merges into another account (REQ-OIDC-003)
	BindSocialState        bool // a callback completes only in the browser that started it (REQ-OIDC-004)
	EnforceOrganizations   bool // organization_id admits members and open registrations only (REQ-ORG-001, -002)
	CheckSocialNonce       bool // an ID token must carry its sign-in's nonce (REQ-OIDC-006)
	FixedCallbackTarget    bool // the callback sends the browser only where the flow says (REQ-OIDC-006)
	VerifyPKCE             bool // a code is exchanged only with its PKCE verifier (REQ-OAUTH-002)
}

// RulesOf is the rules a world with the deviations s keeps.
func RulesOf(s Set) Rules {
	return Rules{
		EnforceCSRF:            !s.Has(CSRFNotEnforced),
		ExpireFlows:            !s.Has(ExpiryIgnored),
		RevokeOnLogout:         !s.Has(LogoutNotRevoking),
		UniformCredentialError: !s.Has(EnumerationLeak),
		RaiseAAL:               !s.Has(AALNotRaised),
		EnforceStepUp:          !s.Has(StepUpNotEnforced),
		RefuseTOTPReplay:       !s.Has(TOTPReplay),
		KeepSecondFactorCount:  !s.Has(SecondFactorReset),
		ASCIIAddresses:         !s.Has(UnicodeFolding),
		GuardSecondFactors:     !s.Has(RecoveryStripsMFA),
		CodeLoginAsksSecond:    !s.Has(CodeLoginSkipsMFA),
		CORSOnlyConfigured:     !s.Has(CORSAnyOrigin),
		NoStore:                !s.Has(CacheableSecrets),
		KeepSocialApart:        !s.Has(SocialMerge),
		BindSocialState:        !s.Has(SocialUnbound),
		EnforceOrganizations:   !s.Has(OrgsIgnored),
		CheckSocialNonce:       !s.Has(SocialNonce),
		FixedCallbackTarget:    !s.Has(SocialRedirect),
		VerifyPKCE:             !s.Has(PKCENotVerified),
	}
}
