package mockserver

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/avnology/idflows/mockserver/internal/deviation"
)

// Deviation is a deliberate deviation from the contract. A mock built WithDeviation is wrong on
// purpose, so that the conformance suite can be shown to catch each one; never use one to
// develop against. (Faults are something else: documented errors or latency armed through the
// control plane, which a correct provider may also answer.)
type Deviation = deviation.Kind

// The deviations the mock can make.
const (
	DeviationWrongCode         = deviation.WrongCode
	DeviationWrongStatus       = deviation.WrongStatus
	DeviationMissingField      = deviation.MissingField
	DeviationUndeclaredField   = deviation.UndeclaredField
	DeviationMissingRequestID  = deviation.MissingRequestID
	DeviationWrongContentType  = deviation.WrongContentType
	DeviationCSRFNotEnforced   = deviation.CSRFNotEnforced
	DeviationExpiryIgnored     = deviation.ExpiryIgnored
	DeviationLogoutNotRevoking = deviation.LogoutNotRevoking
	DeviationEnumerationLeak   = deviation.EnumerationLeak
	DeviationAALNotRaised      = deviation.AALNotRaised
	DeviationStepUpNotEnforced = deviation.StepUpNotEnforced
	DeviationTOTPReplay        = deviation.TOTPReplay
	DeviationSecondFactorReset = deviation.SecondFactorReset
	DeviationUnicodeFolding    = deviation.UnicodeFolding
	DeviationRecoveryStripsMFA = deviation.RecoveryStripsMFA
	DeviationCodeLoginSkipsMFA = deviation.CodeLoginSkipsMFA
	DeviationCORSAnyOrigin     = deviation.CORSAnyOrigin
	DeviationCacheableSecrets  = deviation.CacheableSecrets
	DeviationWrongMessageIDs   = deviation.WrongMessageIDs
	DeviationWrongRetryAfter   = deviation.WrongRetryAfter
	DeviationSocialMerge       = deviation.SocialMerge
	DeviationSocialUnbound     = deviation.SocialUnbound
	DeviationOrgsIgnored       = deviation.OrgsIgnored
	DeviationSocialNonce       = deviation.SocialNonce
	DeviationSocialRedirect    = deviation.SocialRedirect
	DeviationPKCENotVerified   = deviation.PKCENotVerified
)

// Deviations describes every deviation by name.
func Deviations() map[Deviation]string { return deviation.All }

// ParseDeviations reads a comma-separated list of deviation names.
func ParseDeviations(list string) ([]Deviation, error) {
	set, err := deviation.Parse(list)
	if err != nil {
		return nil, err
	}
	out := make([]Deviation, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	return out, nil
}

// WithDeviation makes the mock break the contract in the given ways (on every tenant).
func WithDeviation(deviations ...Deviation) Option {
	return func(o *options) {
		if o.deviations == nil {
			o.deviations = deviation.Set{}
		}
		for _, d := range deviations {
			o.deviations[d] = true
		}
	}
}

// deviate applies the transport deviations to flow API answers on their way out, after the mock's
// own strict check, as a faulty server would send them. The control plane and the OAuth
// endpoints are left alone.
func (s *Server) deviate(next http.Handler) http.Handler {
	f := s.opts.deviations
	if !f.Has(deviation.WrongCode) && !f.Has(deviation.WrongStatus) && !f.Has(deviation.MissingField) &&
		!f.Has(deviation.UndeclaredField) && !f.Has(deviation.MissingRequestID) && !f.Has(deviation.WrongContentType) &&
		!f.Has(deviation.WrongMessageIDs) && !f.Has(deviation.WrongRetryAfter) {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/_mock/") || servesOAuth2(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		rec := &recorder{header: http.Header{}, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		for k, v := range w.Header() {
			if _, ok := rec.header[k]; !ok {
				rec.header[k] = v
			}
		}
		status, body := rec.status, rec.body.Bytes()
		var doc map[string]any
		if json.Unmarshal(body, &doc) == nil {
			changed := false
			if code, _ := lookupPath(doc, "error", "code").(string); code != "" {
				if f.Has(deviation.WrongCode) && code == "AVNOLOGY_AUTH_001" {
					doc["error"].(map[string]any)["code"], changed = "AVNOLOGY_AUTH_004", true
				}
				if f.Has(deviation.WrongStatus) && status == http.StatusBadRequest && code == "AVNOLOGY_AUTH_902" {
					status = http.StatusUnprocessableEntity
					doc["error"].(map[string]any)["status"], changed = status, true
				}
			}
			if f.Has(deviation.MissingField) {
				for _, flow := range []any{doc, doc["continue_flow"]} {
					if m, ok := flow.(map[string]any); ok && m["ui"] != nil {
						delete(m, "expires_at")
						changed = true
					}
				}
			}
			if f.Has(deviation.UndeclaredField) && status < 300 {
				doc["debug_trace"], changed = "served by a faulty mock", true
			}
			if changed {
				body, _ = json.Marshal(doc)
			}
		}
		if f.Has(deviation.WrongMessageIDs) {
			for _, id := range []string{"4000005", "1080002", "1050001"} {
				body = bytes.ReplaceAll(body, []byte(`"id":"`+id+`"`), []byte(`"id":"9`+id[1:]+`"`))
			}
		}
		dst := w.Header()
		for k, v := range rec.header {
			dst[k] = v
		}
		if f.Has(deviation.WrongRetryAfter) && dst.Get("Retry-After") != "" {
			dst.Set("Retry-After", "3600")
		}
		dst.Set("Content-Length", strconv.Itoa(len(body)))
		if f.Has(deviation.MissingRequestID) {
			dst.Del("X-Request-Id")
		}
		if f.Has(deviation.WrongContentType) && bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) {
			dst.Set("Content-Type", "text/plain; charset=utf-8")
		}
		w.WriteHeader(status)
		_, _ = w.Write(body)
	})
}

func lookupPath(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}
