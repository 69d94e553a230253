package social

import (
	"strings"

	"github.com/avnology/idflows/mockserver/ids"
	"github.com/avnology/idflows/mockserver/internal/apierr"
	"github.com/avnology/idflows/mockserver/internal/flow"
	"github.com/avnology/idflows/mockserver/internal/kernel"
)

// Start is the oidc method of login and registration alike: it keeps a fresh state secret,
// nonce and PKCE verifier on the flow and answers a redirect to the provider; the flow stays in
// its state until the callback comes back. The provider must be Ready.
func (ps Providers) Start(st *kernel.Step, name string) (kernel.Outcome, error) {
	p, ok := ps[name]
	if !ok {
		return kernel.Outcome{}, apierr.Invalid("Unknown provider.", apierr.Field("body.provider", "not one of: "+strings.Join(ps.Names(), ", ")))
	}
	f := st.Flow
	f.OIDCProvider, f.OIDCState = name, ids.Token(st.World.IDs, 32)
	f.OIDCNonce, f.OIDCVerifier = ids.Token(st.World.IDs, 32), ids.Token(st.World.IDs, 48) // RFC 7636: 43–128 characters
	u, err := p.AuthURL(State(f), f.OIDCNonce, f.OIDCVerifier, st.World.Name)
	if err != nil {
		return kernel.Outcome{}, err
	}
	return kernel.Outcome{To: f.State(), Redirect: u}, nil
}

// State is what a flow sends its provider as state: the flow's id and its secret.
func State(f *flow.Flow) string { return f.ID + "." + f.OIDCState }
