package mockserver

import (
	"net"
	"net/url"
	"slices"
	"strings"

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
	origins := slices.Clone(cfg.WebAuthn.Origins)
	if len(origins) == 0 {
		origins = append(origins, cfg.BaseURL)
		if twin := *base; net.ParseIP(base.Hostname()) != nil {
			twin.Host = "localhost"
			if p := base.Port(); p != "" {
				twin.Host += ":" + p
			}
			origins = append(origins, twin.String())
		}
		origins = append(origins, cfg.CORSOrigins...)
	}
	for i, o := range origins {
		origins[i] = strings.TrimRight(o, "/")
	}
	return passkey.New(id, "Avnology ID (idflows mock)", origins)
}
