package oidcprovider

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/avnology/idflows/mockserver/ids"
)

// Anyone can create accounts in any realm an authorize URL names: both are bounded, the
// oldest going first.
func TestAccountsAreBounded(t *testing.T) {
	a := &Accounts{random: ids.NewSeeded(1).Read}
	for i := range MaxRealms + 10 {
		a.Add(fmt.Sprintf("realm-%d", i), Account{Email: "x@example.com"})
	}
	assert.Len(t, a.byRealm, MaxRealms)
	assert.Empty(t, a.List("realm-0"), "the oldest realm went")
	assert.Len(t, a.List(fmt.Sprintf("realm-%d", MaxRealms+9)), 1)
	for i := range MaxAccounts + 5 {
		a.Add("big", Account{Email: fmt.Sprintf("u%d@example.com", i)})
	}
	assert.Len(t, a.List("big"), MaxAccounts)
	a.Add("big", Account{Email: "U10@EXAMPLE.COM", Name: "again"})
	assert.Len(t, a.List("big"), MaxAccounts, "the same email replaces its account")
	a.Reset("big")
	assert.Empty(t, a.List("big"))
}
