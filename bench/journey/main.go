// Command journey drives password-login journeys against the mock — create a login flow,
// submit a persona's password, ask whoami with the session — from many goroutines for a
// while, and prints journeys per second and latency percentiles. wrk drives single requests;
// a journey needs each connection's state, so it is a Go client. Loopback targets only.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

func main() {
	target := flag.String("target", "http://127.0.0.1:4481", "the mock's base URL (loopback only)")
	conns := flag.Int("c", 50, "concurrent journeys")
	duration := flag.Duration("d", 10*time.Second, "how long")
	name := flag.String("name", "password-login journey", "what the printed line is called")
	tenants := flag.Int("tenants", 0, "spread the journeys over this many X-Mock-Tenant tenants, as test suites do (0: the default tenant)")
	flag.Parse()
	if u, err := url.Parse(*target); err != nil || !loopback(u.Hostname()) {
		fmt.Fprintln(os.Stderr, "journey: --target must be a loopback URL")
		os.Exit(2)
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: *conns}}
	deadline := time.Now().Add(*duration)
	var (
		mu        sync.Mutex
		latencies []time.Duration
		failures  int
		firstErr  error
		wg        sync.WaitGroup
	)
	for i := range *conns {
		tenant := ""
		if *tenants > 0 {
			tenant = fmt.Sprintf("bench-%d", i%*tenants)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				start := time.Now()
				err := journey(client, *target, tenant)
				mu.Lock()
				if err != nil {
					failures++
					if firstErr == nil {
						firstErr = err
					}
				} else {
					latencies = append(latencies, time.Since(start))
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	slices.Sort(latencies)
	pct := func(p float64) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[int(p*float64(len(latencies)-1))].Round(10 * time.Microsecond)
	}
	fmt.Printf("%-28s %10.2f journeys/s   p50 %s  p99 %s  (%d journeys, %d failed)\n", *name,
		float64(len(latencies))/duration.Seconds(), pct(0.50), pct(0.99), len(latencies), failures)
	if firstErr != nil {
		fmt.Fprintln(os.Stderr, "journey: first failure:", firstErr)
	}
}

// journey is create → submit password → whoami; any unexpected answer is an error.
func journey(c *http.Client, base, tenant string) error {
	var flow struct {
		ID string `json:"id"`
		UI struct {
			Nodes []struct {
				Attributes struct {
					Name  string `json:"name"`
					Value any    `json:"value"`
				} `json:"attributes"`
			} `json:"nodes"`
		} `json:"ui"`
	}
	if err := call(c, http.MethodGet, base+"/v1/flows/login", "", "", tenant, &flow); err != nil {
		return err
	}
	csrf := ""
	for _, n := range flow.UI.Nodes {
		if n.Attributes.Name == "csrf_token" {
			csrf, _ = n.Attributes.Value.(string)
		}
	}
	var done struct {
		Session struct {
			Token string `json:"token"`
		} `json:"session"`
	}
	body := `{"method":"password","body":{"identifier":"jane@acme.com","password":"Secure-Passw0rd!","csrf_token":"` + csrf + `"}}`
	if err := call(c, http.MethodPost, base+"/v1/flows/login/"+flow.ID+":submit", body, "", tenant, &done); err != nil {
		return err
	}
	return call(c, http.MethodGet, base+"/v1/sessions/whoami", "", done.Session.Token, tenant, nil)
}

func call(c *http.Client, method, url, body, token, tenant string, into any) error {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if tenant != "" {
		req.Header.Set("X-Mock-Tenant", tenant)
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %d %.300s", method, url, resp.StatusCode, data)
	}
	if into != nil {
		return json.Unmarshal(data, into)
	}
	return nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
