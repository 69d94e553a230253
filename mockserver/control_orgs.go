package mockserver

import (
	"context"
	"errors"
	"slices"

	"github.com/avnology/idflows/gen/control"
	"github.com/avnology/idflows/mockserver/internal/apierr"
	"github.com/avnology/idflows/mockserver/internal/identity"
	"github.com/avnology/idflows/mockserver/internal/store"
)

// The tenant's organizations and their members.

func (c *controlAPI) ListOrganizations(ctx context.Context, _ control.ListOrganizationsRequestObject) (control.ListOrganizationsResponseObject, error) {
	out := control.OrganizationList{Organizations: []control.Organization{}}
	err := callFrom(ctx).world.Store.Read(ctx, func(tx *store.Tx) error {
		out.Organizations = out.Organizations[:0]
		for _, o := range tx.Organizations() {
			out.Organizations = append(out.Organizations, organization(o))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return control.ListOrganizations200JSONResponse(out), nil
}

func (c *controlAPI) SeedOrganization(ctx context.Context, req control.SeedOrganizationRequestObject) (control.SeedOrganizationResponseObject, error) {
	b := req.Body
	o := identity.Organization{ID: b.Id, Name: deref(b.Name), RegistrationMode: string(deref(b.RegistrationMode))}
	if o.RegistrationMode == "" {
		o.RegistrationMode = "open"
	}
	if o.Name == "" {
		o.Name = o.ID
	}
	err := callFrom(ctx).world.Store.Update(ctx, func(tx *store.Tx) error {
		members := make([]identity.Identity, 0, len(deref(b.Members)))
		for _, id := range deref(b.Members) { // every member known before anything changes
			ident, ok := tx.Identity(id)
			if !ok {
				return apierr.Invalid("No such identity.", apierr.Field("body.members", id+" is no identity of this tenant"))
			}
			members = append(members, ident)
		}
		if err := tx.PutOrganization(o); err != nil {
			if errors.Is(err, store.ErrTooManyOrganizations) {
				return apierr.Invalid("Too many organizations in this tenant.", apierr.Field("body.id", err.Error()))
			}
			return err
		}
		for _, ident := range members {
			if !ident.MemberOf(o.ID) {
				ident.Organizations = append(slices.Clone(ident.Organizations), o.ID)
				if err := tx.PutIdentity(ident); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return control.SeedOrganization201JSONResponse(organization(o)), nil
}

func organization(o identity.Organization) control.Organization {
	mode := o.RegistrationMode
	if mode == "" {
		mode = "open"
	}
	return control.Organization{Id: o.ID, Name: o.Name, RegistrationMode: control.OrganizationRegistrationMode(mode)}
}
