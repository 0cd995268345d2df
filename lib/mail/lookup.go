package mail

import (
	"context"

	"github.com/trymetriqs/metriqs/lib/store"
)

// Records returns the user's mail records of the given keys (those that exist), in one
// round trip: lib/delivery reads what each recipient's message became from here, the one
// place where a send is recorded.
func (s *Service) Records(ctx context.Context, userID string, keys []string) (map[string]Record, error) {
	vals, err := s.st.R.HMGet(ctx, s.mailKey(userID), keys...).Result()
	if err != nil {
		return nil, store.Err(err)
	}
	out := make(map[string]Record, len(keys))
	for i, v := range vals {
		raw, ok := v.(string)
		if !ok {
			continue
		}
		r, err := decode(raw)
		if err != nil {
			return nil, err
		}
		out[keys[i]] = r.record()
	}
	return out, nil
}
