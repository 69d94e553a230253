package conformance

import (
	"fmt"
	"io"
	"net/http"
)

// maxCapabilityBody caps what the suite reads of one answer of a control plane or an inbox:
// they serve codes and small JSON, and a misbehaving one must not exhaust the suite.
const maxCapabilityBody = 4 << 20

// boundedClient returns a copy of c whose answers are cut off, with an error, past max bytes.
func boundedClient(c *http.Client, max int64) *http.Client {
	out := *c
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	out.Transport = boundedTransport{base: base, max: max}
	return &out
}

type boundedTransport struct {
	base http.RoundTripper
	max  int64
}

func (b boundedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := b.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	resp.Body = &boundedBody{rc: resp.Body, left: b.max, max: b.max}
	return resp, nil
}

type boundedBody struct {
	rc        io.ReadCloser
	left, max int64
}

func (b *boundedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, fmt.Errorf("the answer is larger than %d bytes", b.max)
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *boundedBody) Close() error { return b.rc.Close() }
