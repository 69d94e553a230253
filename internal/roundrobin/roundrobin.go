// Package roundrobin is the smallest load balancer: every request goes to the next replica in
// turn, so the consecutive requests of one journey land on different replicas — the hardest
// case for a mock that must act as one. The replicas' tests and the replicas example use it.
package roundrobin

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
)

// MaxBody is the largest request body the balancer takes (the mock itself refuses more than
// 1 MiB, with its own 413).
const MaxBody = 8 << 20

// Balancer sends each request to the next of its replicas, keeping the request's Host as a
// load balancer does (the replicas build their links on their public base URL anyway).
type Balancer struct {
	proxies []*httputil.ReverseProxy
	next    atomic.Uint64
	served  []atomic.Int64
}

// New balances over the replicas' base URLs.
func New(replicas ...*url.URL) *Balancer {
	b := &Balancer{served: make([]atomic.Int64, len(replicas))}
	// Connections to the replicas are kept for reuse, as a load balancer's are: the default
	// transport keeps two per replica and would open and close one per request under load.
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 256
	for _, target := range replicas {
		b.proxies = append(b.proxies, &httputil.ReverseProxy{Transport: transport, Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Host = r.In.Host
		}})
	}
	return b
}

func (b *Balancer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The request body is read whole before it is sent on, as load balancers do (nginx buffers
	// it too): streamed, writing the replica's answer closes the body under the transport's
	// last read of it, which then cuts the answer off — on a busy machine, now and then
	// (golang/go#40747).
	if r.Body != nil && r.Body != http.NoBody {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
		if err != nil {
			http.Error(w, "request body too large or unreadable", http.StatusRequestEntityTooLarge)
			return
		}
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	}
	i := int((b.next.Add(1) - 1) % uint64(len(b.proxies)))
	b.served[i].Add(1)
	b.proxies[i].ServeHTTP(w, r)
}

// Served is how many requests replica i was sent.
func (b *Balancer) Served(i int) int64 { return b.served[i].Load() }
