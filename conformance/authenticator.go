package conformance

import (
	"bytes"
	"cmp"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/fxamacker/cbor/v2"
)

// Authenticator is a software WebAuthn authenticator, so passkeys can be certified without a
// browser: ES256 keys, "none" attestation, discoverable credentials, a signature counter. It
// answers the options a target puts in a flow's webauthn_*_options node the way a browser does
// once the user has touched the key and verified (UP and UV set).
type Authenticator struct {
	RPID   string // the relying party it serves; options naming another are refused
	Origin string // the page origin it reports in clientDataJSON
	creds  []softCredential
}

type softCredential struct {
	id, userHandle []byte
	key            *ecdsa.PrivateKey
	count          uint32
}

// Credential is what a ceremony answers: the PublicKeyCredential as JSON, as the contract's
// webauthn_register and webauthn_login fields carry it.
type Credential struct {
	ID   string // base64url
	JSON string
}

var b64 = base64.RawURLEncoding

// ctap2 encodes CBOR the way authenticators do: canonical, so the bytes are stable.
var ctap2, _ = cbor.CTAP2EncOptions().EncMode()

type creationOptions struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
		PubKeyCredParams []struct {
			Alg int `json:"alg"`
		} `json:"pubKeyCredParams"`
		ExcludeCredentials []struct {
			ID string `json:"id"`
		} `json:"excludeCredentials"`
	} `json:"publicKey"`
}

type requestOptions struct {
	PublicKey struct {
		Challenge        string `json:"challenge"`
		RPID             string `json:"rpId"`
		AllowCredentials []struct {
			ID string `json:"id"`
		} `json:"allowCredentials"`
	} `json:"publicKey"`
}

// Create registers a new discoverable credential (navigator.credentials.create).
func (a *Authenticator) Create(options string) (Credential, error) {
	var o creationOptions
	if err := json.Unmarshal([]byte(options), &o); err != nil {
		return Credential{}, fmt.Errorf("creation options: %w", err)
	}
	opts := o.PublicKey
	rpID := cmp.Or(opts.RP.ID, a.RPID)
	if rpID != a.RPID {
		return Credential{}, fmt.Errorf("the options name relying party %q, the target declared %q", rpID, a.RPID)
	}
	if !slices.ContainsFunc(opts.PubKeyCredParams, func(p struct {
		Alg int `json:"alg"`
	}) bool {
		return p.Alg == -7
	}) {
		return Credential{}, errors.New("the options do not accept ES256 (alg -7)")
	}
	for _, ex := range opts.ExcludeCredentials {
		for _, c := range a.creds {
			if ex.ID == b64.EncodeToString(c.id) {
				return Credential{}, errors.New("InvalidStateError: this authenticator already holds an excluded credential")
			}
		}
	}
	userHandle, err := b64.DecodeString(opts.User.ID)
	if err != nil || len(userHandle) == 0 {
		return Credential{}, errors.New("the options' user.id is not base64url")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Credential{}, err
	}
	c := softCredential{id: make([]byte, 32), userHandle: userHandle, key: key}
	_, _ = rand.Read(c.id)

	pub, err := key.PublicKey.Bytes() // 0x04 || X || Y
	if err != nil {
		return Credential{}, err
	}
	cose, err := ctap2.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: pub[1:33], -3: pub[33:65]})
	if err != nil {
		return Credential{}, err
	}
	var auth bytes.Buffer
	rpHash := sha256.Sum256([]byte(a.RPID))
	auth.Write(rpHash[:])
	auth.WriteByte(0x01 | 0x04 | 0x40) // user present, user verified, attested credential data
	_ = binary.Write(&auth, binary.BigEndian, c.count)
	auth.Write(make([]byte, 16)) // AAGUID: none
	_ = binary.Write(&auth, binary.BigEndian, uint16(len(c.id)))
	auth.Write(c.id)
	auth.Write(cose)
	attestation, err := ctap2.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": auth.Bytes()})
	if err != nil {
		return Credential{}, err
	}
	clientData := a.clientData("webauthn.create", opts.Challenge)
	a.creds = append(a.creds, c)
	return a.answer(c, map[string]any{
		"clientDataJSON":    b64.EncodeToString(clientData),
		"attestationObject": b64.EncodeToString(attestation),
		"transports":        []string{"internal"},
	})
}

// Get signs an assertion (navigator.credentials.get) with a credential the options allow, or
// with any of its discoverable credentials when they allow all.
func (a *Authenticator) Get(options string) (Credential, error) {
	var o requestOptions
	if err := json.Unmarshal([]byte(options), &o); err != nil {
		return Credential{}, fmt.Errorf("request options: %w", err)
	}
	opts := o.PublicKey
	if rpID := cmp.Or(opts.RPID, a.RPID); rpID != a.RPID {
		return Credential{}, fmt.Errorf("the options name relying party %q, the target declared %q", rpID, a.RPID)
	}
	i := -1
	for k, c := range a.creds {
		allowed := len(opts.AllowCredentials) == 0
		for _, al := range opts.AllowCredentials {
			allowed = allowed || al.ID == b64.EncodeToString(c.id)
		}
		if allowed {
			i = k
			break
		}
	}
	if i < 0 {
		return Credential{}, errors.New("NotAllowedError: no credential of this authenticator is allowed")
	}
	c := &a.creds[i]
	c.count++
	var auth bytes.Buffer
	rpHash := sha256.Sum256([]byte(a.RPID))
	auth.Write(rpHash[:])
	auth.WriteByte(0x01 | 0x04)
	_ = binary.Write(&auth, binary.BigEndian, c.count)
	clientData := a.clientData("webauthn.get", opts.Challenge)
	digest := sha256.Sum256(clientData)
	signed := sha256.Sum256(append(slices.Clone(auth.Bytes()), digest[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, c.key, signed[:])
	if err != nil {
		return Credential{}, err
	}
	return a.answer(*c, map[string]any{
		"clientDataJSON":    b64.EncodeToString(clientData),
		"authenticatorData": b64.EncodeToString(auth.Bytes()),
		"signature":         b64.EncodeToString(sig),
		"userHandle":        b64.EncodeToString(c.userHandle),
	})
}

// Import adds an existing credential — a fixture's, say — from its base64url id, its PKCS#8
// private key (base64) and the user handle it was registered with.
func (a *Authenticator) Import(id, pkcs8 string, userHandle []byte) error {
	raw, err := b64.DecodeString(id)
	if err != nil {
		return fmt.Errorf("credential id: %w", err)
	}
	der, err := base64.StdEncoding.DecodeString(pkcs8)
	if err != nil {
		return fmt.Errorf("private key: %w", err)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return fmt.Errorf("private key: %w", err)
	}
	key, ok := parsed.(*ecdsa.PrivateKey)
	if !ok || key.Curve != elliptic.P256() {
		return errors.New("private key: not an ES256 (P-256) key")
	}
	a.creds = append(a.creds, softCredential{id: raw, userHandle: userHandle, key: key})
	return nil
}

func (a *Authenticator) clientData(kind, challenge string) []byte {
	data, _ := json.Marshal(map[string]any{"type": kind, "challenge": challenge, "origin": a.Origin, "crossOrigin": false})
	return data
}

func (a *Authenticator) answer(c softCredential, response map[string]any) (Credential, error) {
	id := b64.EncodeToString(c.id)
	data, err := json.Marshal(map[string]any{"id": id, "rawId": id, "type": "public-key", "response": response,
		"clientExtensionResults": map[string]any{}, "authenticatorAttachment": "platform"})
	return Credential{ID: id, JSON: string(data)}, err
}
