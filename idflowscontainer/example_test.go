package idflowscontainer_test

import (
	"context"
	"fmt"
	"net/http"

	"github.com/testcontainers/testcontainers-go"

	"github.com/avnology/idflows/idflowscontainer"
)

// Start the mock for a test suite, seed nothing (the personas are there), and point the code
// under test at c.URL. The control client carries the container's own token.
func ExampleRun() {
	ctx := context.Background()
	c, err := idflowscontainer.Run(ctx, idflowscontainer.DefaultImage, idflowscontainer.WithSeed(1),
		idflowscontainer.WithFlowLifetimes("login=2m"))
	if err != nil {
		panic(err)
	}
	defer func() { _ = testcontainers.TerminateContainer(c) }()

	resp, err := http.Get(c.URL + "/v1/flows/login")
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	if _, err := c.Control.ResetTenantWithResponse(ctx, nil); err != nil {
		panic(err)
	}
	fmt.Println(resp.StatusCode)
}
