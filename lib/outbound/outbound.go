// Package outbound is the one way Metriqs calls other services over HTTP: bounded in time at
// every stage, and never below TLS 1.2 (the security page promises TLS 1.2 or higher in
// transit to third-party integrations).
package outbound

import (
	"crypto/tls"
	"net"
	"net/http"
	"time"
)

// NewClient returns a client whose whole exchange, body included, ends within timeout.
func NewClient(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout:   timeout,
		Transport: NewTransport(),
		// A redirect to another host would carry our request elsewhere; providers' APIs do not
		// redirect, so following at most a few same-purpose hops is enough.
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
}

// NewTransport is the transport behind NewClient, for callers (x/oauth2) that wrap their own.
func NewTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: 15 * time.Second,
		ExpectContinueTimeout: time.Second,
		MaxIdleConns:          16,
		IdleConnTimeout:       60 * time.Second,
		ForceAttemptHTTP2:     true,
	}
}
