package passkey

import (
	"crypto/sha512"
	_ "embed"
	"encoding/base64"
	"sync"
)

// Script is the browser glue that runs the ceremonies for a form rendered from UI nodes.
//
//go:embed webauthn.js
var Script []byte

// ScriptPath is where the mock serves Script.
const ScriptPath = "/_mock/webauthn.js"

// ScriptIntegrity is Script's subresource-integrity hash.
var ScriptIntegrity = sync.OnceValue(func() string {
	sum := sha512.Sum384(Script)
	return "sha384-" + base64.StdEncoding.EncodeToString(sum[:])
})
