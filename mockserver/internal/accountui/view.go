package accountui

import (
	"encoding/json"
	"fmt"
	"html/template"
	"slices"
	"strings"
)

// flow is the part of a flow the pages draw: every field comes from the API's answer.
type flow struct {
	ID    string `json:"id"`
	Type  string `json:"type"`
	State string `json:"state"`
	// LoginChallenge is the OAuth authorization the flow is part of: a registration started
	// from its login page carries it on.
	LoginChallenge string `json:"oauth2_login_challenge"`
	UI             struct {
		Action   string    `json:"action"`
		Method   string    `json:"method"`
		Messages []message `json:"messages"`
		Nodes    []node    `json:"nodes"`
	} `json:"ui"`
}

type message struct {
	ID   any    `json:"id"`
	Text string `json:"text"`
	Type string `json:"type"`
}

type node struct {
	Type       string    `json:"type"`
	Group      string    `json:"group"`
	Attributes attrs     `json:"attributes"`
	Messages   []message `json:"messages"`
	Meta       struct {
		Label *message `json:"label"`
	} `json:"meta"`
}

type attrs struct {
	NodeType       string   `json:"node_type"`
	Name           string   `json:"name"`
	Type           string   `json:"type"`
	Value          any      `json:"value"`
	Required       bool     `json:"required"`
	Disabled       bool     `json:"disabled"`
	Autocomplete   string   `json:"autocomplete"`
	Pattern        string   `json:"pattern"`
	MaxLength      int      `json:"maxlength"`
	OnclickTrigger string   `json:"onclick_trigger"`
	OnloadTrigger  string   `json:"onload_trigger"`
	ID             string   `json:"id"`
	Src            string   `json:"src"`
	Width          int      `json:"width"`
	Height         int      `json:"height"`
	Href           string   `json:"href"`
	Title          *message `json:"title"`
	Text           *message `json:"text"`
	Async          bool     `json:"async"`
	Crossorigin    string   `json:"crossorigin"`
	Integrity      string   `json:"integrity"`
	Referrerpolicy string   `json:"referrerpolicy"`
	Nonce          string   `json:"nonce"`
}

// Label is what a person reads for the node.
func (n node) Label() string {
	switch {
	case n.Meta.Label != nil:
		return n.Meta.Label.Text
	case n.Attributes.Title != nil:
		return n.Attributes.Title.Text
	}
	return n.Attributes.Name
}

// Value is the input's value as the form posts it ("" for none).
func (n node) Value() string {
	switch v := n.Attributes.Value.(type) {
	case nil:
		return ""
	case string:
		return v
	case float64, bool:
		return fmt.Sprint(v)
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}

// Checked is a checkbox's state.
func (n node) Checked() bool { b, _ := n.Attributes.Value.(bool); return b }

// ImageSrc lets html/template keep a data: image (a TOTP QR code), which it would otherwise
// blank as unsafe; anything but a PNG, JPEG, GIF or WebP data URI or an http(s) URL is dropped.
func (n node) ImageSrc() template.URL {
	src := n.Attributes.Src
	for _, ok := range []string{"data:image/png;", "data:image/jpeg;", "data:image/gif;", "data:image/webp;", "https://", "http://"} {
		if strings.HasPrefix(src, ok) {
			return template.URL(src)
		}
	}
	return ""
}

// Hidden reports an input the person does not see.
func (n node) Hidden() bool { return n.Attributes.NodeType == "input" && n.Attributes.Type == "hidden" }

// Submits reports a submit button (or a button that runs a ceremony and submits).
func (n node) Submits() bool {
	return n.Attributes.NodeType == "input" && (n.Attributes.Type == "submit" || n.Attributes.Type == "button")
}

// form is one <form> of a page: the nodes it holds, and the method it posts when its buttons do
// not name one.
type form struct {
	Heading string
	Group   string
	Method  string // a hidden method=…, for groups whose buttons are not named "method"
	Nodes   []node
}

var groupHeadings = map[string]string{
	"profile": "Profile", "password": "Password", "totp": "Authenticator app", "lookup_secret": "Backup recovery codes",
	"webauthn": "Passkeys", "oidc": "Linked accounts", "code": "Sign-in code",
}

// forms splits a flow's nodes into the forms a plain HTML page posts, each carrying the default
// group's hidden inputs (the CSRF token):
//   - settings: one form per group, since every group is saved on its own;
//   - the other flows: one form for the default group and every group whose buttons post a
//     method (login's identifier goes with the password and with the code), and a form of its
//     own for each group whose buttons post something else — a provider, a regenerate flag —
//     with a hidden method naming the group.
func forms(f flow) []form {
	var hidden []node
	groups, order := map[string][]node{}, []string{}
	for _, n := range f.UI.Nodes {
		if n.Attributes.NodeType == "script" {
			continue // loaded once, in the page's head
		}
		if n.Group == "default" && n.Hidden() {
			hidden = append(hidden, n)
			continue
		}
		if _, seen := groups[n.Group]; !seen {
			order = append(order, n.Group)
		}
		groups[n.Group] = append(groups[n.Group], n)
	}
	postsMethod := func(nodes []node) bool {
		for _, n := range nodes {
			if n.Submits() && (n.Attributes.Name == "method" || n.Attributes.OnclickTrigger != "") {
				return true
			}
		}
		return false
	}
	var out []form
	main := form{Group: "main", Nodes: slices.Clone(hidden)}
	for _, g := range order {
		nodes := groups[g]
		switch {
		case f.Type != "settings" && (g == "default" || postsMethod(nodes)):
			main.Nodes = append(main.Nodes, nodes...)
		default:
			fm := form{Heading: groupHeadings[g], Group: g, Nodes: append(slices.Clone(hidden), nodes...)}
			if f.Type != "settings" {
				fm.Heading = "Or continue with"
			}
			if !postsMethod(nodes) {
				fm.Method = g
			}
			out = append(out, fm)
		}
	}
	if len(main.Nodes) > len(hidden) {
		out = append([]form{main}, out...)
	}
	return out
}

// scripts are the flow's script nodes (the WebAuthn glue), each loaded once.
func scripts(f flow) []attrs {
	var out []attrs
	seen := map[string]bool{}
	for _, n := range f.UI.Nodes {
		if a := n.Attributes; a.NodeType == "script" && !seen[a.Src] {
			seen[a.Src] = true
			out = append(out, a)
		}
	}
	return out
}
