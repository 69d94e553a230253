// Command app serves the compose example's browser app: one static page, on its own origin, that
// signs up and verifies an email against the mock. MOCK_URL tells the page where the mock is.
package main

import (
	_ "embed"
	"encoding/json"
	"log"
	"net/http"
	"os"
	"time"
)

//go:embed index.html
var page []byte

func main() {
	mockURL, err := json.Marshal(os.Getenv("MOCK_URL"))
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /config.js", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		_, _ = w.Write([]byte("window.MOCK_URL = " + string(mockURL) + ";\n"))
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(page)
	})
	addr := os.Getenv("LISTEN")
	if addr == "" {
		addr = ":8080"
	}
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	log.Printf("example app on %s, calling the mock at %s", addr, mockURL)
	log.Fatal(srv.ListenAndServe())
}
