package outbound

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// The security page promises TLS 1.2 or higher to third-party integrations: a provider (or
// anything in between) offering only TLS 1.1 must get no request from us.
func TestRefusesTLSBelow12(t *testing.T) {
	for _, c := range []struct {
		max uint16
		ok  bool
	}{{tls.VersionTLS11, false}, {tls.VersionTLS12, true}, {tls.VersionTLS13, true}} {
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
		srv.TLS = &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: c.max}
		srv.StartTLS()
		client := NewClient(5 * time.Second)
		tr := client.Transport.(*http.Transport)
		// Trust the test server's certificate, keeping our own TLS settings otherwise.
		tr.TLSClientConfig.RootCAs = srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
		res, err := client.Get(srv.URL)
		if res != nil {
			res.Body.Close()
		}
		if (err == nil) != c.ok {
			t.Errorf("server with TLS up to %s: err = %v, want ok=%v", tls.VersionName(c.max), err, c.ok)
		}
		srv.Close()
	}
}

func TestClientIsBounded(t *testing.T) {
	c := NewClient(7 * time.Second)
	tr := c.Transport.(*http.Transport)
	if c.Timeout != 7*time.Second || tr.TLSHandshakeTimeout == 0 || tr.ResponseHeaderTimeout == 0 || tr.TLSClientConfig.MinVersion != tls.VersionTLS12 {
		t.Fatalf("client = %+v, transport timeouts %v/%v", c, tr.TLSHandshakeTimeout, tr.ResponseHeaderTimeout)
	}
}
