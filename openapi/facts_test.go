package openapi_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// What the public Avnology documentation states (facts sheet, tags [DOC …]) is frozen: the
// contract must not contradict it. Each row names its source page.

func TestDocumentedServer(t *testing.T) {
	doc := flows(t)
	require.NotEmpty(t, doc.Servers)
	assert.Equal(t, "https://api-id.avnology.net", doc.Servers[0].URL, "§1.1 S1–S11")
}

func TestDocumentedQueryParameters(t *testing.T) {
	for _, row := range []struct {
		source, method, path string
		params               []string
	}{
		{"S1", "GET", "/v1/flows/login", []string{"refresh", "return_to", "login_challenge", "organization_id", "aal"}},
		{"S3", "GET", "/v1/flows/registration", []string{"return_to", "login_challenge", "organization_id"}},
		{"S5", "GET", "/v1/flows/settings", []string{"return_to"}},
		{"S7", "GET", "/v1/flows/recovery", []string{"return_to", "email"}},
	} {
		t.Run(row.source+" "+row.path, func(t *testing.T) {
			op := flows(t).Paths.Find(row.path).GetOperation(row.method)
			require.NotNil(t, op)
			for _, name := range row.params {
				assert.NotNil(t, op.Parameters.GetByInAndName("query", name), "query parameter %s", name)
			}
		})
	}
	aal := flows(t).Paths.Find("/v1/flows/login").Get.Parameters.GetByInAndName("query", "aal")
	assert.ElementsMatch(t, []any{"aal1", "aal2", "aal3", "highest_available"}, aal.Schema.Value.Enum, "S1 aal values")
	refresh := flows(t).Paths.Find("/v1/flows/login").Get.Parameters.GetByInAndName("query", "refresh")
	assert.True(t, refresh.Schema.Value.Type.Is("boolean"), "S1 refresh is a boolean")
}

func TestDocumentedStatusCodePairs(t *testing.T) {
	for _, row := range []struct {
		source, operationID string
		pairs               []statusCode
	}{
		{"S3", "createRegistrationFlow", []statusCode{{400, "AVNOLOGY_AUTH_902"}, {403, "AVNOLOGY_AUTH_304"}}},
		{"S4", "submitRegistrationFlow", []statusCode{{400, "AVNOLOGY_AUTH_009"}, {400, "AVNOLOGY_AUTH_011"}, {400, "AVNOLOGY_AUTH_010"}}},
		{"S5", "createSettingsFlow", []statusCode{{401, "AVNOLOGY_AUTH_005"}, {403, "AVNOLOGY_AUTH_102"}}},
		{"S8", "submitRecoveryFlow", []statusCode{{400, "AVNOLOGY_AUTH_009"}, {400, "AVNOLOGY_AUTH_018"}, {400, "AVNOLOGY_AUTH_019"}, {429, "AVNOLOGY_AUTH_021"}}},
		{"S9", "submitVerificationFlow", []statusCode{{400, "AVNOLOGY_AUTH_009"}, {400, "AVNOLOGY_AUTH_007"}, {429, "AVNOLOGY_AUTH_021"}}},
		{"S10", "getSession", []statusCode{{401, "AVNOLOGY_AUTH_005"}, {401, "AVNOLOGY_AUTH_004"}}},
		{"S11", "revokeSession", []statusCode{{401, "AVNOLOGY_AUTH_005"}, {404, "AVNOLOGY_AUTH_901"}}},
		{"S15", "submitLoginFlow", []statusCode{{401, "AVNOLOGY_AUTH_001"}, {423, "AVNOLOGY_AUTH_002"}}},
	} {
		t.Run(row.source+" "+row.operationID, func(t *testing.T) {
			op := operationByID(t, row.operationID)
			listed := errorCodes(t, op)
			for _, p := range row.pairs {
				assert.Contains(t, listed, p)
			}
		})
	}
	assert.NotNil(t, operationByID(t, "revokeSession").Responses.Status(204), "S11: 204 No Content")
}

func TestDocumentedCodesAreNotProvisional(t *testing.T) {
	catalog := codeCatalog(t, flows(t))
	for code, status := range map[string]int{
		"AVNOLOGY_AUTH_001": 401, "AVNOLOGY_AUTH_002": 423, "AVNOLOGY_AUTH_004": 401, "AVNOLOGY_AUTH_005": 401,
		"AVNOLOGY_AUTH_007": 400, "AVNOLOGY_AUTH_009": 400, "AVNOLOGY_AUTH_010": 400, "AVNOLOGY_AUTH_011": 400,
		"AVNOLOGY_AUTH_018": 400, "AVNOLOGY_AUTH_019": 400, "AVNOLOGY_AUTH_021": 429, "AVNOLOGY_AUTH_100": 403,
		"AVNOLOGY_AUTH_102": 403, "AVNOLOGY_AUTH_304": 403, "AVNOLOGY_AUTH_901": 404, "AVNOLOGY_AUTH_902": 400,
	} {
		assert.Equal(t, status, catalog[code].Status, "§8.3 %s", code)
		assert.False(t, catalog[code].Provisional, "§8.3 %s is documented", code)
	}
}

func TestDocumentedStates(t *testing.T) {
	for schema, states := range map[string][]string{
		"LoginFlow":        {"choose_method"},           // S1
		"RegistrationFlow": {"show_form"},               // S3
		"SettingsFlow":     {"show_form"},               // S5
		"RecoveryFlow":     {"show_form", "sent_email"}, // S7, S8
		"VerificationFlow": {"passed_challenge"},        // S9
	} {
		enum := schemaByName(t, schema).Properties["state"].Value.Enum
		for _, s := range states {
			assert.Contains(t, enum, any(s), "%s.state", schema)
		}
	}
}

func TestDocumentedFields(t *testing.T) {
	for schema, fields := range map[string][]string{
		"LoginFlow":            {"id", "type", "state", "expires_at", "issued_at", "return_to", "organization_id", "active", "ui"}, // S1
		"RegistrationFlow":     {"id", "type", "state", "expires_at", "issued_at", "return_to", "ui"},                              // S3
		"SettingsFlow":         {"id", "type", "state", "expires_at", "ui"},                                                        // S5
		"UiContainer":          {"action", "method", "nodes", "messages"},                                                          // S3, S5, S7, S9
		"Session":              {"id", "token", "expires_at", "identity", "identity_id"},                                           // S2, S4, S10
		"Identity":             {"id", "email", "username", "first_name", "last_name", "email_verified"},                           // S10
		"UiText":               {"id", "text", "type"},                                                                             // S4, S9
		"AuthenticationMethod": {"method", "aal", "completed_at", "provider"},                                                      // S17
	} {
		props := schemaByName(t, schema).Properties
		for _, f := range fields {
			assert.Contains(t, props, f, "%s.%s", schema, f)
		}
	}
	// S1: organization_id and active are strings, "" when unset (not nullable).
	for _, f := range []string{"organization_id", "active"} {
		p := schemaByName(t, "LoginFlow").Properties[f].Value
		assert.True(t, p.Type.Is("string"), f)
		assert.False(t, p.Nullable, f)
		assert.NoError(t, p.VisitJSON(""), f)
	}
	// S17: the AuthMethod values.
	methods := schemaByName(t, "AuthenticationMethod").Properties["method"].Value.Enum
	for _, m := range []string{"password", "webauthn", "totp", "recovery_code", "oidc", "code", "link"} {
		assert.Contains(t, methods, any(m))
	}
	assert.ElementsMatch(t, []any{"aal1", "aal2"}, schemaByName(t, "AuthenticatorAssuranceLevel").Enum, "S17")
}

func TestDocumentedIdentifiersMatchThePatterns(t *testing.T) {
	for _, row := range []struct{ source, schema, value string }{
		{"S1", "FlowIdValue", "f1a2b3c4-d5e6-7890-abcd-ef1234567890"},
		{"S3", "FlowIdValue", "a1b2c3d4-e5f6-7890-abcd-ef1234567890"},
		{"S9", "FlowIdValue", "b2c3d4e5-f6a7-8901-bcde-f12345678901"},
		{"S7", "FlowIdValue", "c3d4e5f6-a7b8-9012-cdef-123456789012"},
		{"S5", "FlowIdValue", "d4e5f6a7-b8c9-0123-def0-123456789abc"},
		{"S2", "SessionIdValue", "ses_1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d"},
		{"S11", "SessionIdValue", "ses_9f8e7d6c-5b4a-3c2d-1e0f-9a8b7c6d5e4f"},
		{"S4", "IdentityIdValue", "usr_4f18acec-2712-4be7-a9af-b063b4f6deba"},
		{"S4", "UiText", `{"id": "4000005", "text": "An account with this email already exists", "type": "error"}`},
		{"S9", "UiText", `{"id": "1080002", "text": "Your email address has been verified successfully.", "type": "success"}`},
	} {
		var v any = row.value
		if json.Valid([]byte(row.value)) && row.value[0] == '{' {
			require.NoError(t, json.Unmarshal([]byte(row.value), &v))
		}
		assert.NoError(t, schemaByName(t, row.schema).VisitJSON(v), "%s %s %s", row.source, row.schema, row.value)
	}
	token := schemaByName(t, "Session").Properties["token"].Value
	for _, tok := range []string{"avnl_ses_a1b2c3d4e5f6g7h8i9j0", "avnl_ses_recovery_9x8w7v6u5t4s3r2q1p0o"} { // S4, S8
		assert.NoError(t, token.VisitJSON(tok), tok)
	}
}

// The documented request bodies are valid requests of the contract, verbatim.
func TestDocumentedRequestBodiesAreValid(t *testing.T) {
	for _, row := range []struct{ source, operationID, body string }{
		{"S2", "submitLoginFlow", `{"method":"password","body":{"identifier":"jane@acme.com","password":"SecureP@ssw0rd!","csrf_token":"dG9rZW4tYWJjMTIz"}}`},
		{"S2", "submitLoginFlow", `{"method":"oidc","body":{"provider":"google","csrf_token":"dG9rZW4tYWJjMTIz"}}`},
		{"S2", "submitLoginFlow", `{"method":"totp","body":{"totp_code":"123456","csrf_token":"dG9rZW4tYWJjMTIz"}}`},
		{"S2", "submitLoginFlow", `{"method":"code","body":{"code":"847291","csrf_token":"dG9rZW4tYWJjMTIz"}}`},
		{"S4", "submitRegistrationFlow", `{"method":"password","body":{"traits":{"email":"jane@acme.com","name":{"first":"Jane","last":"Smith"}},"password":"SecureP@ssw0rd!","csrf_token":"dG9rZW4..."}}`},
		{"S4", "submitRegistrationFlow", `{"method":"oidc","body":{"provider":"google","csrf_token":"dG9rZW4..."}}`},
		{"S6", "submitSettingsFlow", `{"method":"profile","body":{"traits":{"email":"jane@acme.com","name":{"first":"Jane","last":"Smith"}},"csrf_token":"dG9rZW4..."}}`},
		{"S6", "submitSettingsFlow", `{"method":"password","body":{"password":"N3w-Secure-P@ss!","csrf_token":"dG9rZW4..."}}`},
		{"S6", "submitSettingsFlow", `{"method":"totp","body":{"totp_code":"123456","csrf_token":"dG9rZW4..."}}`},
		{"S6", "submitSettingsFlow", `{"method":"totp","body":{"totp_unlink":true,"csrf_token":"dG9rZW4..."}}`},
		{"S8", "submitRecoveryFlow", `{"method":"code","body":{"code":"529174","csrf_token":"dG9rZW4..."}}`},
		{"S9", "submitVerificationFlow", `{"method":"code","body":{"code":"847291","csrf_token":"dG9rZW4..."}}`},
	} {
		t.Run(row.source+" "+row.operationID, func(t *testing.T) {
			var v any
			require.NoError(t, json.Unmarshal([]byte(row.body), &v))
			schema := operationByID(t, row.operationID).RequestBody.Value.Content.Get("application/json").Schema.Value
			assert.NoError(t, schema.VisitJSON(v, openapi3.VisitAsRequest(), openapi3.MultiErrors()))
		})
	}
}

// The documented response fragments of sessions validate against the contract's Session.
func TestDocumentedSessionFragmentsFitTheSchema(t *testing.T) {
	session := schemaByName(t, "Session")
	// S10 lists these at the top of whoami; S2/S4/S8 these inside submit outcomes.
	for _, f := range []string{"id", "identity_id", "identity", "token", "expires_at"} {
		assert.Contains(t, session.Properties, f)
	}
	assert.False(t, slices.Contains(session.Required, "token"), "whoami has no token (S10), so token is optional")
}

func operationByID(t *testing.T, id string) *openapi3.Operation {
	t.Helper()
	for _, o := range operations(flows(t)) {
		if o.op.OperationID == id {
			return o.op
		}
	}
	t.Fatalf("no operation %s", id)
	return nil
}

func schemaByName(t *testing.T, name string) *openapi3.Schema {
	t.Helper()
	ref, ok := flows(t).Components.Schemas[name]
	require.True(t, ok, "schema %s", name)
	return ref.Value
}
