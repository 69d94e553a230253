package mail

import (
	"bufio"
	"log/slog"
	"net"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/internal/syncbuffer"
	"github.com/avnology/idflows/mockserver/internal/outbox"
)

// catcher is the smallest SMTP server a relay can talk to: it accepts every message and hands
// its envelope recipient and data to the test.
func catcher(t *testing.T) (addr string, got <-chan [2]string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	out := make(chan [2]string, 8)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
				tp := textproto.NewConn(conn)
				_ = tp.PrintfLine("220 catcher")
				var rcpt string
				for {
					line, err := tp.ReadLine()
					if err != nil {
						return
					}
					switch verb := strings.ToUpper(strings.Fields(line + " x")[0]); verb {
					case "EHLO", "HELO", "MAIL":
						_ = tp.PrintfLine("250 ok")
					case "RCPT":
						rcpt = strings.TrimSuffix(strings.TrimPrefix(line[len("RCPT TO:"):], "<"), ">")
						_ = tp.PrintfLine("250 ok")
					case "DATA":
						_ = tp.PrintfLine("354 go on")
						data, err := tp.ReadDotBytes()
						if err != nil {
							return
						}
						out <- [2]string{rcpt, string(data)}
						_ = tp.PrintfLine("250 queued")
					case "QUIT":
						_ = tp.PrintfLine("221 bye")
						return
					default:
						_ = tp.PrintfLine("502 no")
					}
				}
			}()
		}
	}()
	return ln.Addr().String(), out
}

func message(to string) outbox.Message {
	return outbox.Message{ID: "msg_000001", Channel: "email", To: to, Template: "verification_code",
		Subject: "Verify your email address", Body: "Your verification code is 123456.\nIt expires in 15 minutes.",
		Code: "123456", FlowID: "flow_1", SentAt: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
}

func TestRelaySendsTheEmail(t *testing.T) {
	addr, got := catcher(t)
	r, err := New("smtp://"+addr, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	r.Deliver("team-a", message("sam@example.com"))
	select {
	case m := <-got:
		assert.Equal(t, "sam@example.com", m[0])
		msg, err := textproto.NewReader(bufio.NewReader(strings.NewReader(m[1]))).ReadMIMEHeader()
		require.NoError(t, err)
		assert.Equal(t, "sam@example.com", msg.Get("To"))
		assert.Equal(t, "Verify your email address", msg.Get("Subject"))
		assert.Equal(t, "team-a", msg.Get("X-Idflows-Tenant"))
		assert.Equal(t, "flow_1", msg.Get("X-Idflows-Flow-Id"))
		assert.Contains(t, m[1], "Your verification code is 123456.\nIt expires")
	case <-time.After(10 * time.Second):
		t.Fatal("the catcher received nothing")
	}
}

func TestRelayNeverHoldsUpAFlow(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	logs := &syncbuffer.Buffer{}
	r, err := New("smtp://"+addr, slog.New(slog.NewTextHandler(logs, nil)))
	require.NoError(t, err)
	r.timeout = time.Second
	for range Slots * 3 { // more than fit: the rest are dropped, never queued without bound
		r.Deliver("default", message("sam@example.com"))
	}
	require.Eventually(t, func() bool { return strings.Count(logs.String(), "mail not relayed") == Slots*3 }, 10*time.Second, 10*time.Millisecond,
		"every message is either refused by the dead server or dropped for want of a slot, and logged")
	assert.Contains(t, logs.String(), "too many on their way")
	assert.NotContains(t, logs.String(), "123456", "a code is a secret")
}

func TestRelayRefusesHeaderInjection(t *testing.T) {
	_, err := compose("default", message("sam@example.com\r\nBcc: eve@example.com"))
	require.Error(t, err)
}

func TestRelayOnlySMTPURLs(t *testing.T) {
	for _, bad := range []string{"", "localhost:1025", "http://localhost:1025", "smtp://localhost", "smtp://u:p@localhost:1025", "smtp://localhost:1025/x"} {
		_, err := New(bad, slog.New(slog.DiscardHandler))
		assert.Error(t, err, bad)
	}
}
