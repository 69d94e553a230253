// Command bare is the load baseline: a plain net/http server answering a fixed JSON body of
// the size of a login flow, so a wrk run compares the mock with what the machine can do.
package main

import (
	"flag"
	"log"
	"net/http"
	"strings"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:4480", "address to listen on")
	flag.Parse()
	body := []byte(`{"id":"f1a2b3c4-d5e6-4890-abcd-ef1234567890","type":"login","state":"choose_method","padding":"` + strings.Repeat("x", 2800) + `"}`)
	srv := &http.Server{Addr: *listen, ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})}
	log.Fatal(srv.ListenAndServe())
}
