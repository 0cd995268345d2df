package deletion

import (
	"context"
	"fmt"
	"strings"

	"github.com/trymetriqs/metriqs/lib/store"
)

// Leftover is a key that still mentions a deleted user.
type Leftover struct {
	Key string
	// Billing is true for billing records, which are kept on purpose.
	Billing bool
	TTL     string
}

// Verify scans the whole keyspace under the prefix for keys whose name or value contains the
// user's id or any of needles (the e-mail address, the name, token values). It is for support
// and tests — a SCAN has no place on a request path — and answers what remains, billing
// records marked as such.
func (s *Service) Verify(ctx context.Context, userID string, needles ...string) ([]Leftover, error) {
	needles = append([]string{userID}, needles...)
	var out []Leftover
	iter := s.st.R.Scan(ctx, 0, s.st.Prefix()+"*", 1000).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		v, err := dump(ctx, s.st, k)
		if err != nil {
			return nil, err
		}
		if containsAny(k+"\x00"+v, needles) {
			out = append(out, Leftover{Key: k, Billing: strings.HasPrefix(k, s.st.Key("billing")+":"), TTL: s.st.R.TTL(ctx, k).Val().String()})
		}
	}
	if err := iter.Err(); err != nil {
		return nil, store.Err(err)
	}
	return out, nil
}

func containsAny(s string, needles []string) bool {
	for _, n := range needles {
		if n != "" && strings.Contains(s, n) {
			return true
		}
	}
	return false
}

// dump renders a key's value as text, whatever its type.
func dump(ctx context.Context, st *store.Store, k string) (string, error) {
	r := st.R
	switch typ, err := r.Type(ctx, k).Result(); {
	case err != nil:
		return "", store.Err(err)
	case typ == "string":
		return r.Get(ctx, k).Val(), nil
	case typ == "hash":
		return fmt.Sprint(r.HGetAll(ctx, k).Val()), nil
	case typ == "set":
		return fmt.Sprint(r.SMembers(ctx, k).Val()), nil
	case typ == "list":
		return fmt.Sprint(r.LRange(ctx, k, 0, -1).Val()), nil
	case typ == "zset":
		return fmt.Sprint(r.ZRangeWithScores(ctx, k, 0, -1).Val()), nil
	default:
		return typ, nil
	}
}
