// Command lb stands in for your load balancer in the replicas example: every request goes to
// the next replica in turn (internal/roundrobin). Any balancer works — the mock's replicas need
// no sticky sessions, since their state is in Redis.
//
//	lb --listen :8080 http://mock-a:4433 http://mock-b:4433
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/avnology/idflows/internal/roundrobin"
)

func main() {
	listen := flag.String("listen", ":8080", "address to listen on")
	flag.Parse()
	var replicas []*url.URL
	for _, arg := range flag.Args() {
		u, err := url.Parse(arg)
		if err != nil || u.Scheme == "" || u.Host == "" {
			fmt.Fprintf(os.Stderr, "lb: %q is not a replica's base URL\n", arg)
			os.Exit(2)
		}
		replicas = append(replicas, u)
	}
	if len(replicas) == 0 {
		fmt.Fprintln(os.Stderr, "usage: lb [--listen addr] replica-url…")
		os.Exit(2)
	}
	srv := &http.Server{Addr: *listen, Handler: roundrobin.New(replicas...), ReadHeaderTimeout: 5 * time.Second}
	log.Fatal(srv.ListenAndServe())
}
