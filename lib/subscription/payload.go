package subscription

import (
	"errors"
	"io"
	"net/http"

	"github.com/trymetriqs/metriqs/lib/problem"
)

// maxPayload is far above any Stripe event Metriqs subscribes to (a few KiB each).
const maxPayload = 512 << 10

// Payload reads a webhook's raw body, which its signature covers byte for byte (so no JSON
// decoding before verification).
func Payload(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxPayload))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, problem.New(http.StatusRequestEntityTooLarge, "too_large", "The event is larger than 512 KiB.")
	}
	if err != nil {
		return nil, problem.Invalid("body", "The body could not be read.")
	}
	return body, nil
}
