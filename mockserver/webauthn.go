package mockserver

import (
	"net"
	"net/url"
	"slices"
	"strings"

	"github.com/avnology/idflows/internal/origins"
	"github.com/avnology/idflows/mockserver/internal/passkey"
)

// relyingParty builds the WebAuthn relying party from the configuration and its defaults.
func relyingParty(cfg Config) (*passkey.RP, error) {
	base, err := url.Parse(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	id := cfg.WebAuthn.RPID
	if id == "" {
		id = base.Hostname()
		if net.ParseIP(id) != nil {
			id = "localhost"
		}
	}
	allowed := slices.Clone(cfg.WebAuthn.Origins)
	if len(allowed) == 0 {
		allowed = append(allowed, cfg.BaseURL)
		if twin := *base; net.ParseIP(base.Hostname()) != nil {
			twin.Host = "localhost"
			if p := base.Port(); p != "" {
				twin.Host += ":" + p
			}
			allowed = append(allowed, twin.String())
		}
		for _, o := range cfg.CORSOrigins {
			if !strings.EqualFold(o, origins.Localhost) { // a ceremony needs exact allowed: --webauthn-allowed
				allowed = append(allowed, o)
			}
		}
	}
	for i, o := range allowed {
		allowed[i] = strings.TrimRight(o, "/")
	}
	return passkey.New(id, "Avnology ID (idflows mock)", allowed)
}
