package mail

import (
	"context"
	"encoding/json"

	"github.com/redis/go-redis/v9"
)

// QueueBounce adds to p, a transaction of the caller, the writes that record b as the user's
// bounce (what Bounce reads and the account shows), with the key's entry in the user's index.
// It is for a bounce the provider reports after it accepted the message (lib/mail/bouncehook):
// the caller's transaction is the one that checks the address is still the user's.
func (s *Service) QueueBounce(ctx context.Context, p redis.Pipeliner, userID string, b BounceInfo) {
	raw, _ := json.Marshal(b) // strings and a time: cannot fail
	p.Set(ctx, s.bounceKey(userID), raw, 0)
	s.st.Own(ctx, p, userID, s.bounceKey(userID))
}
