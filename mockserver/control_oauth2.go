package mockserver

import (
	"context"
	"errors"

	"github.com/avnology/idflows/gen/control"
	"github.com/avnology/idflows/mockserver/internal/apierr"
	"github.com/avnology/idflows/mockserver/internal/authserver"
)

// The apps registered for "Sign in with Avnology" in the tenant.

func (c *controlAPI) ListOAuth2Clients(ctx context.Context, _ control.ListOAuth2ClientsRequestObject) (control.ListOAuth2ClientsResponseObject, error) {
	all, err := c.s.oauth2.Clients(ctx, callFrom(ctx).world.Name)
	if err != nil {
		return nil, apierr.Unavailable()
	}
	out := control.OAuth2ClientList{Clients: make([]control.OAuth2Client, 0, len(all))}
	for _, cl := range all {
		out.Clients = append(out.Clients, oauth2Client(cl))
	}
	return control.ListOAuth2Clients200JSONResponse(out), nil
}

func (c *controlAPI) RegisterOAuth2Client(ctx context.Context, req control.RegisterOAuth2ClientRequestObject) (control.RegisterOAuth2ClientResponseObject, error) {
	b := req.Body
	cl := authserver.Client{ID: b.ClientId, Name: deref(b.ClientName), Secret: deref(b.ClientSecret), RedirectURIs: b.RedirectUris,
		FirstParty: deref(b.FirstParty)}
	if cl.Name == "" {
		cl.Name = cl.ID
	}
	for _, sc := range deref(b.Scopes) {
		cl.Scopes = append(cl.Scopes, string(sc))
	}
	if err := c.s.oauth2.Register(ctx, callFrom(ctx).world.Name, cl); err != nil {
		var invalid *authserver.ErrInvalidClient
		if errors.As(err, &invalid) {
			return nil, apierr.Invalid("The client cannot be registered.", apierr.Field("body."+invalid.Field, invalid.Reason))
		}
		if errors.Is(err, authserver.ErrTooManyClients) {
			return nil, apierr.Invalid("Too many clients in this tenant.", apierr.Field("body.client_id", err.Error()))
		}
		return nil, apierr.Unavailable()
	}
	return control.RegisterOAuth2Client201JSONResponse(oauth2Client(cl)), nil
}

// oauth2Client is a client as the control plane shows it: never its secret.
func oauth2Client(c authserver.Client) control.OAuth2Client {
	scopes := c.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	return control.OAuth2Client{ClientId: c.ID, ClientName: c.Name, RedirectUris: c.RedirectURIs, Scopes: scopes,
		FirstParty: c.FirstParty, Confidential: c.Secret != ""}
}
