// Package roundrobin is the smallest load balancer: every request goes to the next replica in
// turn, so the consecutive requests of one journey land on different replicas — the hardest
// case for a mock that must act as one. The replicas' tests and the replicas example use it.
package roundrobin

import (
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
)

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
	for _, target := range replicas {
		b.proxies = append(b.proxies, &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Host = r.In.Host
		}})
	}
	return b
}

func (b *Balancer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	i := int((b.next.Add(1) - 1) % uint64(len(b.proxies)))
	b.served[i].Add(1)
	b.proxies[i].ServeHTTP(w, r)
}

// Served is how many requests replica i was sent.
func (b *Balancer) Served(i int) int64 { return b.served[i].Load() }
