package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Mailpit reads codes from a Mailpit-style mail catcher's HTTP API (GET /api/v1/search and
// /api/v1/message/{ID}), for targets that send real email to a test SMTP server.
type Mailpit struct {
	BaseURL string
	Client  *http.Client
}

var sixDigits = regexp.MustCompile(`\b[0-9]{6}\b`)

// Codes returns the 6-digit codes in the messages to address, oldest first.
func (m Mailpit) Codes(ctx context.Context, _ Scope, address string) ([]string, error) {
	var list struct {
		Messages []struct {
			ID string `json:"ID"`
		} `json:"messages"`
	}
	q := url.Values{"query": {fmt.Sprintf("to:%q", address)}}
	if err := m.get(ctx, "/api/v1/search?"+q.Encode(), &list); err != nil {
		return nil, err
	}
	var codes []string
	for i := len(list.Messages) - 1; i >= 0; i-- { // Mailpit lists newest first
		var msg struct {
			Text string `json:"Text"`
			To   []struct {
				Address string `json:"Address"`
			} `json:"To"`
		}
		if err := m.get(ctx, "/api/v1/message/"+url.PathEscape(list.Messages[i].ID), &msg); err != nil {
			return nil, err
		}
		// Mailpit's search folds case; where a code went is exactly what some cases judge
		// (REQ-SEC-002), so only messages to the very address count.
		exact := false
		for _, to := range msg.To {
			exact = exact || to.Address == address
		}
		if code := sixDigits.FindString(msg.Text); exact && code != "" {
			codes = append(codes, code)
		}
	}
	return codes, nil
}

// Preflight proves the Mailpit API answers.
func (m Mailpit) Preflight(ctx context.Context) error {
	var info map[string]any
	return m.get(ctx, "/api/v1/info", &info)
}

func (m Mailpit) get(ctx context.Context, path string, into any) error {
	client := m.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	client = boundedClient(client, maxCapabilityBody)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(m.BaseURL, "/")+path, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("mailpit: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("mailpit: %s: HTTP %d", path, resp.StatusCode)
	}
	return json.NewDecoder(resp.Body).Decode(into) // the bounded client cuts an endless answer off
}
