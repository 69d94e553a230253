package oidcprovider

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/mockserver/ids"
)

// Anyone can create accounts in any realm an authorize URL names: both are bounded, the
// oldest going first.
func TestAccountsAreBounded(t *testing.T) {
	store := NewMemoryStore(time.Now)
	a := &Accounts{random: ids.NewSeeded(1).Read, store: store}
	ctx := t.Context()
	list := func(realm string) []Account {
		accounts, err := a.List(ctx, realm)
		require.NoError(t, err)
		return accounts
	}
	add := func(realm, email, name string) {
		_, err := a.Add(ctx, realm, Account{Email: email, Name: name})
		require.NoError(t, err)
	}
	for i := range MaxRealms + 10 {
		add(fmt.Sprintf("realm-%d", i), "x@example.com", "")
	}
	assert.Len(t, store.(*memoryStore).realms, MaxRealms)
	assert.Empty(t, list("realm-0"), "the oldest realm went")
	assert.Len(t, list(fmt.Sprintf("realm-%d", MaxRealms+9)), 1)
	for i := range MaxAccounts + 5 {
		add("big", fmt.Sprintf("u%d@example.com", i), "")
	}
	assert.Len(t, list("big"), MaxAccounts)
	add("big", "U10@EXAMPLE.COM", "again")
	assert.Len(t, list("big"), MaxAccounts, "the same email replaces its account")
	require.NoError(t, a.Reset(ctx, "big"))
	assert.Empty(t, list("big"))
}
